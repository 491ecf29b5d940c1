"""``crm-pulse plans export|import FILE.xlsx``: plans through an Excel workbook.

Import checks every cell first; on any error it changes nothing and lists each bad cell
(exit 1). Each change is kept in the store with who and when (``store.plan_models``).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime
from zipfile import BadZipFile

from sqlmodel import Session

from app.cmd_sync import open_store
from app.config import load_config, speak
from app.settings import kpi_settings
from app.setup_plans_xlsx import PlanSheetError, export, read_changes
from store.plan_models import record_costs, record_plans


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    speak(config)
    settings = kpi_settings(config)
    engine = open_store(config)
    try:
        with Session(engine) as session:
            if args.action == "export":
                count = export(session, settings, args.file, datetime.now(tz=settings.tz))
                print(f"Wrote {args.file}: {count} targets (sheets day, week, month, ...).")
                return 0
            try:
                changes = read_changes(session, settings, args.file)
            except (FileNotFoundError, BadZipFile, OSError, KeyError) as exc:
                print(f"crm-pulse: {args.file}: not an Excel workbook ({exc})", file=sys.stderr)
                return 1
            except PlanSheetError as exc:
                print(f"{args.file}: nothing changed; fix these cells:", file=sys.stderr)
                for problem in exc.problems:
                    print(f"  {problem}", file=sys.stderr)
                return 1
            who = f"xlsx {args.file.name} ({getpass.getuser()})"
            at = datetime.now(tz=UTC)
            record_plans(session, changes.plans, set_by=who, at=at)
            record_costs(session, changes.costs, set_by=who, at=at)
            session.commit()
    finally:
        engine.dispose()
    print(f"{args.file}: {len(changes.plans)} targets and {len(changes.costs)} costs changed.")
    for change in changes.plans:
        shown = "removed" if change.value is None else f"{change.value:f}"
        print(
            f"  {change.target_kind} {change.target_id} {change.length} {change.metric}: {shown}"
        )
    for cost in changes.costs:
        shown = "removed" if cost.amount is None else f"{cost.amount:f}"
        print(f"  channel {cost.source_id} {cost.month}: {shown}")
    return 0
