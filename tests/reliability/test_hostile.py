"""A hostile portal: HTML instead of JSON, truncated JSON, HTTP 200 with an error body, a
result of the wrong type, a page that repeats the last ids; and records with 1 MB strings,
NUL bytes, odd dates and wrong types. The sync says which method failed, writes nothing
half-way, and the next sync recovers (the store then equals a clean sync)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from app.cmd_sync import open_store, print_report, sync_once
from tests.reliability.hostile import hostile_proxy
from tests.reliability.world import (
    checksums,
    clean_checksums,
    clean_store,
    config_of,
    cursor_problems,
    diff,
    engine_of,
    half_written,
    serving,
)

WHOLE = ("html", "truncated")


@pytest.mark.parametrize("mode", ["html", "truncated", "error200", "wrong_types", "repeat"])
async def test_a_spoiled_reply_names_the_method_and_the_next_sync_recovers(
    mode: str, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'store.db'}"
    reference = f"sqlite:///{tmp_path / 'ref.db'}"
    async with serving() as emulator, hostile_proxy(emulator.base_url) as (proxy, base):
        clean_rows = await clean_checksums(emulator.webhook_url, reference)
        reference = clean_store(reference)
        webhook = emulator.webhook_url.replace(emulator.base_url, base)
        config = config_of(webhook, store)
        engine = open_store(config)
        try:
            proxy.spoil(mode, "crm.deal.list")
            report = await asyncio.wait_for(sync_once(config, engine), 120)
            assert proxy.spoiled[mode] >= 1
            print_report(report, sys.stdout)
            if mode in WHOLE:
                # the whole batch is lost: each entity in it says which request and why
                assert "deals" in report.errors
                assert all("batch" in e and "JSON" in e for e in report.errors.values())
            elif mode != "repeat" or report.errors:
                assert set(report.errors) == {"deals"}, report.errors
                assert "crm.deal.list" in report.errors["deals"], report.errors
            with engine_of(reference) as clean:
                assert half_written(engine, clean) == []
            proxy.clear()
            again = await asyncio.wait_for(sync_once(config, engine), 120)
            assert again.ok, again.errors
            assert cursor_problems(engine) == []
            assert diff(checksums(engine), clean_rows) == []
        finally:
            engine.dispose()
