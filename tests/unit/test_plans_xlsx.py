"""Plans to and from Excel through `crm-pulse plans`, and the reports seeing them."""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from app import cmd_plans
from app.config import load_config
from app.settings import kpi_settings
from kpi.channels import effective_costs
from kpi.plan import plan_targets
from kpi.scope import sales_employees
from store.db import make_engine
from store.models import Department, User, UserDepartment
from store.plan_models import current_plans, plan_history


@pytest.fixture
def config_path(store_url: str, tmp_path: Path) -> Path:
    engine = make_engine(store_url)
    with Session(engine) as session:
        session.add(Department(id=1, name="Компания", parent_id=None, head_id=1))
        session.add(Department(id=3, name="Продажи", parent_id=1, head_id=10))
        for uid, dept in [(10, 3), (11, 3), (12, 3)]:
            session.add(
                User(id=uid, first_name=f"Имя{uid}", last_name="Фамилия", department_ids=[dept])
            )
            session.add(UserDepartment(user_id=uid, department_id=dept))
        session.commit()
    engine.dispose()
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[storage]
url = "{store_url}"
[scope]
sales_departments = [3]
[plans.department.3.month]
calls = 100
revenue = 500000
[plans.employee.11.month]
calls = 80
[channels.costs]
"CALL" = {{ "2026-11" = 150000 }}
""",
        encoding="utf-8",
    )
    return path


def _plans(config_path: Path, action: str, file: Path) -> int:
    args = argparse.Namespace(config=config_path, action=action, file=file)
    return cmd_plans.run(args)


def _targets(config_path: Path, metric: str, length: str = "month") -> dict[int, Decimal | None]:
    config = load_config(config_path, environ={})
    settings = kpi_settings(config)
    engine = make_engine(config.storage.url)
    with Session(engine) as session:
        found = plan_targets(
            session, settings.plans, sales_employees(session, settings), length, metric
        )
    engine.dispose()
    return found


def _store_rows(config_path: Path) -> list[tuple[str, int, str, str, Decimal | None, str]]:
    engine = make_engine(load_config(config_path, environ={}).storage.url)
    with Session(engine) as session:
        rows = [
            (r.target_kind, r.target_id, r.length, r.metric, r.value, r.set_by)
            for r in current_plans(session)
        ]
    engine.dispose()
    return rows


def test_export_then_import_unchanged_changes_nothing(config_path: Path, tmp_path: Path) -> None:
    sheet_file = tmp_path / "plans.xlsx"
    assert _plans(config_path, "export", sheet_file) == 0
    book = load_workbook(sheet_file)
    assert book.sheetnames == ["day", "week", "month", "quarter", "year", "channels"]
    month = book["month"]
    header = [c.value for c in month[1]]
    assert header[:4] == ["kind", "id", "name", "calls"]
    rows = {(r[0], r[1]): r for r in month.iter_rows(min_row=2, values_only=True)}
    calls, revenue = header.index("calls"), header.index("revenue")
    assert rows[("department", 3)][calls] == 100
    assert rows[("department", 3)][revenue] == 500000
    assert rows[("employee", 11)][calls] == 80
    assert rows[("employee", 10)][calls] is None  # no plan of their own
    assert _plans(config_path, "import", sheet_file) == 0
    assert _store_rows(config_path) == []


def test_import_sets_and_removes_with_who_and_when(config_path: Path, tmp_path: Path) -> None:
    sheet_file = tmp_path / "plans.xlsx"
    _plans(config_path, "export", sheet_file)
    book = load_workbook(sheet_file)
    month = book["month"]
    header = [c.value for c in month[1]]
    for row in month.iter_rows(min_row=2):
        if (row[0].value, row[1].value) == ("employee", 10):
            row[header.index("calls")].value = 120
        if (row[0].value, row[1].value) == ("department", 3):
            row[header.index("revenue")].value = "600 000"
    book.save(sheet_file)
    assert _plans(config_path, "import", sheet_file) == 0
    assert _targets(config_path, "calls") == {10: 120, 11: 80, 12: 100}
    assert _targets(config_path, "revenue") == {10: 600000, 11: 600000, 12: 600000}
    rows = _store_rows(config_path)
    assert sorted(r[:5] for r in rows) == [
        ("department", 3, "month", "revenue", Decimal(600000)),
        ("employee", 10, "month", "calls", Decimal(120)),
    ]
    assert all(r[5].startswith("xlsx plans.xlsx (") for r in rows)

    for row in month.iter_rows(min_row=2):
        if (row[0].value, row[1].value) == ("employee", 10):
            row[header.index("calls")].value = "-"
    book.save(sheet_file)
    assert _plans(config_path, "import", sheet_file) == 0
    assert _targets(config_path, "calls") == {10: 100, 11: 80, 12: 100}
    engine = make_engine(load_config(config_path, environ={}).storage.url)
    with Session(engine) as session:
        history = plan_history(session, "employee", 10, "month", "calls")
    engine.dispose()
    assert [h.value for h in history] == [Decimal(120), None]
    assert history[0].set_at <= history[1].set_at


def test_a_bad_cell_changes_nothing_and_each_is_listed(
    config_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet_file = tmp_path / "plans.xlsx"
    _plans(config_path, "export", sheet_file)
    book = load_workbook(sheet_file)
    month = book["month"]
    month["D3"] = 150  # a good change, in the same file as the bad ones
    month["E3"] = "много"
    month["F4"] = -5
    month.append(["employee", 999, "Никто", 10])
    month.append(["team", 3, "?", 10])
    book["week"]["K1"] = "calories"
    book.create_sheet("decade")
    book.save(sheet_file)
    assert _plans(config_path, "import", sheet_file) == 1
    err = capsys.readouterr().err
    assert "nothing changed" in err
    for where in ("month!E3", "month!F4", "week!K1", "decade:"):
        assert where in err
    assert "no employee with id 999" in err
    assert "'team' is not department or employee" in err
    assert _store_rows(config_path) == []
    assert _targets(config_path, "calls") == {10: 100, 11: 80, 12: 100}


def test_not_a_workbook_is_one_line(
    config_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "plans.xlsx"
    bad.write_text("not a zip", encoding="utf-8")
    assert _plans(config_path, "import", bad) == 1
    assert "not an Excel workbook" in capsys.readouterr().err


def test_channel_costs_through_the_channels_sheet(
    config_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet_file = tmp_path / "plans.xlsx"
    _plans(config_path, "export", sheet_file)
    book = load_workbook(sheet_file)
    sheet = book["channels"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["source_id", "source", "2026-11"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["CALL"][2] == 150000
    sheet.append(["WEB", "Сайт", 90000])
    book.save(sheet_file)
    assert _plans(config_path, "import", sheet_file) == 0
    assert "channel WEB 2026-11: 90000.00" in capsys.readouterr().out

    engine = make_engine(load_config(config_path, environ={}).storage.url)
    settings = kpi_settings(load_config(config_path, environ={}))
    with Session(engine) as session:
        assert effective_costs(session, settings.channel_costs) == {
            "CALL": {"2026-11": Decimal(150000)},
            "WEB": {"2026-11": Decimal(90000)},
        }
    book = load_workbook(sheet_file)
    book["channels"]["C3"] = "-"  # WEB's cost removed again
    book["channels"]["D1"] = "ноябрь"
    book.save(sheet_file)
    assert _plans(config_path, "import", sheet_file) == 1
    assert "channels!D1: 'ноябрь' is not YYYY-MM" in capsys.readouterr().err
    book["channels"]["D1"] = None
    book.save(sheet_file)
    assert _plans(config_path, "import", sheet_file) == 0
    with Session(engine) as session:
        assert "WEB" not in effective_costs(session, settings.channel_costs)
    engine.dispose()
