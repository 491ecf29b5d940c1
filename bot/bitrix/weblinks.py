"""/tv and /dashboard in a Bitrix24 dialog, with the Telegram bot's rules (``bot.weblinks``)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from bot.access import Viewer
from bot.weblinks import WebKind, answer_text, web_link
from kpi.settings import KpiSettings
from reports.markup import bb_text

log = logging.getLogger(__name__)


def web_link_text(
    session: Session,
    kpi: KpiSettings,
    viewer: Viewer,
    command: str,
    params: str,
    *,
    private: bool,
    base_url: str,
    now: datetime,
    user_id: int,
) -> str:
    kind: WebKind = "tv" if command == "tv" else "dashboard"
    answer = web_link(
        session,
        kpi,
        viewer,
        kind,
        params,
        private=private,
        base_url=base_url,
        now=now,
        created_by=f"bitrix:{user_id}",
    )
    log.info("Bitrix24 /%s for user %s: %s", kind, user_id, answer.outcome.value)
    return answer_text(answer, kind, kpi.tz, bb_text)
