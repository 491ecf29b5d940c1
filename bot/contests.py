"""Contests from chat, the same for Telegram and Bitrix24: the words, the rights, the store.

``/contest`` words in any order, in Russian or English: a kind (top, гонка, race, команды),
a metric (calls, выручка, ...), a period (неделя, месяц, next week, следующий месяц, A..B),
``цель N``/``target N``, ``отдел X``/``department X`` and, last, ``приз: text``/``prize:``.
Heads may start contests for their own department trees (their first one by default),
admins for any department or the whole sales team; anyone else is told who may. Every
refusal names what is allowed and stores nothing. Answers are in the language in force.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlmodel import Session

from bot.access import Viewer
from bot.game_texts import (
    KIND_WORDS,
    LIST_EMPTY,
    LIST_HEAD,
    METRIC_WORDS,
    STOP_BAD,
    STOP_DONE,
    STOP_NOT_YOURS,
    day_text,
    kind_title,
    span_text,
)
from bot.settings import Role
from kpi.contest_input import (
    ContestDraft,
    ContestError,
    check_contest,
    parse_day,
    period_days,
)
from kpi.contests import CONTEST_METRICS, contests_in, status_of
from kpi.scope import find_departments
from kpi.settings import KpiSettings
from locales import _
from reports.game_texts import STATUS_TITLES
from reports.kpi_words import metric_name
from store.game_models import Contest, add_contest, stop_contest

_TARGET = frozenset({"цель", "target"})
_DEPARTMENT = frozenset({"отдел", "department", "dept"})
_PRIZE = ("приз:", "prize:")
_GO = frozenset({"go", "запустить", "старт"})
# Two-word periods, both languages; the one-word ones are in _PERIODS below.
_NEXT_WEEK = frozenset({"следующая неделя", "next week", "next_week"})
_NEXT_MONTH = frozenset({"следующий месяц", "next month", "next_month"})
_THIS = {"эта неделя": "week", "этот месяц": "month", "this week": "week", "this month": "month"}


@dataclass(frozen=True)
class ContestRules:
    """[contests] as the chats need it."""

    max_days: int = 366
    team_mode: str = "sum"


@dataclass(frozen=True)
class Words:
    """What the words of ``/contest`` said; None where they said nothing."""

    kind: str | None = None
    metric: str | None = None
    period: str | None = None
    target: str | None = None
    department: str | None = None
    prize: str | None = None
    go: bool = False

    @property
    def empty(self) -> bool:
        return self == Words()


def read_words(text: str) -> Words:
    lowered = text.lower()
    prize = None
    for mark in _PRIZE:
        at = lowered.find(mark)
        if at >= 0:
            prize = text[at + len(mark) :].strip()
            text = text[:at]
            break
    tokens = text.replace("ё", "е").split()
    words = Words(prize=prize)
    n = 0
    while n < len(tokens):
        token, low = tokens[n], tokens[n].lower()
        nxt = tokens[n + 1] if n + 1 < len(tokens) else ""
        pair = f"{low} {nxt.lower()}"
        if pair in _NEXT_WEEK or pair in _NEXT_MONTH or pair in _THIS:
            words = replace(words, period=pair)
            n += 2
            continue
        # "target" is a kind too: it marks a target only before a number ("target 50")
        if low in _TARGET and nxt and (low != "target" or nxt[:1].isdecimal()):
            words, n = replace(words, target=nxt), n + 2
            continue
        if low in _DEPARTMENT and nxt:
            words, n = replace(words, department=nxt), n + 2
            continue
        words = _one(words, token, low)
        n += 1
    return words


def _one(words: Words, token: str, low: str) -> Words:
    if low in _GO:
        return replace(words, go=True)
    if low in KIND_WORDS and words.kind is None:
        return replace(words, kind=KIND_WORDS[low])
    metric = METRIC_WORDS.get(low, low if low in CONTEST_METRICS else None)
    if metric is not None and words.metric is None:
        return replace(words, metric=metric)
    if words.period is None and (".." in low or low in _PERIODS):
        return replace(words, period=low)
    if words.metric is None:
        return replace(words, metric=low)  # refused below, naming the metrics there are
    return replace(words, period=token) if words.period is None else words


_PERIODS = frozenset(
    {"week", "month", "неделя", "месяц", "next_week", "next_month", "today", "сегодня"}
)


def days_of(text: str, *, now: datetime, settings: KpiSettings) -> tuple[date, date]:
    """A contest's first and last day from a period word, "next week/month" included."""
    key = " ".join(text.lower().replace("ё", "е").split())
    first_text, dots, last_text = key.partition("..")
    if dots:
        # parsed here, not by kpi.periods: a reversed range is told as such by check_contest
        return parse_day(first_text, "the start day"), parse_day(last_text, "the end day")
    key = _THIS.get(key, key)
    if key in _NEXT_WEEK:
        first = period_days("week", now=now, settings=settings)[0]
        return first + timedelta(days=7), first + timedelta(days=13)
    if key in _NEXT_MONTH:
        last = period_days("month", now=now, settings=settings)[1]
        after = last + timedelta(days=1)
        end = (after + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return after, end
    return period_days(key, now=now, settings=settings)


def may_start(viewer: Viewer) -> bool:
    return viewer.role in (Role.ADMIN, Role.HEAD)


def allowed_departments(viewer: Viewer) -> Collection[int] | None:
    return None if viewer.role is Role.ADMIN else viewer.departments


def draft_of(
    session: Session,
    settings: KpiSettings,
    rules: ContestRules,
    viewer: Viewer,
    words: Words,
    *,
    now: datetime,
) -> ContestDraft:
    """The checked contest the words and the asker's rights give; ContestError if none."""
    if words.metric is None:
        msg = "no metric"
        raise ContestError(msg, "no_metric", allowed=CONTEST_METRICS)
    if words.period is None:
        msg = "no period"
        raise ContestError(msg, "no_period")
    first, last = days_of(words.period, now=now, settings=settings)
    metric = words.metric
    name = f"{metric_name(metric)}: {span_text(first, last)}"  # in the asker's language
    return check_contest(
        session,
        settings,
        name=name,
        metric=metric,
        start=first,
        end=last,
        now=now,
        kind=words.kind or "top",
        target=words.target,
        department_id=_department(session, viewer, words),
        prize=words.prize or "",
        team_mode=rules.team_mode,
        max_days=rules.max_days,
        allowed_departments=allowed_departments(viewer),
    )


def _department(session: Session, viewer: Viewer, words: Words) -> int | None:
    if words.department is not None:
        found = find_departments(session, words.department)
        if len(found) == 1:
            return found[0].id
        msg = f"no single department {words.department!r}"
        allowed = tuple(f"{d.id} {d.name}" for d in found) or tuple(
            f"{d.id} {d.name}" for d in find_departments(session, "")
        )
        raise ContestError(msg, "department", value=words.department, allowed=allowed)
    if viewer.role is Role.HEAD and viewer.roots:
        return viewer.roots[0]
    return None


def start(session: Session, draft: ContestDraft, *, now: datetime, created_by: str) -> Contest:
    contest = Contest(
        name=draft.name,
        metric=draft.metric,
        kind=draft.kind,
        start_day=draft.start,
        end_day=draft.end,
        target=None if draft.target is None else str(draft.target),
        department_id=draft.department_id,
        team_mode=draft.team_mode,
        prize=draft.prize,
        created_by=created_by,
        created_at=now,
    )
    add_contest(session, contest)
    return contest


def summary(draft: ContestDraft, department: str) -> str:
    lines = [
        _("Вид: {kind}").format(kind=kind_title(draft.kind)),
        _("Показатель: {metric}").format(metric=metric_name(draft.metric)),
        _("Даты: {start} – {end}").format(start=day_text(draft.start), end=day_text(draft.end)),
        _("Кто участвует: {who}").format(who=department),
    ]
    if draft.target is not None:
        lines.append(_("Цель: {target}").format(target=draft.target))
    lines.append(_("Приз: {prize}").format(prize=draft.prize or _("без приза")))
    return "\n".join(lines)


def listing(session: Session, settings: KpiSettings, viewer: Viewer, *, now: datetime) -> str:
    """The contests not over yet that the asker may run: id, name, dates, status."""
    allowed = allowed_departments(viewer)
    lines = []
    for contest in contests_in(session, include_stopped=False):
        status = status_of(contest, now, settings.tz)
        mine = allowed is None or contest.department_id in allowed
        if status in ("scheduled", "running") and mine:
            line = _("№{id} «{name}» · {metric} · {days} · {status}").format(
                id=contest.id,
                name=contest.name,
                metric=metric_name(contest.metric),
                days=span_text(contest.start_day, contest.end_day),
                status=_(STATUS_TITLES[status]),
            )
            lines.append(line)
    return "\n".join([_(LIST_HEAD), *lines]) if lines else _(LIST_EMPTY)


def stop(session: Session, viewer: Viewer, text: str, *, now: datetime) -> str:
    """Stop a contest by its number, if the asker may run contests for its department."""
    number = text.strip().lstrip("№#")
    contest = session.get(Contest, int(number)) if number.isdecimal() else None
    if contest is None:
        return _(STOP_BAD)
    allowed = allowed_departments(viewer)
    if allowed is not None and contest.department_id not in allowed:
        return _(STOP_NOT_YOURS)
    stopped = stop_contest(session, int(number), now)
    assert stopped is not None
    return _(STOP_DONE).format(id=stopped.id, name=stopped.name)


def action_of(text: str) -> tuple[str, str]:
    """("list", ""), ("stop", "12") or ("start", the words) from /contest's arguments."""
    first, _sep, rest = text.strip().partition(" ")
    word = first.lower()
    if word in ("list", "список"):
        return "list", ""
    if word in ("stop", "стоп"):
        return "stop", rest
    return "start", text
