"""/plan set in a Bitrix24 dialog: the same reading and rights as in Telegram.

The confirmation is the command again with "да" ("yes" in English) at the end, sent by a button
(or typed); whoever sends it is checked again before the plan is kept. Texts are BB-code made
inert, in the language in force.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot import plan_set
from bot import plan_texts as texts
from bot.access import Viewer
from bot.bitrix.keyboard import button
from kpi.settings import KpiSettings
from locales import _, language
from reports.markup import bb_text


def plan_set_reply(
    session: Session,
    kpi: KpiSettings,
    viewer: Viewer,
    params: str,
    now: datetime,
    *,
    keyboards: bool,
) -> tuple[str, dict[str, Any] | None]:
    """The answer's text and keyboard (None: no buttons)."""
    words = params.split()
    last = words[-1].lower() if len(words) > 1 else ""
    if last in texts.CANCEL_WORDS:
        return _(texts.CANCELLED), None
    confirmed = last in texts.CONFIRM_WORDS
    if confirmed:
        params = " ".join(words[:-1])
    found = plan_set.prepare(session, kpi, viewer, params, now)
    if isinstance(found, str):
        return bb_text(found), None
    if confirmed:
        return bb_text(plan_set.apply(session, viewer, found, via="bitrix24", now=now)), None
    question = plan_set.confirm_text(session, kpi, found)
    again = plan_set.command_words(found)
    if not keyboards:
        return bb_text(f"{question}\n{_(texts.CONFIRM_BY_TEXT).format(words=again)}"), None
    yes, no = ("yes", "cancel") if language() == "en" else ("да", "отмена")
    keyboard = {
        "BUTTONS": [
            button(_(texts.YES), "plan", f"{again} {yes}", current=True),
            button(_(texts.NO), "plan", f"set {no}"),
        ]
    }
    return bb_text(question), keyboard
