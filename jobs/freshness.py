"""Posts go out on fresh data: sync first when the store is behind, or say how old it is."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from jobs.deps import JobDeps
from kpi.common import data_as_of
from locales import _
from reports.markup import Block, b, line, to_bb, to_html
from reports.text import WARN, Fmt

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Freshness:
    as_of: datetime | None
    stale: bool  # still older than the limit after trying to sync


def read_as_of(engine: Engine) -> datetime | None:
    with Session(engine) as session:
        return data_as_of(session)


def is_fresh(as_of: datetime | None, now: datetime, limit: timedelta) -> bool:
    return as_of is not None and now - as_of <= limit


async def run_sync(deps: JobDeps, *, full: bool) -> bool:
    """One sync under the process's sync lock; False when it raised or reported errors."""
    async with deps.sync_lock:
        try:
            report = await deps.sync(full)
        except Exception:
            log.exception("%s sync failed", "full" if full else "incremental")
            return False
    return bool(getattr(report, "ok", True))


async def ensure_fresh(deps: JobDeps, now: datetime) -> Freshness:
    """Data no older than ``schedule.freshness``: sync if needed (once, whoever asks)."""
    limit = deps.schedule.freshness
    as_of = await asyncio.to_thread(read_as_of, deps.engine)
    if is_fresh(as_of, now, limit):
        return Freshness(as_of, stale=False)
    async with deps.sync_lock:
        # a sync that finished while we waited for the lock may have done the work
        as_of = await asyncio.to_thread(read_as_of, deps.engine)
        if not is_fresh(as_of, now, limit):
            try:
                await deps.sync(False)
            except Exception:
                log.exception("the sync before a post failed; posting with a warning")
            as_of = await asyncio.to_thread(read_as_of, deps.engine)
    stale = not is_fresh(as_of, now, limit)
    if stale:
        log.warning("data as of %s is older than %s: posting with a warning", as_of, limit)
    return Freshness(as_of, stale=stale)


def stale_blocks(fresh: Freshness, fmt: Fmt) -> list[Block]:
    if fresh.as_of is None:
        text = f"{WARN} " + _("Данные ещё не загружены из Битрикс24")
    else:
        failed = _("Данные на {moment}: обновить их из Битрикс24 не удалось")
        text = f"{WARN} " + failed.format(moment=fmt.when(fresh.as_of))
    return [Block((line(b(text)),), keep=True)]


def stale_text(fresh: Freshness, fmt: Fmt) -> tuple[str, str]:
    """The visible "data as of" warning, in Telegram HTML and Bitrix24 BB-code."""
    blocks = stale_blocks(fresh, fmt)
    return to_html(blocks), to_bb(blocks)
