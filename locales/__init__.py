"""Texts in the reader's language: gettext catalogs read with Babel.

The code is written in Russian, the product's home language: a message id is the Russian
text itself, so a Russian reader sees exactly what the code says. The Russian catalog adds
what gettext cannot infer from a two-form id (the three plural forms of a Russian noun); the
English catalog translates every message. Catalogs are plain ``.po`` files, one per area of
the code (``locales/<lang>/<area>.po``: reports, bot, jobs, web, charts), merged when first
used; there is no compiled ``.mo`` to forget to rebuild. ``make messages`` extracts the
messages from the code and adds new ones to every catalog; a unit test fails while any
message lacks a translation.

The language in force is a context variable: the process default comes from
``[locale] language``; a handler answering one Telegram user in private wraps its work in
``use(user's language_code)``. Texts are looked up where they are written (reports/, bot/,
jobs/, web/), never in kpi/ or charts/: charts are handed a ``Words`` (``words()``) by their
caller.

Placeholders are Python's ``str.format`` fields (``"{n} сделка"``), so a translation can move
them. Plural ids carry ``{n}`` where the count goes::

    ngettext("{n} сделка", "{n} сделок", deals).format(n=count(deals))

One Russian text that English says two ways takes a context: ``pgettext("plan",
"выполнено")`` is "met", the tasks' plain "выполнено" is "completed".
"""

from locales.catalog import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    N_,
    Words,
    babel_locale,
    gettext,
    language,
    ngettext,
    pgettext,
    pick,
    set_default,
    translations,
    use,
    words,
)

_ = gettext

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "N_",
    "Words",
    "_",
    "babel_locale",
    "gettext",
    "language",
    "ngettext",
    "pgettext",
    "pick",
    "set_default",
    "translations",
    "use",
    "words",
]
