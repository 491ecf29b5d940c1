"""Listing a table through batches: keyset chains sized by a count, the next one prefetched.

``keyset_pages`` reads rows with id > ``after_id`` in ascending id order, one chunk per
batch. Its first batch starts with ``start=0``, so the portal counts the rows to come
(``result_total``); later batches ask for exactly the pages still missing, and the listing
stops as soon as that many rows arrived, instead of sending chained commands past the last
page (they would restart the chain and read rows for nothing). While the caller writes one
chunk, the request for the next is already on its way; the pacing of the client decides
when it goes.

``offset_pages`` serves the methods without keyset support; ``count`` asks for a total only.
Every request goes through ``submit`` (``BatchPool.submit`` of the client), so commands of
listings that run at the same time share batches.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

from crm.errors import ServerError
from crm.methods import PAGE_SIZE, ListSpec, read_chain
from crm.pacing import RetryPolicy
from crm.query import MAX_BATCH, BatchResult

__all__ = ["Submit", "count", "keyset_pages", "offset_pages"]

Submit = Callable[..., Awaitable[BatchResult]]
Prefix = Callable[[], str]


def _pages_for(rows: int, most: int) -> int:
    return max(1, min(most, -(-rows // PAGE_SIZE)))


async def keyset_pages(
    submit: Submit,
    prefix: Prefix,
    retry: RetryPolicy,
    spec: ListSpec,
    *,
    filter: Mapping[str, Any] | None,
    select: Sequence[str] | None,
    after_id: int,
    pages_per_request: int,
    expected: int | None = None,
    exact: bool = False,
) -> AsyncIterator[list[dict[str, Any]]]:
    """See the module docstring; ``expected`` guesses the rows to come (None: no count).

    ``exact``: ``expected`` is the portal's own count for this filter and cursor, just taken,
    so the first batch does not count again (a count costs the method's budget a scan).
    """
    most = max(1, min(pages_per_request, MAX_BATCH))

    async def fetch(cursor: int, pages: int, counted: bool) -> tuple[list[str], BatchResult, bool]:
        commands = dict(
            spec.keyset_commands(
                filter=filter, select=select, after_id=cursor, pages=pages, prefix=prefix()
            )
        )
        keys = list(commands)
        if counted:
            method, params = commands[keys[0]]
            commands[keys[0]] = (method, {**params, spec.start_param: 0})
        return keys, await submit(commands, halt=True), counted

    cursor, attempt, fetched = after_id, 0, 0
    total: int | None = expected if exact else None
    # With a guess, the first batch is sized by it and its first page counts what is to
    # come; without one, every batch chains ``pages_per_request`` pages to a short page.
    first = most if expected is None else _pages_for(expected + 1, most)
    counting = expected is not None and total is None and spec.countable
    pending = asyncio.ensure_future(fetch(cursor, first, counting))
    try:
        while True:
            keys, result, counted = await pending
            if counted and total is None and keys[0] in result.totals:
                # Counted from this batch's cursor: the rows so far come on top.
                total = fetched + result.totals[keys[0]]
            step = read_chain(spec, keys, result, cursor)
            fetched += len(step.rows)
            done = step.finished or (step.error is None and total is not None and fetched >= total)
            if not done and step.error is None:
                cursor, attempt = step.cursor, 0
                left = (total - fetched) if total is not None else most * PAGE_SIZE
                pending = asyncio.ensure_future(fetch(cursor, _pages_for(left, most), False))
            if step.rows:
                yield step.rows
            if done:
                return
            if step.error is not None:
                if not retry.allows(step.error, attempt):
                    raise step.error
                await retry.pause(spec.method, step.error, attempt)
                attempt += 1
                cursor = step.cursor
                left = (total - fetched) if total is not None else most * PAGE_SIZE
                pending = asyncio.ensure_future(
                    fetch(cursor, _pages_for(left, most), total is None and spec.countable)
                )
    finally:
        if not pending.done():
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending


async def _one(
    submit: Submit, prefix: Prefix, retry: RetryPolicy, method: str, params: dict[str, Any]
) -> tuple[str, BatchResult]:
    """One command in a shared batch, sent again while it fails transiently."""
    attempt = 0
    while True:
        key = prefix() + "c"
        result = await submit({key: (method, params)})
        error = result.errors.get(key)
        if error is None and key not in result.results:
            error = ServerError("", f"the batch reply lacks {key}", method=method)
        if error is None:
            return key, result
        if not retry.allows(error, attempt):
            raise error
        await retry.pause(method, error, attempt)
        attempt += 1


async def offset_pages(
    submit: Submit,
    prefix: Prefix,
    retry: RetryPolicy,
    spec: ListSpec,
    *,
    filter: Mapping[str, Any] | None,
    select: Sequence[str] | None,
    after_id: int,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Pages by ``start`` offsets following ``next``, one shared-batch command a page."""
    start = 0
    while True:
        params = spec.page_params(filter=filter, select=select, start=start)
        key, result = await _one(submit, prefix, retry, spec.method, params)
        rows = sorted(spec.rows(result.results[key]), key=spec.id_of)
        if after_id > 0:
            rows = [row for row in rows if spec.id_of(row) > after_id]
        if rows:
            yield rows
        page = len(spec.rows(result.results[key]))
        # ``result_next`` says where the next page starts; without it, a full page may not
        # be the last one.
        following = result.nexts.get(key, start + page if page >= PAGE_SIZE else None)
        if following is None or following <= start:
            return
        start = following


async def _count(
    submit: Submit,
    prefix: Prefix,
    retry: RetryPolicy,
    spec: ListSpec,
    filter: Mapping[str, Any] | None,
) -> int | None:
    select = [spec.id_key.upper()] if spec.select_param else None
    params = spec.page_params(filter=filter, select=select, start=0)
    key, result = await _one(submit, prefix, retry, spec.method, params)
    if key in result.totals:
        return result.totals[key]
    rows = spec.rows(result.results[key])
    # Some methods omit the total when one page holds everything.
    return len(rows) if len(rows) < PAGE_SIZE else None


async def count(
    submit: Submit,
    prefix: Prefix,
    retry: RetryPolicy,
    spec: ListSpec,
    *,
    filter: Mapping[str, Any] | None,
) -> int:
    """How many rows the filter matches (a page of ids with ``start=0``: the portal counts)."""
    total = await _count(submit, prefix, retry, spec, filter)
    if total is None:
        msg = f"{spec.method}: the portal gave no total for a count"
        raise ServerError("", msg, method=spec.method)
    return total
