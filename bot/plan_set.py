"""``/plan set <metric> <value> [employee|department] [period]``, the same in both chats.

A head sets a plan for their department trees or the people in them, an admin for anyone;
the command is read and checked first (``prepare``), shown for confirmation, and only then
kept in the store with who and when (``apply``), where it overrides the config's plan.
The period is a plan length (day, week, month, quarter, year; month by default). Who: the
words ``bot.args`` reads (a name, "отдел 3", "сотрудник 17"); by default a head's own
department. Metrics, lengths and who are read in Russian and English alike; the answers are
in the language in force. Synchronous: the front ends call it in a worker thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlmodel import Session

from bot import plan_texts as texts
from bot.access import Viewer, default_target, may_see
from bot.args import Ambiguity, Problem, Target, parse_args
from bot.lookup import StoreDirectory
from bot.settings import Role
from kpi.periods import PeriodError
from kpi.plans_store import effective_plans
from kpi.settings import METRICS, KpiSettings
from locales import _, language
from reports import text as figures
from reports.kpi_words import metric_name
from store.plan_models import PlanChange, plan_history, record_plans

SET_WORDS = frozenset({"set", "задать", "установить"})
METRIC_WORDS = {
    **{m: m for m in METRICS},
    "звонки": "calls",
    "успешные": "successful_calls",
    "минуты": "talk_minutes",
    "встречи": "meetings",
    "письма": "emails",
    "сделки": "new_deals",
    "выручка": "revenue",
    "successful": "successful_calls",
    "minutes": "talk_minutes",
    "deals": "new_deals",
}
LENGTH_WORDS = {
    "day": "day",
    "день": "day",
    "week": "week",
    "неделя": "week",
    "неделю": "week",
    "month": "month",
    "месяц": "month",
    "quarter": "quarter",
    "квартал": "quarter",
    "year": "year",
    "год": "year",
}
_RANGE_WORDS = frozenset({"today", "yesterday", "сегодня", "вчера"})
_MULTIPLIERS = {"k": 1_000, "к": 1_000, "тыс": 1_000, "m": 1_000_000, "м": 1_000_000}
_MULTIPLIERS["млн"] = 1_000_000
_VALUE = re.compile(r"^(\d+(?:[.,]\d+)?)(k|к|тыс|m|м|млн)?$")
CENT = Decimal("0.01")
LIMIT = Decimal(100_000_000_000)


@dataclass(frozen=True)
class PlanRequest:
    metric: str
    value: Decimal
    target: Target
    length: str


def is_plan_set(params: str) -> bool:
    words = params.split(maxsplit=1)
    return bool(words) and words[0].lower() in SET_WORDS


def usage() -> str:
    return _(texts.USAGE).format(metrics=", ".join(METRICS))


def parse_value(word: str) -> Decimal | None:
    found = _VALUE.match(word.lower().replace("_", ""))
    if found is None:
        return None
    try:
        number = Decimal(found[1].replace(",", "."))
    except InvalidOperation:
        return None
    value = (number * _MULTIPLIERS.get(found[2] or "", 1)).quantize(CENT, ROUND_HALF_UP)
    # a plan beyond a hundred billion is a typo, and would not fit a button's 64 bytes
    return value if value < LIMIT else None


def prepare(
    session: Session, kpi: KpiSettings, viewer: Viewer, params: str, now: datetime
) -> PlanRequest | str:
    """The request read and checked against the asker's rights, or what to answer instead."""
    words = params.split()[1:]  # after "set"
    head = _metric_value(words)
    if isinstance(head, str):
        return head
    metric, value = head
    lengths = [LENGTH_WORDS[w.lower()] for w in words[2:] if w.lower() in LENGTH_WORDS]
    rest = [w for w in words[2:] if w.lower() not in LENGTH_WORDS]
    for word in rest:
        if word.lower() in _RANGE_WORDS or ".." in word:
            return _(texts.RANGE).format(word=word)
    target = _target(session, kpi, viewer, " ".join(rest), now)
    if isinstance(target, str):
        return target
    refused = _refusal(session, viewer, target)
    if refused:
        return refused
    return PlanRequest(metric, value, target, lengths[-1] if lengths else "month")


def _metric_value(words: list[str]) -> tuple[str, Decimal] | str:
    if len(words) < 2:
        return usage()
    metric = METRIC_WORDS.get(words[0].lower())
    if metric is None:
        return _(texts.UNKNOWN_METRIC).format(word=words[0], metrics=", ".join(METRICS))
    value = parse_value(words[1])
    if value is None:
        return _(texts.BAD_VALUE).format(word=words[1])
    return metric, value


def _target(
    session: Session, kpi: KpiSettings, viewer: Viewer, text: str, now: datetime
) -> Target | str:
    try:
        parsed = parse_args(text, now=now, tz=kpi.tz, directory=StoreDirectory(session, kpi))
    except PeriodError as exc:
        return str(exc)
    if isinstance(parsed, Ambiguity):
        if parsed.problem is Problem.AMBIGUOUS and parsed.choices:
            choices = "; ".join(c.label for c in parsed.choices)
            return _(texts.AMBIGUOUS).format(words=" ".join(parsed.words), choices=choices)
        return _(texts.UNKNOWN_WORDS).format(words=" ".join(parsed.words))
    if parsed.period is not None:
        return _(texts.RANGE).format(word=parsed.period.name)
    target = parsed.target or default_target(session, viewer, "kpi")
    if target is None or target.kind == "company" or target.id is None:
        return _(texts.NEED_TARGET)
    return target


def _refusal(session: Session, viewer: Viewer, target: Target) -> str | None:
    if viewer.role is Role.ADMIN:
        return None
    if viewer.role is not Role.HEAD:
        return _(texts.FORBIDDEN)
    if not may_see(session, viewer, "kpi", target):
        return _(texts.FORBIDDEN_TARGET).format(target=target.name or f"{target.kind} {target.id}")
    return None


def number(value: Decimal) -> str:
    """A plan value: "1 500 000" (no-break spaces) in Russian, "1,500,000" in English.

    English through reports.text; Russian as /plan set has always written it.
    """
    if language() == "en":
        return figures.number(value, digits=2)
    if value == value.to_integral_value():
        return f"{int(value):,}".replace(",", "\u00a0")
    return f"{value:,.2f}".replace(",", "\u00a0")


def _who(target: Target) -> str:
    template = texts.DEPARTMENT if target.kind == "department" else texts.EMPLOYEE
    return _(template).format(name=target.name or target.id)


def current(session: Session, kpi: KpiSettings, request: PlanRequest) -> str:
    """What the target's own plan is now and where it comes from."""
    kind, target_id = request.target.kind, int(request.target.id or 0)
    history = plan_history(session, kind, target_id, request.length, request.metric)
    last = history[-1] if history else None
    if last is not None and last.value is not None:
        local = last.set_at.astimezone(kpi.tz)
        when = f"{figures.day(local.date())} {figures.clock(local)}"
        return _(texts.CURRENT_SET).format(value=number(last.value), who=last.set_by, when=when)
    book = effective_plans(session, kpi.plans)
    table = book.departments if kind == "department" else book.employees
    value = table.get(target_id, {}).get(request.length, {}).get(request.metric)
    if value is None:
        return _(texts.CURRENT_NONE)
    return _(texts.CURRENT_CONFIG).format(value=number(value))


def confirm_text(session: Session, kpi: KpiSettings, request: PlanRequest) -> str:
    return _(texts.CONFIRM).format(
        target=_who(request.target),
        metric=metric_name(request.metric).lower(),
        value=number(request.value),
        length=_(texts.LENGTHS[request.length]),
        current=current(session, kpi, request),
    )


def apply(
    session: Session, viewer: Viewer, request: PlanRequest, *, via: str, now: datetime
) -> str:
    """Keep the plan (committed) and say so."""
    change = PlanChange(
        request.target.kind,
        int(request.target.id or 0),
        request.length,
        request.metric,
        request.value,
    )
    who = f"{via} {viewer.name or ''} (user {viewer.user_id})".replace("  ", " ")
    record_plans(session, [change], set_by=who, at=now)
    session.commit()
    return _(texts.DONE).format(
        target=_who(request.target),
        metric=metric_name(request.metric).lower(),
        value=number(request.value),
        length=_(texts.LENGTHS[request.length]),
    )


def command_words(request: PlanRequest) -> str:
    """The command written out so that it reads back as exactly this request.

    In the reader's language: the Bitrix24 chat shows it to be typed back (bot.args reads
    "отдел"/"department" and "сотрудник"/"employee" alike).
    """
    who = "отдел" if request.target.kind == "department" else "сотрудник"
    if language() == "en":
        who = "department" if request.target.kind == "department" else "employee"
    value = format(request.value.normalize(), "f")  # 12, not 12.00
    return f"set {request.metric} {value} {who} {request.target.id} {request.length}"
