"""``crm-pulse report NAME``: one report to a folder (PNG, captions, xlsx) or as JSON."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from sqlmodel import Session, col, select

from app.cmd_sync import open_store
from app.config import load_config, speak
from app.logs import setup_logging
from app.outputs import write_report
from app.settings import kpi_settings
from bot.lookup import StoreDirectory, scope_of
from kpi.periods import PeriodError, parse_period
from kpi.scope import Scope, ScopeError, company_scope
from kpi.settings import KpiSettings
from reports.build import REPORT_NAMES, ReportError, build_report, report_json
from store.models import SyncState


class UsageError(Exception):
    """A report, period, employee or department that does not exist; lists what does."""


def resolve_scope(
    session: Session, settings: KpiSettings, employee: str | None, department: str | None
) -> Scope:
    """The scope the flags name, looked up as the chat commands look names up."""
    if employee and department:
        msg = "give --employee or --department, not both"
        raise UsageError(msg)
    directory = StoreDirectory(session, settings)
    if employee:
        flag, text, lookup = "--employee", employee, directory.employees
    elif department:
        flag, text, lookup = "--department", department, directory.departments
    else:
        return company_scope(session, settings)
    found = lookup(text)
    if len(found) != 1:
        what = "matches several" if found else "matches nothing"
        names = ", ".join(f"{t.id} {t.name}" for t in found or lookup(""))
        hint = f"choose one of: {names}" if names else "the store has none: run crm-pulse sync"
        msg = f"{flag} {text!r} {what}; {hint}"
        raise UsageError(msg)
    return scope_of(session, settings, found[0])


def ever_synced(session: Session) -> bool:
    """Whether any sync ever finished a pass into this store."""
    done = select(SyncState.entity).where(col(SyncState.last_success_at).is_not(None)).limit(1)
    return session.exec(done).first() is not None


def run(args: argparse.Namespace) -> int:
    if args.name not in REPORT_NAMES:
        print(
            f"crm-pulse: unknown report {args.name!r}; choose one of: {', '.join(REPORT_NAMES)}",
            file=sys.stderr,
        )
        return 2
    config = load_config(args.config)
    speak(config, getattr(args, "lang", None))
    setup_logging(config.logging.level)
    settings = kpi_settings(config)
    engine = open_store(config)
    now = datetime.now(tz=settings.tz)
    try:
        period = parse_period(args.period, now=now, tz=settings.tz)
        with Session(engine) as session:
            if not ever_synced(session):
                print(
                    "crm-pulse: nothing has been synced into this store yet, so every figure "
                    f"is zero: run crm-pulse sync --config {args.config} first",
                    file=sys.stderr,
                )
            scope = resolve_scope(session, settings, args.employee, args.department)
            report = build_report(
                session, settings, args.name, period, scope, now=now, render=not args.json
            )
    except (PeriodError, UsageError, ScopeError, ReportError) as exc:
        print(f"crm-pulse: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if args.json:
        print(report_json(report))
        return 0
    files = write_report(report, args.out, xlsx=args.xlsx)
    for path in files:
        print(path)
    return 0
