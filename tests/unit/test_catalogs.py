"""Every text the code writes is in both catalogs, translated, with the same placeholders.

A message added to the code and not to the catalogs fails here, naming its file and line and
the command that adds it (``make messages``); so does an English translation with Cyrillic
left in it, a Russian counted message without its three forms, or a translation that drops or
renames a ``{placeholder}``.
"""

from __future__ import annotations

import pytest
from babel.messages.catalog import Catalog

from locales import LANGUAGES, Words, gettext, ngettext, pgettext, translations, use
from locales.extract import AREAS, CYRILLIC, FIELD, found, read

FORMS = {"ru": 3, "en": 2}


def _strings(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def _key(ident: str | tuple[str, ...]) -> str:
    return ident if isinstance(ident, str) else ident[0]


@pytest.fixture(scope="module", params=AREAS)
def area(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def catalogs(area: str) -> dict[str, Catalog]:
    return {lang: read(lang, area) for lang in LANGUAGES}


def test_every_message_in_the_code_is_in_every_catalog(
    area: str, catalogs: dict[str, Catalog]
) -> None:
    for lang, catalog in catalogs.items():
        missing = [
            f.where + " " + repr(f.id) for f in found(area) if catalog.get(f.id, f.context) is None
        ]
        assert not missing, (
            f"locales/{lang}/{area}.po lacks {len(missing)} message(s); run `make messages` "
            "and translate them:\n" + "\n".join(missing[:20])
        )


def test_no_catalog_keeps_messages_the_code_no_longer_writes(
    area: str, catalogs: dict[str, Catalog]
) -> None:
    written = {(_key(f.id), f.context) for f in found(area)}
    for lang, catalog in catalogs.items():
        stale = [m.id for m in catalog if m.id and (_key(m.id), m.context) not in written]
        assert not stale, f"locales/{lang}/{area}.po keeps {stale[:10]}: run `make messages`"


def test_english_translates_every_message_without_cyrillic(catalogs: dict[str, Catalog]) -> None:
    bad = []
    for message in catalogs["en"]:
        if not message.id:
            continue
        strings = _strings(message.string)
        if len(strings) < (FORMS["en"] if message.pluralizable else 1) or not all(strings):
            bad.append(f"untranslated: {message.id!r}")
        elif any(CYRILLIC.search(s) for s in strings):
            bad.append(f"Cyrillic left: {message.id!r} -> {message.string!r}")
    assert not bad, "\n".join(bad[:20])


def test_russian_counted_messages_have_three_forms(catalogs: dict[str, Catalog]) -> None:
    bad = [
        repr(m.id)
        for m in catalogs["ru"]
        if m.id and m.pluralizable and not (len(_strings(m.string)) == 3 and all(m.string))
    ]
    assert not bad, "Russian needs one, few and many forms for: " + ", ".join(bad[:20])


def test_translations_keep_the_placeholders(catalogs: dict[str, Catalog]) -> None:
    bad = []
    for lang, catalog in catalogs.items():
        for message in catalog:
            if not message.id:
                continue
            wanted = {f for i in _strings(message.id) for f in FIELD.findall(i)}
            bad.extend(
                f"{lang}: {message.id!r} -> {string!r}"
                for string in _strings(message.string)
                if string and set(FIELD.findall(string)) != wanted
            )
    assert not bad, "placeholders differ:\n" + "\n".join(bad[:20])


def test_one_message_means_one_thing_across_areas() -> None:
    seen: dict[tuple[str, str, str | None], tuple[str, object]] = {}
    clashes = []
    for area in AREAS:
        for lang in LANGUAGES:
            for message in read(lang, area):
                if not message.id or not message.string:
                    continue
                key = (lang, _key(message.id), message.context)
                if key in seen and seen[key][1] != message.string:
                    clashes.append(f"{lang} {key[1]!r}: {seen[key][0]} and {area} differ")
                seen.setdefault(key, (area, message.string))
    assert not clashes, "\n".join(clashes[:20])


def test_russian_plurals_follow_the_count_and_english_reads_english() -> None:
    """The runtime path itself: the merged catalogs, the language in force, the forms."""
    assert translations("ru") is translations("ru")
    with use("en-GB") as lang:
        assert lang == "en"
        assert Words("en").language == "en"
    with use("xx"):  # a language we do not speak keeps the one in force
        assert ngettext("{n} a", "{n} b", 1) == "{n} a"
    forms = ("{n}\xa0звонок", "{n}\xa0звонков")  # a unit keeps to its number: no-break space
    with use("ru"):
        said = [ngettext(*forms, n).split("\xa0")[1] for n in (1, 3, 5, 11, 21, 104)]
    assert said == ["звонок", "звонка", "звонков", "звонков", "звонок", "звонка"]
    with use("en"):
        assert [ngettext(*forms, n).replace("\xa0", " ") for n in (1, 3)] == [
            "{n} call",
            "{n} calls",
        ]
        assert Words("en").gettext("Итого") == "Total"
        # one Russian word, two English ones, told apart by a context
        assert (gettext("выполнено"), pgettext("plan", "выполнено")) == ("completed", "met")
    with use("ru"):
        assert pgettext("plan", "выполнено") == "выполнено"
