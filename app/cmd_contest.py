"""``crm-pulse contest start|list|show|stop``: contests from the command line.

``start`` checks the contest as a chat would (``kpi.contest_input``), stores it and prints
its id as the last line; the contest job announces it in the team chats. ``list``, ``show``
and ``stop`` print text, or DESIGN.md's JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from app.cmd_report import UsageError, resolve_scope
from app.cmd_sync import open_store
from app.config import Config, load_config, speak
from app.logs import setup_logging
from app.settings import kpi_settings
from kpi.contest_input import ContestError, check_contest, parse_day
from kpi.contest_json import list_json, number, show_json
from kpi.contests import contests_in, standings
from kpi.scope import ScopeError
from kpi.settings import KpiSettings
from store.game_models import Contest, add_contest, stop_contest


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    speak(config)
    setup_logging(config.logging.level)
    settings = kpi_settings(config)
    engine = open_store(config)
    now = datetime.now(UTC)
    try:
        with Session(engine) as session:
            out = ACTIONS[args.action](session, settings, config, args, now)
    except (ContestError, UsageError, ScopeError) as exc:
        print(f"crm-pulse: {exc}", file=sys.stderr)
        return 2
    except LookupError as exc:
        print(f"crm-pulse: {exc.args[0]}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(json.dumps(out, ensure_ascii=False, indent=2) if args.json else out)
    return 0


def _start(
    session: Session,
    settings: KpiSettings,
    config: Config,
    args: argparse.Namespace,
    now: datetime,
) -> Any:
    department_id = None
    if args.department:
        department_id = resolve_scope(session, settings, None, args.department).id
    draft = check_contest(
        session,
        settings,
        name=args.name,
        metric=args.metric,
        start=parse_day(args.start, "--start"),
        end=parse_day(args.end, "--end"),
        now=now,
        kind=args.kind,
        target=args.target,
        department_id=department_id,
        prize=args.prize,
        team_mode=config.contests.team_mode,
        max_days=config.contests.max_days,
    )
    contest_id = add_contest(
        session,
        Contest(
            name=draft.name,
            metric=draft.metric,
            kind=draft.kind,
            start_day=draft.start,
            end_day=draft.end,
            target=None if draft.target is None else str(draft.target),
            department_id=draft.department_id,
            team_mode=draft.team_mode,
            prize=draft.prize,
            created_by="cli",
            created_at=now,
        ),
    )
    if args.json:
        return contest_id  # a JSON number, and still the id as the last line
    what = f"{draft.metric}, {draft.start}..{draft.end}"
    return f"contest {draft.name!r} ({what}) started\n{contest_id}"


def _list(
    session: Session,
    settings: KpiSettings,
    config: Config,
    args: argparse.Namespace,
    now: datetime,
) -> Any:
    data = list_json(contests_in(session), now=now, tz=settings.tz)
    if args.json:
        return data
    lines = [
        f"{c['id']:>4}  {c['status']:<9} {c['start']}..{c['end']}  {c['kind']:<6} "
        f"{c['metric']:<16} {c['name']}"
        for c in data["contests"]
    ]
    return "\n".join(lines) if lines else "no contests yet: crm-pulse contest start ..."


def _get(session: Session, contest_id: int) -> Contest:
    contest = session.get(Contest, contest_id)
    if contest is None:
        msg = f"no contest {contest_id}; crm-pulse contest list shows the ones there are"
        raise LookupError(msg)
    return contest


def _show(
    session: Session,
    settings: KpiSettings,
    config: Config,
    args: argparse.Namespace,
    now: datetime,
) -> Any:
    figures = standings(session, _get(session, args.id), settings, now=now)
    data = show_json(figures)
    if args.json:
        return data
    head = data["contest"]
    lines = [
        f"{head['name']} ({head['metric']}, {head['kind']}, {head['start']}..{head['end']}, "
        f"{head['status']})"
    ]
    lines += [f"{r.rank:>3}. {r.name} — {number(head['metric'], r.value)}" for r in figures.rows]
    return "\n".join(lines)


def _stop(
    session: Session,
    settings: KpiSettings,
    config: Config,
    args: argparse.Namespace,
    now: datetime,
) -> Any:
    _get(session, args.id)
    contest = stop_contest(session, args.id, now)
    assert contest is not None
    data = list_json([contest], now=now, tz=settings.tz)["contests"][0]
    return data if args.json else f"contest {contest.id} {contest.name!r} stopped"


ACTIONS = {"start": _start, "list": _list, "show": _show, "stop": _stop}
