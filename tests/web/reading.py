"""What a page shows, read back from the browser, and the JSON it must equal."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from selenium.webdriver import Chrome

T = TypeVar("T")

LABEL_KEYS = ("employee", "source", "reason", "stage", "title")
SKIPPED = {"employee_id", "source_id", "status_id", "stage_id", "company_id"}


def board(driver: Chrome) -> list[dict[str, Any]]:
    """The leaderboard as shown, read in one script (live updates swap the rows)."""
    raw = driver.execute_script(
        """
        return [...document.querySelectorAll('#board li.row')].map(row => ({
          id: row.dataset.employeeId, rank: row.dataset.rank,
          name: row.querySelector('.name').textContent,
          points: row.querySelector('.points').textContent}));
        """
    )
    return [
        {
            "employee_id": int(row["id"]),
            "rank": int(row["rank"]),
            "employee": row["name"],
            "points": float(
                row["points"].replace("\u00a0", "").replace(" ", "").replace(",", ".")
            ),
        }
        for row in raw
    ]


def expected_board(rating: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {k: row[k] for k in ("employee_id", "rank", "employee", "points")}
        for row in rating["rows"][:10]
    ]


async def until(
    probe: Callable[[], T], ok: Callable[[T], bool], *, seconds: float, step: float = 0.05
) -> tuple[T, float]:
    """Poll ``probe`` (in a thread: selenium blocks) until ``ok``; the value and the wait."""
    started = time.monotonic()
    deadline = started + seconds
    while True:
        value = await asyncio.to_thread(probe)
        if ok(value):
            return value, time.monotonic() - started
        if time.monotonic() > deadline:
            msg = f"not within {seconds} s; last seen: {value!r}"
            raise AssertionError(msg)
        await asyncio.sleep(step)


def leaves(prefix: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, inner in value.items():
            found |= leaves(f"{prefix}.{key}" if prefix else key, inner)
        return found
    return {prefix: value}


def json_figures(row: dict[str, Any]) -> dict[str, Any]:
    """Every figure of a JSON row the table must show: scalars and nested dicts' leaves."""
    figures: dict[str, Any] = {}
    for key, value in row.items():
        if key in SKIPPED or key in LABEL_KEYS or isinstance(value, list):
            continue
        figures |= leaves(key, value)
    return figures


def table(driver: Chrome) -> dict[str, Any]:
    """The dashboard's table: per row (its index, or "total"), label and key -> JSON value."""
    script = """
    const rows = {};
    for (const tr of document.querySelectorAll('#figures tr[data-row]')) {
      const cells = {};
      for (const span of tr.querySelectorAll('span.v')) {
        cells[span.dataset.key] = [span.dataset.value, span.textContent.trim()];
      }
      rows[tr.dataset.row] = {label: tr.querySelector('th').textContent.trim(), cells: cells};
    }
    return rows;
    """
    raw = driver.execute_script(script)
    return {
        key: {
            "label": row["label"],
            "cells": {k: json.loads(v[0]) for k, v in row["cells"].items()},
            "texts": {k: v[1] for k, v in row["cells"].items()},
        }
        for key, row in raw.items()
    }


def assert_table_equals(shown: dict[str, Any], data: dict[str, Any]) -> None:
    rows = data["rows"]
    assert len([k for k in shown if k != "total"]) == len(rows)
    for index, row in enumerate(rows):
        seen = shown[str(index)]
        assert seen["cells"] == json_figures(row), (index, row)
        assert all(seen["texts"].values()), seen["texts"]
        label = next((row[k] for k in LABEL_KEYS if isinstance(row.get(k), str)), None)
        if label is not None:
            assert seen["label"] == label
    if isinstance(data.get("total"), dict):
        assert shown["total"]["cells"] == json_figures(data["total"])
