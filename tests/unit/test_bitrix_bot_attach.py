"""The table that goes out when no image can, and the front end's settings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.bitrix.attach import ATTACH_LIMIT, fit_attach, report_attach, reports_attach
from bot.bitrix.settings import MAX_BOT_TOKEN, BitrixChatSettings, derive_bot_token, is_dialog_id
from kpi.periods import parse_period
from kpi.scope import company_scope
from reports.build import Report, build_report
from tests.kpi_data import MSK
from tests.unit import reports_fixtures as rf


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = rf.open_store(tmp_path_factory.mktemp("attach") / "store.db")
    yield engine
    engine.dispose()


def _report(engine: Engine, name: str) -> Report:
    week = parse_period("week", now=rf.NOW, tz=MSK)
    with Session(engine) as session:
        scope = company_scope(session, rf.settings())
        return build_report(session, rf.settings(), name, week, scope, now=rf.NOW, render=False)


def _grid(attach: dict[str, object]) -> list[dict[str, str]]:
    blocks = attach["BLOCKS"]
    assert isinstance(blocks, list)
    return [row for block in blocks if "GRID" in block for row in block["GRID"]]


def test_the_rating_table_has_a_row_per_employee_and_the_total(engine: Engine) -> None:
    report = _report(engine, "rating")
    attach = report_attach(report)
    blocks = attach["BLOCKS"]
    assert isinstance(blocks, list)
    assert blocks[0]["MESSAGE"].startswith("[b]🏆 Рейтинг[/b]")
    rows = _grid(attach)
    names = [row["NAME"] for row in rows]
    assert names[-1] == "[b]Итого[/b]"
    assert len(rows) == len(report.data["rows"]) + 1
    assert "Место: " in rows[0]["VALUE"] and "Баллы: " in rows[0]["VALUE"]
    # a name that is markup stays text: its brackets cannot open a BB tag
    boris = next(n for n in names if n.startswith("Boris"))
    assert "[" not in boris and "]" not in boris


@pytest.mark.parametrize("name", ["calls", "plan", "funnel", "conversion", "lost", "tasks"])
def test_every_figure_is_readable_text(engine: Engine, name: str) -> None:
    rows = _grid(report_attach(_report(engine, name)))
    assert rows
    for row in rows:
        assert row["DISPLAY"] == "LINE"
        assert "None" not in row["VALUE"] and "Decimal" not in row["VALUE"]


def test_several_reports_share_one_attach_with_delimiters(engine: Engine) -> None:
    reports = [_report(engine, "rating"), _report(engine, "calls")]
    blocks = reports_attach(reports)["BLOCKS"]
    assert isinstance(blocks, list)
    assert sum("DELIMITER" in b for b in blocks) == 1
    assert sum("GRID" in b for b in blocks) == 2


def test_a_huge_table_is_cut_under_the_portals_limit() -> None:
    rows = [{"NAME": f"Сотрудник {n}", "VALUE": "Звонков: 1 234 · " * 10} for n in range(3000)]
    attach = fit_attach([{"MESSAGE": "[b]Звонки[/b]"}, {"GRID": rows}])
    size = len(json.dumps(attach, ensure_ascii=False))
    assert size < ATTACH_LIMIT
    blocks = attach["BLOCKS"]
    assert isinstance(blocks, list)
    kept = _grid(attach)
    assert 0 < len(kept) < 3000
    assert blocks[-1]["MESSAGE"] == f"[i]… таблица сокращена на {3000 - len(kept)}[/i]"


def test_a_small_attach_is_left_alone() -> None:
    blocks: list[dict[str, Any]] = [{"MESSAGE": "x"}, {"GRID": [{"NAME": "a", "VALUE": "1"}]}]
    assert fit_attach(blocks) == {"COLOR_TOKEN": "primary", "BLOCKS": blocks}


def test_settings_refuse_what_the_portal_would() -> None:
    assert BitrixChatSettings(team_dialogs=("chat12", "17", "sg3")).team_dialogs
    with pytest.raises(ValueError, match="dialog id"):
        BitrixChatSettings(team_dialogs=("general",))
    with pytest.raises(ValueError, match="40"):
        BitrixChatSettings(bot_token="x" * 41)
    with pytest.raises(ValueError, match="event_url"):
        BitrixChatSettings(event_url="ftp://example")
    assert not is_dialog_id("chat") and not is_dialog_id("-5")
    assert BitrixChatSettings(bot_code="crm").legacy_client_id == "crm"


def test_a_derived_bot_token_is_stable_short_and_keyed() -> None:
    token = derive_bot_token("https://x.bitrix24.ru/rest/1/secret/", "crm_pulse")
    assert token == derive_bot_token("https://x.bitrix24.ru/rest/1/secret/", "crm_pulse")
    assert len(token) == MAX_BOT_TOKEN
    assert token != derive_bot_token("https://x.bitrix24.ru/rest/1/other/", "crm_pulse")
    assert token != derive_bot_token("https://x.bitrix24.ru/rest/1/secret/", "crm_pulse_2")
