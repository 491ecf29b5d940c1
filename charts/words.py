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


_words: ContextVar[Words] = ContextVar("chart_words")


@contextmanager
def speaking(words: Words) -> Iterator[Words]:
    """Draw in ``words``' language inside the block."""
    token = _words.set(words)
    try:
        yield words
    finally:
        _words.reset(token)


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


def ngettext(singular: str, plural: str, n: int) -> str:
    return current().ngettext(singular, plural, n)
