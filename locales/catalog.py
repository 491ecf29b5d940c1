"""The catalogs (``.po`` read with Babel, compiled in memory) and the language in force."""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"
CATALOGS = Path(__file__).resolve().parent

_current: ContextVar[str | None] = ContextVar("crm_pulse_language", default=None)
_default = [DEFAULT_LANGUAGE]


def pick(code: str | None) -> str | None:
    """A language we speak for a code such as 'en', 'en-US', 'ru_RU', 'RU'; None otherwise."""
    if not code:
        return None
    base = code.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def set_default(code: str) -> None:
    """The process's language (``[locale] language``), where no ``use`` says otherwise."""
    chosen = pick(code)
    if chosen is None:
        msg = f"language {code!r} is not one of {', '.join(LANGUAGES)}"
        raise ValueError(msg)
    _default[0] = chosen


def language() -> str:
    """The language in force here: the innermost ``use``, else the process default."""
    return _current.get() or _default[0]


@contextmanager
def use(code: str | None) -> Iterator[str]:
    """Speak ``code`` inside the block (a code we do not speak keeps the language in force)."""
    token = _current.set(pick(code) or language())
    try:
        yield language()
    finally:
        _current.reset(token)


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> _gettext.GNUTranslations:
    """Every ``locales/<lang>/*.po`` merged into one catalog, compiled to a gettext object."""
    merged = Catalog(locale=lang, fuzzy=False)
    chosen: dict[tuple[str, str | None], Message] = {}
    for path in sorted((CATALOGS / lang).glob("*.po")):
        with path.open("rb") as file:
            for message in read_po(file, locale=lang):
                # one id in two areas: an untranslated copy must not hide the translated one
                # (Catalog keeps the first string it was given for an id, so choose first)
                key = (
                    message.id if isinstance(message.id, str) else message.id[0],
                    message.context,
                )
                if message.id and (key not in chosen or _has_string(message)):
                    chosen[key] = message
    for message in chosen.values():
        merged[message.id] = message
    buffer = BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def _has_string(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return any(strings)


def gettext(message: str) -> str:
    """``message`` (a Russian message id) in the language in force."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted message that goes with ``n``, in the language in force."""
    return translations(language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` as meant in ``context``: one Russian word that English says two ways
    ("выполнено": a task completed, a plan met)."""
    return translations(language()).pgettext(context, message)


def N_(message: str) -> str:  # noqa: N802 - gettext's own name for a marker
    """Mark a message for extraction where it is defined; translate it where it is shown."""
    return message


def babel_locale(lang: str | None = None) -> Locale:
    """Babel's locale data (month names, number symbols) for ``lang`` or the one in force."""
    return Locale.parse(lang or language())


@dataclass(frozen=True)
class Words:
    """One language's texts, handed to charts/ (which never look texts up themselves)."""

    language: str

    def gettext(self, message: str) -> str:
        return translations(self.language).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return translations(self.language).ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return translations(self.language).pgettext(context, message)


def words(lang: str | None = None) -> Words:
    """The ``Words`` of ``lang``, or of the language in force."""
    return Words(pick(lang) or language())
