"""/contest in a Bitrix24 dialog: the same steps as in Telegram, carried by the keyboard.

A Bitrix24 button sends its command with the words written out, so the flow keeps no
state: each button adds one word (kind, metric, period) and the last one adds "go". The
prize and a race's target are typed: "/contest гонка calls неделя цель 50 приз: ужин"
("/contest race calls week target 50 prize: dinner"). Button commands carry the language-free
words (top, calls, week, go); only the prize mark is written in the reader's language.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.access import Viewer
from bot.bitrix.keyboard import button, rows
from bot.contests import (
    ContestRules,
    Words,
    action_of,
    draft_of,
    listing,
    may_start,
    read_words,
    start,
    stop,
    summary,
)
from bot.game_texts import (
    ADD_PRIZE,
    CONFIRM,
    ONLY_HEADS,
    SPANS,
    STARTED,
    STEP_CONFIRM,
    STEP_KIND,
    STEP_METRIC,
    STEP_PERIOD,
    WHOLE_TEAM,
    error_text,
    kind_title,
    prize_mark,
    span_title,
)
from kpi.contest_input import ContestError
from kpi.contests import CONTEST_METRICS, KINDS
from kpi.settings import KpiSettings
from locales import _
from reports.kpi_words import metric_name
from reports.markup import bb_text
from store.models import Department

Answer = tuple[str, dict[str, Any] | None]


def contest_reply(
    session: Session,
    settings: KpiSettings,
    rules: ContestRules,
    viewer: Viewer,
    params: str,
    *,
    now: datetime,
) -> Answer:
    if not may_start(viewer):
        return _(ONLY_HEADS), None
    action, rest = action_of(params)
    if action != "start":
        done = (
            listing(session, settings, viewer, now=now)
            if action == "list"
            else stop(session, viewer, rest, now=now)
        )
        return bb_text(done), None
    words = read_words(params)
    base = _before_prize(params).replace(" go", "").strip()
    if words.empty:
        return _(STEP_KIND), _keyboard([(kind_title(k), k) for k in KINDS], 1)
    kind = words.kind or "top"
    if words.metric is None:
        choices = [(metric_name(m), f"{base} {m}") for m in CONTEST_METRICS]
        return _(STEP_METRIC).format(kind=kind_title(kind)), _keyboard(choices, 3)
    if words.period is None:
        choices = [(span_title(span), f"{base} {span}") for span in SPANS]
        text = _(STEP_PERIOD).format(kind=kind_title(kind), metric=metric_name(words.metric))
        return text, _keyboard(choices, 2)
    return _finish(session, settings, rules, viewer, words=words, params=params, now=now)


def _finish(
    session: Session,
    settings: KpiSettings,
    rules: ContestRules,
    viewer: Viewer,
    *,
    words: Words,
    params: str,
    now: datetime,
) -> Answer:
    try:
        draft = draft_of(session, settings, rules, viewer, words, now=now)
    except ContestError as exc:
        return bb_text(error_text(exc)), None
    if not words.go:
        dept = session.get(Department, draft.department_id) if draft.department_id else None
        who = dept.name if dept is not None else _(WHOLE_TEAM)
        text = _(STEP_CONFIRM).format(summary=summary(draft, who))
        if not words.prize:  # "add a prize" after a prize would only repeat it
            text += "\n" + _(ADD_PRIZE).format(words=params.strip())
        prize = f" {prize_mark()} {words.prize}" if words.prize else ""
        go = _before_prize(params).strip() + " go" + prize
        return bb_text(text), _keyboard([(_(CONFIRM), go)], 1)
    contest = start(session, draft, now=now, created_by=f"bitrix:{viewer.user_id}")
    return bb_text(_(STARTED).format(id=contest.id, name=contest.name)), None


def _before_prize(params: str) -> str:
    """The command's words before its prize ("приз:" or "prize:", any case), if it has one."""
    lowered = params.lower()
    marks = [at for at in (lowered.find("приз:"), lowered.find("prize:")) if at >= 0]
    return params[: min(marks)] if marks else params


def _keyboard(choices: list[tuple[str, str]], per_row: int) -> dict[str, Any]:
    buttons = [button(label, "contest", params.strip()) for label, params in choices]
    return {"BUTTONS": rows(buttons, per_row)}
