"""Everything the Telegram front end is given by ``app``: one frozen bundle of plain values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.contests import ContestRules
from bot.linking import Notify
from bot.reporting import REPORT_NAMES, ReportBuilder, XlsxBuilder
from bot.settings import BotSettings
from kpi.settings import KpiSettings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TelegramDeps:
    settings: BotSettings
    kpi: KpiSettings
    engine: Engine
    build_report: ReportBuilder  # reports.build.build_report
    report_xlsx: XlsxBuilder  # reports.build.report_xlsx
    notify: Notify  # sends a text to a portal user's Bitrix24 notifications
    report_names: tuple[str, ...] = REPORT_NAMES
    clock: Callable[[], datetime] = field(default=utc_now)
    web_url: str = "http://127.0.0.1:8080"  # where /tv and /dashboard links point ([web])
    contests: ContestRules = ContestRules()  # [contests] for /contest
