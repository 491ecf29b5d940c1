"""build_report: figures, JSON of DESIGN.md, chart or its absence, names that are refused."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from kpi.periods import Period, parse_period
from kpi.scope import Scope, company_scope, employee_scope
from reports import build
from reports.build import (
    REPORT_NAMES,
    Report,
    ReportError,
    build_report,
    report_json,
    report_xlsx,
)
from reports.registry import SPECS
from tests.kpi_data import MSK
from tests.kpi_sales_data import sales_team
from tests.unit import reports_fixtures as rf

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HEAD = {"report", "scope", "period", "previous", "data_as_of", "rows", "total"}
# DESIGN.md "Machine-readable output": the figures each report's rows must carry.
ROW_KEYS: dict[str, set[str]] = {
    "streaks": {"employee_id", "metric", "current", "best"},
    "channels": {
        "source_id",
        "source",
        "leads",
        "deals_won",
        "revenue",
        "cost",
        "cost_per_lead",
        "cost_per_won",
    },
    "calls": {
        "employee_id",
        "calls",
        "incoming",
        "outgoing",
        "connected",
        "successful",
        "missed",
        "missed_called_back",
        "missed_lost",
        "talk_seconds",
        "avg_callback_seconds",
    },
    "missed": {
        "employee_id",
        "missed",
        "missed_called_back",
        "missed_lost",
        "avg_callback_seconds",
        "open",
    },
    "rating": {
        "employee_id",
        "rank",
        "points",
        "successful_calls",
        "emails",
        "meetings",
        "deals_won",
        "revenue",
        "missed_lost",
    },
    "coverage": {
        "employee_id",
        "clients",
        "covered",
        "coverage",
        "key_clients",
        "key_covered",
        "uncovered",
    },
    "kpi": {"employee_id", "metrics"},
    "plan": {
        "employee_id",
        "revenue",
        "plan",
        "deals_won",
        "forecast_run_rate",
        "forecast_pipeline",
    },
    "conversion": {
        "source_id",
        "source",
        "leads",
        "converted",
        "to_deals",
        "to_won",
        "conversion",
    },
    "lost": {"status_id", "reason", "entity", "count", "amount"},
    "tasks": {"employee_id", "completed", "overdue"},
    "funnel": {"stage_id", "stage", "semantics", "deals", "amount"},
    "abc": {"company_id", "title", "revenue", "abc", "xyz"},
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = rf.open_store(tmp_path_factory.mktemp("reports") / "store.db")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@pytest.fixture(scope="module")
def scope(session: Session) -> Scope:
    return company_scope(session, rf.settings())


@pytest.fixture(scope="module")
def week() -> Period:
    return parse_period("week", now=rf.NOW, tz=MSK)


@pytest.fixture(scope="module")
def reports(session: Session, scope: Scope, week: Period) -> dict[str, Report]:
    """Every report of the week, rendered (the one place the tests draw all charts)."""
    conf = rf.settings()
    return {
        name: build_report(session, conf, name, week, scope, now=rf.NOW) for name in REPORT_NAMES
    }


def test_names_are_design_md_reports() -> None:
    assert REPORT_NAMES == (
        "rating",
        "coverage",
        "calls",
        "missed",
        "kpi",
        "plan",
        "funnel",
        "conversion",
        "lost",
        "abc",
        "tasks",
        "streaks",
        "channels",
    )


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_json_has_design_keys_and_the_kpi_figures(
    name: str, reports: dict[str, Report], session: Session, scope: Scope, week: Period
) -> None:
    report = reports[name]
    assert report.name == name
    assert report.meta is report.figures.meta
    data = report.data
    assert data.keys() >= HEAD
    assert data["report"] == name
    assert data["period"]["start"] == week.start.isoformat()
    assert data["period"]["end"] == week.end.isoformat()
    assert datetime.fromisoformat(data["data_as_of"]) == rf.AS_OF
    assert data["rows"], f"{name}: the store has figures for every report"
    for row in data["rows"]:
        assert ROW_KEYS[name] <= row.keys(), (name, ROW_KEYS[name] - row.keys())
    # the same numbers as the kpi layer computes and prints, independently rebuilt
    spec = SPECS[name]
    fresh = spec.build(session, scope, week, rf.settings(), now=rf.NOW)
    assert data == spec.to_json(fresh)
    assert json.loads(report_json(report)) == data


def test_figures_in_json_match_what_the_store_holds(reports: dict[str, Report]) -> None:
    rating = {row["employee"]: row for row in reports["rating"].data["rows"]}
    assert rating["Anna Orlova"]["revenue"] == "150000.50"
    assert rating["Anna Orlova"]["rank"] == 1
    missed = reports["missed"].data["total"]
    assert [call["phone"] for call in missed["open"]] == ["74951234567", ""]
    coverage = reports["coverage"].data["total"]
    assert (coverage["clients"], coverage["covered"]) == (5, 2)
    assert {c["title"] for c in coverage["uncovered"]} == {"Дельта", "Иван Частный", rf.EVIL}
    assert reports["plan"].data["total"]["revenue"] == "170000.50"
    assert reports["plan"].data["total"]["plan"] == "300000.00"
    assert reports["tasks"].data["total"]["overdue"] == 1


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_every_report_has_a_chart(name: str, reports: dict[str, Report]) -> None:
    png = reports[name].png
    assert png is not None
    assert png.startswith(PNG_MAGIC)


def test_drill_down_lists(reports: dict[str, Report]) -> None:
    assert set(reports["coverage"].lists) == {"uncovered"}
    assert set(reports["missed"].lists) == {"open_missed"}
    assert set(reports["tasks"].lists) == {"overdue"}
    assert not reports["rating"].lists
    uncovered = reports["coverage"].lists["uncovered"]
    assert [x.title for x in uncovered] == ["Дельта", "Иван Частный", rf.EVIL]
    assert uncovered[0].url == "https://example.bitrix24.ru/crm/company/details/4/"
    opened = reports["missed"].lists["open_missed"]
    assert [x.title for x in opened] == ["+7 495 123-45-67", "номер скрыт"]
    overdue = reports["tasks"].lists["overdue"]
    assert overdue[0].url is not None and overdue[0].url.endswith("/tasks/task/view/2/")
    assert overdue[0].employee_id == 11


def test_render_false_draws_nothing(
    session: Session, scope: Scope, week: Period, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(_: Any, *, words: Any) -> bytes:
        raise AssertionError("render=False must not draw")

    monkeypatch.setattr(build, "render_report", forbidden)
    report = build_report(session, rf.settings(), "calls", week, scope, now=rf.NOW, render=False)
    assert report.png is None
    assert report.caption_html and report.text_html


def test_a_chart_that_fails_leaves_the_text(
    session: Session,
    scope: Scope,
    week: Period,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(_: Any, *, words: Any) -> bytes:
        raise RuntimeError("matplotlib fell over")

    monkeypatch.setattr(build, "render_report", broken)
    with caplog.at_level(logging.ERROR, logger="reports.build"):
        report = build_report(session, rf.settings(), "rating", week, scope, now=rf.NOW)
    assert report.png is None
    assert "Рейтинг" in report.caption_html
    assert report.data["report"] == "rating"
    assert any("rating" in r.getMessage() and r.exc_info for r in caplog.records)


def test_unknown_report_lists_the_known_ones(session: Session, scope: Scope, week: Period) -> None:
    with pytest.raises(ReportError) as caught:
        build_report(session, rf.settings(), "ratings", week, scope, now=rf.NOW)
    assert isinstance(caught.value, ValueError)
    for name in REPORT_NAMES:
        assert name in str(caught.value)
    # a command's spelling is accepted
    report = build_report(
        session, rf.settings(), "/Rating ", week, scope, now=rf.NOW, render=False
    )
    assert report.name == "rating"


def test_employee_scope(session: Session, week: Period) -> None:
    conf = rf.settings()
    anna = employee_scope(session, conf, 10)
    for name in REPORT_NAMES:
        report = build_report(session, conf, name, week, anna, now=rf.NOW, render=False)
        assert report.data["scope"] == {"kind": "employee", "id": 10, "name": "Anna Orlova"}
        first_line = rf.telegram_text(report.caption_html).splitlines()[0]
        assert "Anna Orlova" in first_line


def test_report_json_is_pretty_and_readable(reports: dict[str, Report]) -> None:
    text = report_json(reports["coverage"])
    assert "\n  " in text
    assert "Дельта" in text  # not \\u escaped


def test_filename_is_safe(reports: dict[str, Report], session: Session, scope: Scope) -> None:
    assert reports["rating"].filename == "rating_week"
    span = parse_period("2026-03-02..2026-03-04", now=rf.NOW, tz=MSK)
    report = build_report(session, rf.settings(), "tasks", span, scope, now=rf.NOW, render=False)
    assert report.filename == "tasks_2026-03-02_2026-03-04"
    assert Path(report.filename).name == report.filename


def test_an_empty_store_still_reports(tmp_path: Path) -> None:
    """The first run: employees synced, nothing else, no sync finished yet."""
    engine = rf.open_store(tmp_path / "empty.db", data=sales_team(), as_of=None)
    conf = rf.settings()
    week = parse_period("week", now=rf.NOW, tz=MSK)
    try:
        with Session(engine) as session:
            scope = company_scope(session, conf)
            for name in REPORT_NAMES:
                report = build_report(session, conf, name, week, scope, now=rf.NOW)
                assert report.png is not None and report.png.startswith(PNG_MAGIC), name
                assert report.data["data_as_of"] is None
                lines = rf.telegram_text(report.caption_html).splitlines()
                assert lines[-1] == "⚠️ данные ещё не загружены из Битрикс24", name
                assert report_xlsx(report)
    finally:
        engine.dispose()
