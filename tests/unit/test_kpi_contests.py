"""Contest standings on the emulator's data against figures read straight from the rows,
the revenue contest against the revenue report, and refusals that store nothing."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.cli import main
from kpi.contest_input import ContestError, check_contest
from kpi.contests import running_contests, standings, teams_of
from kpi.periods import range_period
from kpi.plan import plan_report
from kpi.scope import company_scope, department_tree
from kpi.settings import KpiSettings
from store.game_models import Contest
from store.models import Call, Deal, Department, UserDepartment

World = tuple[object, KpiSettings, datetime, int]


@pytest.fixture
def world(emulator_world: tuple[object, ...]) -> World:
    return emulator_world  # type: ignore[return-value]


def contest(metric: str, first: date, last: date, **extra: object) -> Contest:
    return Contest(
        id=1,
        name="t",
        metric=metric,
        start_day=first,
        end_day=last,
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
        **extra,
    )


def rows_by_day(
    session: Session, settings: KpiSettings, first: date, last: date
) -> dict[str, dict[int, Decimal]]:
    out: dict[str, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for user, start in session.execute(select(col(Call.user_id), col(Call.start_at))):
        if user is not None and first <= start.astimezone(settings.tz).date() <= last:
            out["calls"][user] += 1
    for user, semantics, amount, closed in session.execute(
        select(
            col(Deal.responsible_id),
            col(Deal.stage_semantics),
            col(Deal.amount),
            col(Deal.close_date),
        )
    ):
        if (
            semantics == "S"
            and closed is not None
            and first <= closed <= last
            and user is not None
        ):
            out["revenue"][user] += amount or Decimal(0)
            out["deals_won"][user] += 1
    return out


RANGES = [
    (date(2026, 11, 1), date(2026, 11, 30)),  # a running month, cut to today
    (date(2026, 10, 3), date(2026, 10, 12)),  # from a Saturday over two weekends
    (date(2026, 11, 14), date(2026, 11, 15)),  # a weekend only
]


@pytest.mark.parametrize("metric", ["calls", "revenue", "deals_won"])
@pytest.mark.parametrize(("first", "last"), RANGES)
def test_standings_match_the_rows(world: World, metric: str, first: date, last: date) -> None:
    engine, settings, now, _ = world
    with Session(engine) as session:  # type: ignore[arg-type]
        got = standings(session, contest(metric, first, last), settings, now=now)
        ref = rows_by_day(session, settings, first, min(last, now.astimezone(settings.tz).date()))
        employees = company_scope(session, settings).employees
    expected = sorted(
        ((ref[metric][e.id], ref["revenue"][e.id], e.name, e.id) for e in employees),
        key=lambda x: (-x[0], -x[1], x[2], x[3]),
    )
    assert [(r.id, r.value) for r in got.rows] == [(x[3], x[0]) for x in expected]
    assert [r.rank for r in got.rows] == list(range(1, len(employees) + 1))


def test_a_revenue_contest_equals_the_revenue_report_to_the_kopeck(world: World) -> None:
    engine, settings, now, _ = world
    with Session(engine) as session:  # type: ignore[arg-type]
        got = standings(
            session, contest("revenue", date(2026, 9, 1), date(2026, 11, 30)), settings, now=now
        )
        period = range_period(date(2026, 9, 1), date(2026, 11, 19), now=now, tz=settings.tz)
        report = plan_report(session, got.scope, period, settings, now=now)
    assert {r.id: r.value for r in got.rows} == {r.employee_id: r.revenue for r in report.rows}
    assert sum(r.value for r in got.rows) == report.total.revenue > 0


def test_team_contest_sums_each_team_below_the_sales_department(world: World) -> None:
    engine, settings, now, department = world
    with Session(engine) as session:  # type: ignore[arg-type]
        teams = teams_of(session, settings)
        got = standings(
            session,
            contest("calls", date(2026, 11, 2), date(2026, 11, 13), kind="teams"),
            settings,
            now=now,
        )
        ref = rows_by_day(session, settings, date(2026, 11, 2), date(2026, 11, 13))
        employees = company_scope(session, settings).employees
        parents = {
            d: p for d, p in session.execute(select(col(Department.id), col(Department.parent_id)))
        }
    assert teams and all(parents[t] == department for t in teams)
    expected: dict[int, Decimal] = defaultdict(Decimal)
    for e in employees:
        dept = e.department_id
        while dept is not None and dept not in teams:
            dept = parents.get(dept)
        if dept is not None:
            expected[dept] += ref["calls"][e.id]
    assert {r.id: r.value for r in got.rows} == dict(expected)
    assert got.teams and got.leader_key == f"d{got.rows[0].id}"


def _config(tmp_path: Path, engine: object) -> Path:
    url = str(engine.url)  # type: ignore[attr-defined]
    path = tmp_path / "c.toml"
    path.write_text(
        f'[storage]\nurl = "{url}"\n[scope]\nsales_departments = [2]\n', encoding="utf-8"
    )
    return path


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--metric", "likes"], "metrics: calls, successful_calls"),
        (["--start", "2099-01-10", "--end", "2099-01-01"], "before it starts"),
        (["--start", "2099-01-01", "--end", "2108-12-31"], "at most 366 days"),
        (["--department", "999999"], "matches nothing"),
        (["--kind", "target"], "target above 0"),
    ],
)
def test_bad_contests_are_refused_naming_what_is_allowed_and_nothing_is_stored(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], says: str
) -> None:
    engine, _, _, _ = world
    args = {"--name": "Рывок", "--metric": "calls", "--start": "2099-01-01", "--end": "2099-01-31"}
    for n in range(0, len(flags), 2):
        args[flags[n]] = flags[n + 1]
    argv = ["contest", "start", "--config", str(_config(tmp_path, engine))]
    argv += [item for pair in args.items() for item in pair]
    assert main(argv) == 2
    assert says in capsys.readouterr().err
    with Session(engine) as session:  # type: ignore[arg-type]
        assert session.execute(select(func.count()).select_from(Contest)).scalar_one() == 0


def test_a_head_may_start_contests_only_in_their_own_tree(world: World) -> None:
    engine, settings, now, department = world
    with Session(engine) as session:  # type: ignore[arg-type]
        teams = sorted(teams_of(session, settings))
        mine = department_tree(session, [teams[0]])
        with pytest.raises(ContestError, match="allowed: "):
            check_contest(
                session,
                settings,
                name="x",
                metric="calls",
                start=date(2099, 1, 1),
                end=date(2099, 1, 5),
                now=now,
                department_id=teams[1],
                allowed_departments=mine,
            )
        draft = check_contest(
            session,
            settings,
            name="x",
            metric="calls",
            start=date(2099, 1, 1),
            end=date(2099, 1, 5),
            now=now,
            department_id=teams[0],
            allowed_departments=mine,
        )
    assert draft.department_id == teams[0]


def test_running_contests_for_a_scope_come_with_standings(world: World) -> None:
    engine, settings, now, department = world
    with Session(engine) as session:  # type: ignore[arg-type]
        teams = sorted(teams_of(session, settings))
        session.add(
            contest("calls", date(2026, 11, 1), date(2026, 11, 30), department_id=teams[0])
        )
        session.add(
            Contest(
                name="over",
                metric="calls",
                start_day=date(2026, 10, 1),
                end_day=date(2026, 10, 31),
                created_at=now,
            )
        )
        session.commit()
        mine = running_contests(session, settings, now=now, department_id=teams[0])
        other = running_contests(session, settings, now=now, department_id=teams[1])
        members = set(
            session.execute(
                select(col(UserDepartment.user_id)).where(
                    col(UserDepartment.department_id).in_(department_tree(session, [teams[0]]))
                )
            ).scalars()
        )
        names = [s.contest.name for s in mine]
        status = mine[0].status
        session.execute(Contest.__table__.delete())  # type: ignore[attr-defined]
        session.commit()
    assert names == ["t"] and other == []
    assert {r.id for r in mine[0].rows} <= members and status == "running"


def test_the_cli_prints_design_md_json(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine, _, _, _ = world
    config = str(_config(tmp_path, engine))
    start = ["contest", "start", "--config", config, "--name", "Декабрь", "--metric", "revenue"]
    start += ["--start", "2099-12-01", "--end", "2099-12-31", "--prize", "Ужин"]
    assert main(start) == 0
    contest_id = int(capsys.readouterr().out.strip().splitlines()[-1])
    assert main(["contest", "list", "--config", config, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == {
        "contests": [
            {
                "id": contest_id,
                "name": "Декабрь",
                "metric": "revenue",
                "kind": "top",
                "start": "2099-12-01",
                "end": "2099-12-31",
                "target": None,
                "status": "scheduled",
            }
        ]
    }
    assert main(["contest", "show", str(contest_id), "--config", config, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["contest"]["id"] == contest_id and shown["contest"]["metric"] == "revenue"
    assert shown["rows"] and set(shown["rows"][0]) >= {"rank", "employee_id", "value"}
    assert [r["rank"] for r in shown["rows"]] == list(range(1, len(shown["rows"]) + 1))
    assert all(r["value"] == "0.00" for r in shown["rows"])  # money as a decimal string
    assert main(["contest", "stop", str(contest_id), "--config", config, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "stopped"
    with Session(engine) as session:  # type: ignore[arg-type]
        session.execute(Contest.__table__.delete())  # type: ignore[attr-defined]
        session.commit()
