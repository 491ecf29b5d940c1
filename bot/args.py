"""Command arguments in any order, shared by the Telegram and the Bitrix24 chat front ends.

``/calls Anna month``, ``/calls за прошлую неделю Орлова``, ``/coverage отдел Продажи
2026-03-01..2026-03-15``, ``/kpi @anna вчера``: a period (English or Russian word, a
day, a range of days), and who (an employee by name, part of a name, id or @username; a
department by name or id, optionally after "отдел"/"dept"; "все"/"all" for the company).

Nothing is guessed: words we cannot place, a name that fits several people, two periods
at once all come back as an ``Ambiguity`` that says what was understood and what the
choices are, for the front end to offer as buttons.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol, TypeVar
from zoneinfo import ZoneInfo

from bot.periodwords import period_of_words
from kpi.periods import PERIOD_NAMES, Period, parse_period

TargetKind = Literal["company", "department", "employee"]
_T = TypeVar("_T")
MAX_CHOICES = 12

# Words that carry no meaning of their own: "/calls за неделю", "/rating for last week".
_FILLER = frozenset({"за", "по", "на", "в", "for", "in", "of", "the", "и", "and"})
_COMPANY = frozenset({"все", "всех", "компания", "компании", "all", "company", "team"})
_DEPARTMENT = frozenset({"отдел", "отдела", "подразделение", "dept", "department"})
_EMPLOYEE = frozenset({"сотрудник", "менеджер", "employee", "manager", "rep"})


@dataclass(frozen=True)
class Target:
    """Who a report is about; ``id`` is None for the company."""

    kind: TargetKind
    id: int | None
    name: str


COMPANY = Target("company", None, "")


class Directory(Protocol):
    """Where names are looked up (``bot.lookup.StoreDirectory`` reads the store)."""

    def employees(self, text: str) -> Sequence[Target]: ...

    def departments(self, text: str) -> Sequence[Target]: ...

    def username(self, name: str) -> Target | None: ...


@dataclass(frozen=True)
class Parsed:
    """What the words said; None where they said nothing (the front end's default)."""

    period: Period | None = None
    target: Target | None = None
    report: str | None = None  # a report name among the words (``/export calls``)


class Problem(StrEnum):
    AMBIGUOUS = "ambiguous"  # a name that fits several employees or departments
    UNKNOWN = "unknown"  # words that are no period, name or keyword we know
    CONFLICT = "conflict"  # two periods, or two different people/departments


@dataclass(frozen=True)
class Choice:
    """One way out: the understood arguments with this target or this period."""

    label: str
    target: Target | None = None
    period: Period | None = None


@dataclass(frozen=True)
class Ambiguity:
    problem: Problem
    understood: Parsed
    words: tuple[str, ...]  # the words in question, as written
    choices: tuple[Choice, ...]


@dataclass
class _Found:
    periods: list[tuple[str, Period]]
    targets: list[tuple[str, Target]]
    names: list[str]
    unknown: list[str]
    report: str | None = None
    only: TargetKind | None = None  # "отдел ..." or "сотрудник ..." narrows the name search


def parse_args(
    text: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    directory: Directory,
    reports: Collection[str] = (),
) -> Parsed | Ambiguity:
    """Read the arguments of one command; raise PeriodError for a malformed date range."""
    words = text.replace(",", " ").split()
    found = _Found([], [], [], [])
    index = 0
    while index < len(words):
        index += _take(words, index, found, now=now, tz=tz, directory=directory, reports=reports)
    return _resolve(found, directory, now=now, tz=tz)


def _take(
    words: list[str],
    index: int,
    found: _Found,
    *,
    now: datetime,
    tz: ZoneInfo,
    directory: Directory,
    reports: Collection[str],
) -> int:
    """Consume one or two words at ``index``; return how many were used."""
    word = words[index]
    key = _key(word)
    if index + 1 < len(words):
        pair = f"{word} {words[index + 1]}"
        period = period_of_words(pair, now=now, tz=tz)
        if period is not None:
            found.periods.append((pair, period))
            return 2
    period = period_of_words(word, now=now, tz=tz)
    if period is not None:
        found.periods.append((word, period))
        return 1
    if key in _FILLER:
        return 1
    if reports and key.lstrip("/") in reports:
        found.report = found.report or key.lstrip("/")
        if found.report != key.lstrip("/"):
            found.unknown.append(word)
        return 1
    _word(word, key, found, directory)
    return 1


def _word(word: str, key: str, found: _Found, directory: Directory) -> None:
    """A word that is no period: a keyword, an @username, or part of a name."""
    if key in _COMPANY:
        found.targets.append((word, COMPANY))
    elif key in _DEPARTMENT:
        found.only = "department"
    elif key in _EMPLOYEE:
        found.only = "employee"
    elif word.startswith("@") and len(word) > 1:
        person = directory.username(word[1:])
        if person is None:
            found.unknown.append(word)
        else:
            found.targets.append((word, person))
    else:
        found.names.append(word.lstrip("#"))


def _resolve(
    found: _Found, directory: Directory, *, now: datetime, tz: ZoneInfo
) -> Parsed | Ambiguity:
    distinct_periods = _distinct([p for _, p in found.periods], key=lambda p: p.name)
    period = distinct_periods[0] if len(distinct_periods) == 1 else None
    understood = Parsed(period=period, report=found.report)
    if len(distinct_periods) > 1:
        words = tuple(w for w, _ in found.periods)
        choices = tuple(Choice(_period_label(p), period=p) for p in distinct_periods)
        return Ambiguity(Problem.CONFLICT, understood, words, choices)
    named, candidates = _lookup(found.names, directory, found.only)
    found.unknown.extend(w for w in found.names if w not in named)
    targets = _distinct([t for _, t in found.targets], key=lambda t: (t.kind, t.id))
    if found.unknown:
        pool = _distinct([*targets, *candidates], key=lambda t: (t.kind, t.id))
        return _unknown(found, understood, pool, now=now, tz=tz)
    if len(targets) > 1 or (targets and candidates):
        words = (*(w for w, _ in found.targets), *found.names)
        pool = _distinct([*targets, *candidates], key=lambda t: (t.kind, t.id))
        return Ambiguity(Problem.CONFLICT, understood, words, _target_choices(pool))
    if len(candidates) > 1:
        pool = _distinct(candidates, key=lambda t: (t.kind, t.id))
        if len(pool) > 1:
            words = tuple(found.names)
            return Ambiguity(Problem.AMBIGUOUS, understood, words, _target_choices(pool))
        candidates = pool
    target = targets[0] if targets else (candidates[0] if candidates else None)
    return replace(understood, target=target)


def _lookup(
    names: list[str], directory: Directory, only: TargetKind | None
) -> tuple[list[str], list[Target]]:
    """The longest run of name words that names someone, and whom it names.

    "Vera mnth" finds Vera and leaves "mnth" unknown, instead of calling it all unknown.
    """
    for length in range(len(names), 0, -1):
        for start in range(len(names) - length + 1):
            query = " ".join(names[start : start + length])
            found: list[Target] = []
            if only != "department":
                found.extend(directory.employees(query))
            if only != "employee":
                found.extend(directory.departments(query))
            if found:
                return names[start : start + length], found
    return [], []


def _unknown(
    found: _Found, understood: Parsed, targets: list[Target], *, now: datetime, tz: ZoneInfo
) -> Ambiguity:
    """Words we could not place: say so, keep what was understood, offer ways on."""
    understood = replace(understood, target=targets[0] if len(targets) == 1 else None)
    if understood.period is None:
        # The likeliest slip is a mistyped period: offer every named one.
        periods = [parse_period(name, now=now, tz=tz) for name in PERIOD_NAMES]
        choices = tuple(Choice(_period_label(p), period=p) for p in periods)
    else:
        choices = (Choice("", target=understood.target, period=understood.period),)
    return Ambiguity(Problem.UNKNOWN, understood, tuple(found.unknown), choices)


def _target_choices(pool: Sequence[Target]) -> tuple[Choice, ...]:
    return tuple(Choice(_target_label(t), target=t) for t in pool[:MAX_CHOICES])


def _target_label(target: Target) -> str:
    if target.kind == "department":
        return f"🏢 {target.name}"
    if target.kind == "company":
        return "👥"
    return target.name


def _period_label(period: Period) -> str:
    return period.label_ru


def _key(word: str) -> str:
    return word.strip().lower().replace("ё", "е")


def _distinct(items: Sequence[_T], *, key: Callable[[_T], Hashable]) -> list[_T]:
    seen: set[Hashable] = set()
    result: list[_T] = []
    for item in items:
        marker = key(item)
        if marker not in seen:
            seen.add(marker)
            result.append(item)
    return result
