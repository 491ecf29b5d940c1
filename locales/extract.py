"""Messages in the code, and the catalogs brought up to date with them (``make messages``).

One catalog per area of the code, so that people changing different areas never edit the same
file. Run ``python -m locales.extract`` after adding or changing a text: new messages are added
to every catalog with an empty translation (the unit test ``test_catalogs`` then names each
one until it is translated), messages gone from the code are dropped, and translations kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from locales.catalog import CATALOGS, LANGUAGES

ROOT = CATALOGS.parent
# Area -> (its package, the files of it that the area holds; () for the package's other files).
# kpi/, crm/ and store/ have no texts by design. Several areas in one package keep people who
# change different parts of it from editing one catalog at once.
AREAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "reports": ("reports", ()),
    "reports_game": (
        "reports",
        ("game_*.py", "caption_game.py", "tables.py", "tables_*.py", "excel.py"),
    ),
    "bot": ("bot", ()),
    "bot_game": (
        "bot",
        (
            "game_*.py",
            "contests.py",
            "plan_*.py",
            "bitrix/contest.py",
            "bitrix/plan_set_reply.py",
            "telegram/handlers/contest.py",
            "telegram/handlers/plan_set.py",
        ),
    ),
    "jobs": ("jobs", ()),
    "web": ("web", ()),
    "charts": ("charts", ()),
    "app": ("app", ()),
}
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
FIELD = re.compile(r"\{[^{}]*\}")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# Fixed header dates: a catalog changes in git only when a message does.
STAMP = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Found:
    """One message as the code writes it: its id (a tuple for a counted one) and where."""

    id: str | tuple[str, str]
    where: str
    context: str | None = None  # pgettext's: one Russian text meaning two things


def _methods(area: str) -> list[tuple[str, str]]:
    """Babel's method map for ``area``: its own files read, its siblings' files ignored."""
    package, own = AREAS[area]
    claimed = [p for name, (pkg, pats) in AREAS.items() if pkg == package for p in pats]
    read = ("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")
    if own:
        return [(p, "python") for p in own] + [("**", "ignore")]
    return [(p, "ignore") for p in claimed] + list(read)


def found(area: str) -> list[Found]:
    """Every message written in ``area``'s files (``_``, ``ngettext``, ``N_`` and friends)."""
    out: list[Found] = []
    package = AREAS[area][0]
    base = ROOT / package
    for filename, lineno, message, _comments, context in extract_from_dir(
        base, _methods(area), options_map=OPTIONS
    ):
        if not message or (isinstance(message, tuple) and not message[0]):
            continue
        ident = message if isinstance(message, str) else (message[0], message[1])
        out.append(Found(ident, f"{package}/{filename}:{lineno}", context))
    return out


def catalog_path(lang: str, area: str) -> Path:
    return CATALOGS / lang / f"{area}.po"


def read(lang: str, area: str) -> Catalog:
    path = catalog_path(lang, area)
    if not path.exists():
        return _empty(lang)
    with path.open("rb") as file:
        return read_po(file, locale=lang)


def update(area: str, languages: Iterable[str] = LANGUAGES) -> dict[str, int]:
    """Bring ``area``'s catalogs in line with its code; the untranslated count per language."""
    template = Catalog(project="crm-pulse", fuzzy=False)
    for item in found(area):
        path, _, line = item.where.rpartition(":")
        template.add(item.id, locations=[(path, int(line))], context=item.context)
    left: dict[str, int] = {}
    for lang in languages:
        old = read(lang, area)
        fresh = _empty(lang)
        for message in template:
            if not message.id:
                continue
            kept = old.get(message.id, message.context)
            string = kept.string if kept is not None else message.string
            fresh[message.id] = Message(
                message.id, string, locations=message.locations, context=message.context
            )
        catalog_path(lang, area).parent.mkdir(parents=True, exist_ok=True)
        with catalog_path(lang, area).open("wb") as file:
            write_po(file, fresh, width=99, sort_output=True, omit_header=False, no_location=True)
        # a Russian id is its own Russian text: only its counted messages need forms
        needing = [m for m in fresh if m.id and (lang != "ru" or m.pluralizable)]
        left[lang] = sum(1 for m in needing if not _translated(m))
    return left


def _empty(lang: str) -> Catalog:
    return Catalog(
        locale=lang,
        project="crm-pulse",
        version="0.1",
        fuzzy=False,
        creation_date=STAMP,
        revision_date=STAMP,
        header_comment=f"# crm-pulse texts in {lang}: maintained by `make messages`.\n",
    )


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return bool(strings) and all(strings)


def main(argv: list[str] | None = None) -> None:
    """``python -m locales.extract [AREA ...]``: every area, or only those named."""
    import sys

    wanted = (argv if argv is not None else sys.argv[1:]) or list(AREAS)
    unknown = sorted(set(wanted) - set(AREAS))
    if unknown:
        raise SystemExit(f"no such area: {', '.join(unknown)} (areas: {', '.join(AREAS)})")
    for area in wanted:
        left = update(area)
        print(f"{area}: " + ", ".join(f"{lang} {n} untranslated" for lang, n in left.items()))  # noqa: T201


if __name__ == "__main__":
    main()
