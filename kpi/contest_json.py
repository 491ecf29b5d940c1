"""Contests as DESIGN.md's stable JSON: ``contest list --json`` and ``contest show ID --json``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from kpi.contests import Standings, status_of
from kpi.deals import CENT
from store.game_models import Contest


def number(metric: str, value: Decimal | None) -> Any:
    """Money as a decimal string in kopecks, whole counts as integers, the rest as numbers."""
    if value is None:
        return None
    if metric == "revenue":
        return str(value.quantize(CENT))
    return int(value) if value == value.to_integral_value() else float(value)


def contest_json(contest: Contest) -> dict[str, Any]:
    target = None if contest.target is None else Decimal(contest.target)
    return {
        "id": contest.id,
        "name": contest.name,
        "metric": contest.metric,
        "kind": contest.kind,
        "start": contest.start_day.isoformat(),
        "end": contest.end_day.isoformat(),
        "target": number(contest.metric, target),
    }


def list_json(contests: list[Contest], *, now: datetime, tz: ZoneInfo) -> dict[str, Any]:
    return {"contests": [{**contest_json(c), "status": status_of(c, now, tz)} for c in contests]}


def show_json(standings: Standings) -> dict[str, Any]:
    key = "department_id" if standings.teams else "employee_id"
    metric = standings.contest.metric
    return {
        "contest": {
            **contest_json(standings.contest),
            "status": standings.status,
            "department_id": standings.contest.department_id,
            "prize": standings.contest.prize,
            "team_mode": standings.contest.team_mode if standings.teams else None,
            "winner_id": standings.contest.winner_id,
        },
        "rows": [
            {
                "rank": row.rank,
                key: row.id,
                "name": row.name,
                "value": number(metric, row.value),
                "distance": number(metric, row.distance(standings.target)),
            }
            for row in standings.rows
        ],
    }
