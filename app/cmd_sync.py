"""``crm-pulse sync``: one sync of the portal into the store, with progress and a summary."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from sqlalchemy.engine import Engine

from app.config import Config, ConfigError, load_config
from app.logs import setup_logging
from app.progress import Progress
from app.wiring import bitrix_client, http_client, sync_options
from crm.client import BitrixClient
from crm.errors import AuthError, BitrixError, ScopeError
from crm.sync import SyncReport, run_sync
from store.db import make_engine, refresh_statistics
from store.migrate import migrate


def open_store(config: Config) -> Engine:
    """The configured store, migrated to the current schema."""
    engine = make_engine(config.storage.url)
    migrate(engine)
    return engine


async def sync_once(
    config: Config,
    engine: Engine,
    *,
    full: bool = False,
    progress: Progress | None = None,
    client: BitrixClient | None = None,
) -> SyncReport:
    """One sync; ``client`` is the process's own when it has one (one pacer per portal)."""
    if not config.portal.webhook_url.get_secret_value():
        msg = (
            "portal.webhook_url is empty: create an inbound webhook on the portal "
            "(Developer resources > Other > Inbound webhook) and set it in the config "
            "or in CRM_PULSE_PORTAL__WEBHOOK_URL"
        )
        raise ConfigError(msg)
    if client is not None:
        report = await run_sync(client, engine, sync_options(config), full=full, progress=progress)
    else:
        async with http_client(config) as http:
            own = bitrix_client(config, http)
            report = await run_sync(
                own, engine, sync_options(config), full=full, progress=progress
            )
    if report.written or report.deleted:
        await asyncio.to_thread(refresh_statistics, engine)
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
    try:
        report = asyncio.run(sync_once(config, engine, full=args.full, progress=progress))
    except (AuthError, ScopeError) as exc:
        progress.close()
        print(f"crm-pulse: the portal refused the webhook: {exc}", file=sys.stderr)
        return 3
    except BitrixError as exc:
        progress.close()
        print(f"crm-pulse: sync failed: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    progress.close()
    print_report(report, sys.stdout)
    return 0 if report.ok else 1
