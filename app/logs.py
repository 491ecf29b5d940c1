"""Logging set-up: one format, and the loggers that would leak secrets kept quiet."""

from __future__ import annotations

import logging


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO, and a webhook URL holds the portal's secret code.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # Each start checks the schema; "Context impl SQLiteImpl" on every command is noise.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # "Adding job tentatively" and "Running job" for every job and every fire: noise at INFO.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLevelName(level)))
