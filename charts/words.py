"""The texts of a chart, handed in by its caller: charts never look a text up themselves.

A chart's caller (reports/) passes a ``Words`` (``locales.words()``) to a ``render_*`` entry
point; the drawing code below it writes ``_("Звонки")`` and ``ngettext(...)`` against the
words in force, which the entry point sets for the length of one drawing (drawing is
serialised by ``charts.render``'s lock anyway). Message ids are Russian, the catalogs live in
``locales/<lang>/charts.po``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol


class Words(Protocol):
    """One language's texts: what ``locales.Words`` is, seen from charts/."""

    @property
    def language(self) -> str: ...

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...

    def pgettext(self, context: str, message: str) -> str: ...


_words: ContextVar[Words] = ContextVar("chart_words")


@contextmanager
def speaking(words: Words) -> Iterator[Words]:
    """Draw in ``words``' language inside the block."""
    token = _words.set(words)
    try:
        yield words
    finally:
        _words.reset(token)


def in_force() -> Words | None:
    """The words of the drawing under way, or None outside one.

    For the few helpers other layers call outside a drawing too (``theme.duration_text``,
    ``theme.phone_text``): they write Russian there unless the caller wraps them in
    ``speaking(locales.words())``.
    """
    return _words.get(None)


def current() -> Words:
    """The words of the drawing under way; drawing without words given is a bug of the caller."""
    try:
        return _words.get()
    except LookupError:
        msg = "a chart was drawn without words: pass words=locales.words() to charts.render"
        raise RuntimeError(msg) from None


def language() -> str:
    return current().language


def _(message: str) -> str:
    """``message`` (a Russian id) in the drawing's language."""
    return current().gettext(message)


def pgettext(context: str, message: str) -> str:
    """``message`` as meant in ``context`` (one Russian word, two English ones)."""
    return current().pgettext(context, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form that goes with ``n``; a negative count takes its size's form ("-3 звонка")."""
    return current().ngettext(singular, plural, abs(n))


def say(message: str) -> str:
    """``_`` for the helpers other layers call outside a drawing too: there, the Russian id."""
    words = in_force()
    return message if words is None else words.gettext(message)


def N_(message: str) -> str:  # noqa: N802 - gettext's own name for a marker
    """Mark a module constant for extraction; translate it with ``_()`` where it is shown."""
    return message
