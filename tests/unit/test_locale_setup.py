"""``[locale] language``, ``--lang``, and the emulator's English-speaking portal."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import locales
from app.cli import build_parser
from app.cmd_emulator import make_portal
from app.config import ConfigError, load_config, speak
from emulator.english import english, latin

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
DAY = date(2026, 11, 19)


@pytest.fixture(autouse=True)
def _keep_the_default_language() -> Any:
    before = locales.language()
    yield
    locales.set_default(before)


def test_the_language_key_sets_the_process_language_and_lang_wins(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[locale]\nlanguage = "en"\n', encoding="utf-8")
    config = load_config(path, environ={})
    assert speak(config) == "en"
    assert locales.language() == "en"
    assert speak(config, "ru") == "ru"
    assert locales.language() == "ru"
    assert load_config(None, environ={"CRM_PULSE_LOCALE__LANGUAGE": "en"}).locale.language == "en"


def test_a_language_we_do_not_speak_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[locale]\nlanguage = "de"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert "locale.language" in str(caught.value)
    assert "'ru'" in str(caught.value) and "'en'" in str(caught.value)


def test_demo_report_and_emulator_take_lang() -> None:
    parser = build_parser()
    assert parser.parse_args(["demo", "--lang", "en"]).lang == "en"
    assert parser.parse_args(["report", "rating", "--lang", "ru"]).lang == "ru"
    assert parser.parse_args(["emulator", "--lang", "en"]).lang == "en"
    with pytest.raises(SystemExit):
        parser.parse_args(["demo", "--lang", "de"])


def test_portal_texts_in_english() -> None:
    assert english("Сделка провалена") == "Lost"
    assert english("Подготовить КП для ООО «Альфастрой»") == "Prepare a proposal for Alfastroy LLC"
    assert (
        english("Ежемесячная поставка 11.2026 — АО «Вектор»")
        == "Monthly supply 11.2026 — Vektor JSC"
    )
    assert english("Заявка с сайта: Пётр Щербаков") == "Website enquiry: Petr Shcherbakov"
    assert latin("Соловьёв Юрий") == "Solovev Yuriy"
    assert english("no Cyrillic 42") == "no Cyrillic 42"


def _same_but_texts(old: Any, new: Any) -> bool:
    """``new`` is ``old`` with every Russian text in English and everything else equal."""
    if isinstance(old, str) and CYRILLIC.search(old):
        return isinstance(new, str) and not CYRILLIC.search(new) and bool(new.strip())
    if isinstance(old, dict):
        return (
            isinstance(new, dict)
            and old.keys() == new.keys()
            and all(_same_but_texts(old[k], new[k]) for k in old)
        )
    if isinstance(old, list):
        return (
            isinstance(new, list)
            and len(old) == len(new)
            and all(_same_but_texts(a, b) for a, b in zip(old, new, strict=True))
        )
    return bool(old == new)


def test_the_english_portal_has_no_russian_and_the_same_figures() -> None:
    russian = make_portal(1, "small", today=DAY).data
    english_data = make_portal(1, "small", today=DAY, language="en").data
    assert english_data.language == "en"
    assert russian.tables.keys() == english_data.tables.keys()
    for name, rows in english_data.tables.items():
        before = russian.tables[name]
        assert len(rows) == len(before), name
        for row, old in zip(rows, before, strict=True):
            assert _same_but_texts(old, row), (name, old, row)
    money = [Decimal(str(r.get("OPPORTUNITY") or 0)) for r in english_data.tables["deals"]]
    assert sum(money) > 0
