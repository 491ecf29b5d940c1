"""``crm-pulse sync``: one sync of the portal into the store, with progress and a summary.

Every sync of a store (this command, the schedule of ``crm-pulse run``, ``demo``, ``init``)
goes through ``sync_once``, which holds the store's "sync" lock for the run: two at once
would write over each other's cursors and leave them empty. The second one waits a bounded
time, saying who holds the lock, then runs (an incremental sync that reads almost nothing)
or gives up with ``StoreBusy``; nothing is lost either way.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import datetime
from typing import TextIO

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from app.config import Config, ConfigError, load_config
from app.logs import setup_logging
from app.progress import Progress
from app.wiring import bitrix_client, http_client, sync_options
from crm.client import BitrixClient
from crm.errors import AuthError, BitrixError, ScopeError
from crm.sync import SyncReport, run_sync
from store.db import explain, make_engine, refresh_statistics, store_address, unanalysed
from store.errors import StoreError
from store.locks import hold_async
from store.migrate import migrate
from store.models import ENTITY_TABLES, SyncState

log = logging.getLogger("app.sync")

# How long a sync waits for another one of the same store before it gives up: longer than a
# full sync of a large portal (about 2.5 minutes at the standard plan's rate limit).
SYNC_WAIT_SECONDS = 600.0


def open_store(config: Config) -> Engine:
    """The configured store, migrated to the current schema; ``StoreError`` names the key."""
    engine = make_engine(config.storage.url)
    try:
        migrate(engine)
    except StoreError as exc:
        engine.dispose()
        shown = store_address(config.storage.url)
        raise type(exc)(f"storage.url = {shown!r}: {exc}", exit_code=exc.exit_code) from None
    return engine


def _full_passes(engine: Engine) -> dict[str, datetime | None]:
    with Session(engine) as session:
        rows = session.exec(select(SyncState.entity, SyncState.full_done_at)).all()
    return dict(rows)


def _analyze_after(engine: Engine, before: dict[str, datetime | None], wrote: bool) -> None:
    """ANALYZE each table whose full pass ended in this run (resumed or not), and each filled
    table the planner has no statistics of (its pass ended in a run killed before its end).

    The planner must see a table once it is filled; an incremental sync that changed a few
    rows does not move the statistics enough to matter, so it costs nothing.
    """
    after = _full_passes(engine)
    filled = {e for e, at in after.items() if at is not None and e in ENTITY_TABLES}
    ended = {e for e in filled if after[e] != before.get(e)}
    names = {e: str(ENTITY_TABLES[e].__tablename__) for e in filled}
    tables = {names[e] for e in ended} | unanalysed(engine, names.values())
    if tables:
        log.info("refreshing planner statistics of %s", ", ".join(sorted(tables)))
        refresh_statistics(engine, tables)
    elif wrote and engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            connection.exec_driver_sql("PRAGMA optimize")


async def sync_once(
    config: Config,
    engine: Engine,
    *,
    full: bool = False,
    progress: Progress | None = None,
    client: BitrixClient | None = None,
    wait: float = SYNC_WAIT_SECONDS,
    out: TextIO | None = None,
) -> SyncReport:
    """One sync under the store's sync lock; ``client`` is the process's own when it has one
    (one pacer per portal). ``out`` hears that we wait for another sync, if we do."""
    if config.portal.auth == "webhook" and not config.portal.webhook_url.get_secret_value():
        msg = (
            "portal.webhook_url is empty: create an inbound webhook on the portal "
            "(Developer resources > Other > Inbound webhook) and set it in the config "
            "or in CRM_PULSE_PORTAL__WEBHOOK_URL"
        )
        raise ConfigError(msg)

    def waiting(holder: str) -> None:
        if out is not None:
            out.write(f"crm-pulse: another sync of this store is running ({holder}); ")
            out.write(f"waiting for it to finish (up to {wait:.0f} s)...\n")
            out.flush()

    async with hold_async(engine, "sync", wait=wait, what="another sync", on_wait=waiting):
        before = await asyncio.to_thread(_full_passes, engine)
        options = sync_options(config)
        if client is not None:
            report = await run_sync(client, engine, options, full=full, progress=progress)
        else:
            async with http_client(config) as http:
                own = bitrix_client(config, http, engine)
                report = await run_sync(own, engine, options, full=full, progress=progress)
        await asyncio.to_thread(
            _analyze_after, engine, before, bool(report.written or report.deleted)
        )
    return report


def print_report(report: SyncReport, out: TextIO) -> None:
    out.write(f"{'entity':<14}{'fetched':>10}{'written':>10}{'deleted':>10}{'skipped':>10}\n")
    for name, counts in report.entities.items():
        out.write(
            f"{name:<14}{counts.fetched:>10,}{counts.written:>10,}"
            f"{counts.deleted:>10,}{counts.skipped:>10,}\n"
        )
    rate = report.fetched / report.requests if report.requests else 0
    out.write(
        f"{report.requests:,} requests ({rate:,.0f} rows each) in "
        f"{report.duration_seconds:.1f} s{' (full)' if report.full else ''}\n"
    )
    for name, error in report.errors.items():
        out.write(f"{name}: FAILED: {error}\n")


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    setup_logging(config.logging.level)
    engine = open_store(config)
    progress = Progress()
    wait = SYNC_WAIT_SECONDS if getattr(args, "wait", None) is None else max(0.0, args.wait)
    try:
        report = asyncio.run(
            sync_once(config, engine, full=args.full, progress=progress, wait=wait, out=sys.stderr)
        )
    except (AuthError, ScopeError) as exc:
        progress.close()
        print(f"crm-pulse: the portal refused the webhook: {exc}", file=sys.stderr)
        return 3
    except BitrixError as exc:
        progress.close()
        print(f"crm-pulse: sync failed: {exc}", file=sys.stderr)
        return 1
    except DBAPIError as exc:
        progress.close()
        reason = explain(exc)
        if reason is None:
            raise
        shown = store_address(config.storage.url)
        msg = f"sync stopped: the store {shown} refused a write: {reason}; what was "
        msg += "written before stays, and the next sync resumes from there"
        raise StoreError(msg) from None
    finally:
        engine.dispose()
    progress.close()
    print_report(report, sys.stdout)
    return 0 if report.ok else 1
