"""ABC by revenue and XYZ by regularity of purchases, per company.

The window is the last ``settings.abc_months`` months up to ``now``, as rolling months
ending today (portal zone): month k covers the close days after today minus k months up
to today minus (k - 1) months, so every month is a whole month and today's deals count.
A company's revenue is the sum over won deals bound to it with a close day in the window,
whoever closed them. Only companies with revenue above zero are ranked.

ABC: companies by revenue, largest first (ties by company id); a company is A while the
cumulative revenue before it is under 80% of the total, so the company whose cumulative
share reaches or crosses 80% is still A and the next one is B; likewise B while the
cumulative revenue before it is under 95%; C the rest. Computed in exact arithmetic.

XYZ: the coefficient of variation (population standard deviation / mean) of the company's
revenue per month over the window's months, months without purchases counting 0: X up to
10%, Y up to 25%, Z above.

The classes are the company's place in the whole business, whoever asks: a department's
report lists the companies whose responsible is one of its employees, with the classes
they have company-wide. The company scope lists every company with revenue, also those
whose responsible is not an employee.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from operator import itemgetter, mul
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, ColumnElement, case, func, literal, select, type_coerce
from sqlmodel import Session, col

from kpi.common import ReportMeta, data_as_of
from kpi.deals import ZERO, deal_won, meta_json, money_json
from kpi.periods import Period, previous
from kpi.scope import Scope
from kpi.settings import KpiSettings
from store.models import Company, Deal

ABC = ("A", "B", "C")
XYZ = ("X", "Y", "Z")


@dataclass(frozen=True)
class AbcRow:
    rank: int
    company_id: int
    title: str
    responsible_id: int | None
    revenue: Decimal
    share: float
    cumulative_share: float
    abc: str
    xyz: str
    # coefficient of variation of monthly revenue (0.12 = 12%)
    variation: float


@dataclass(frozen=True)
class AbcTotal:
    companies: int
    revenue: Decimal
    counts: Mapping[str, int]  # "A".."C" and "X".."Z" -> companies


@dataclass(frozen=True)
class MatrixCell:
    abc: str
    xyz: str
    companies: int
    revenue: Decimal


@dataclass(frozen=True)
class AbcReport:
    meta: ReportMeta
    first_day: date
    last_day: date
    months: int
    rows: tuple[AbcRow, ...]
    total: AbcTotal
    previous_total: AbcTotal
    matrix: tuple[MatrixCell, ...]  # AX, AY, AZ, BX, ... CZ


class _Company(NamedTuple):  # a tuple: thousands are made per report
    company_id: int
    title: str
    responsible_id: int | None
    kopecks: int
    monthly: tuple[int, ...]  # kopecks per month, oldest first


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (earlier when negative), clamped to a shorter month."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    following = date(year + (month0 + 1) // 12, (month0 + 1) % 12 + 1, 1)
    return date(year, month0 + 1, min(day.day, (following - timedelta(days=1)).day))


def window_bounds(today: date, months: int) -> tuple[date, ...]:
    """``months`` + 1 day bounds: month k is [bounds[k], bounds[k + 1]), the last ends today."""
    if months < 1:
        msg = f"the ABC window needs at least one month, not {months}"
        raise ValueError(msg)
    return tuple(add_months(today, k - months) + timedelta(days=1) for k in range(months + 1))


def abc_of(companies: Sequence[tuple[int, int]]) -> dict[int, str]:
    """(company id, revenue in kopecks > 0) -> class; see the module text for the boundary."""
    ranked = sorted(companies, key=lambda c: (-c[1], c[0]))
    total = sum(revenue for _, revenue in ranked)
    classes, before = {}, 0
    for company_id, revenue in ranked:
        if before * 100 < total * 80:
            classes[company_id] = "A"
        elif before * 100 < total * 95:
            classes[company_id] = "B"
        else:
            classes[company_id] = "C"
        before += revenue
    return classes


def xyz_of(monthly: Sequence[int]) -> tuple[str, float]:
    """Class and coefficient of variation of a positive series of monthly kopecks.

    cv^2 = (n * sum(x^2) - sum(x)^2) / sum(x)^2, compared in integers against 10% and 25%.
    """
    n, total = len(monthly), sum(monthly)
    spread = n * sum(map(mul, monthly, monthly)) - total * total
    if spread * 100 <= total * total:
        label = "X"
    elif spread * 16 <= total * total:
        label = "Y"
    else:
        label = "Z"
    return label, math.sqrt(spread) / total


def _companies(
    session: Session, settings: KpiSettings, days: Sequence[date]
) -> list[list[_Company]]:
    """The companies with revenue in the window ending on each of ``days``, in one query.

    The windows' month bounds together cut the days into pieces; revenue is summed per
    company and piece in SQL, and each window's month is the sum of the pieces inside it.
    """
    windows = [window_bounds(day, settings.abc_months) for day in days]
    cuts = sorted({bound for bounds in windows for bound in bounds})
    close = col(Deal.close_date)
    piece: ColumnElement[int] = (
        case(*((close < cuts[k + 1], k) for k in range(len(cuts) - 2)), else_=len(cuts) - 2)
        if len(cuts) > 2
        else literal(0)  # a CASE needs at least one WHEN
    )
    # Grouping a subquery's column keeps PostgreSQL from comparing two copies of the CASE
    # with different bound parameters.
    sub = (
        select(
            col(Deal.company_id).label("company_id"),
            piece.label("piece"),
            col(Deal.amount).label("amount"),
        )
        .where(deal_won(), col(Deal.company_id).is_not(None), close >= cuts[0], close < cuts[-1])
        .subquery()
    )
    sums = (
        select(
            sub.c.company_id,
            sub.c.piece,
            # the store keeps money as whole kopecks: sum them as integers, exact and cheap
            func.sum(type_coerce(sub.c.amount, BigInteger)).label("kopecks"),
        )
        .group_by(sub.c.company_id, sub.c.piece)
        .subquery()
    )
    query = select(
        sums.c.company_id,
        sums.c.piece,
        sums.c.kopecks,
        col(Company.title),
        col(Company.responsible_id),
    ).outerjoin(Company, col(Company.id) == sums.c.company_id)
    pieces: dict[int, list[int]] = {}
    info: dict[int, tuple[str, int | None]] = {}
    for company_id, k, amount, title, responsible in session.execute(query):
        if company_id not in pieces:
            pieces[company_id] = [0] * (len(cuts) - 1)
            info[company_id] = (f"#{company_id}", None) if title is None else (title, responsible)
        if amount is not None:
            pieces[company_id][k] = int(amount)
    # running sums over the pieces make each month one subtraction
    running = {cid: list(accumulate(found, initial=0)) for cid, found in pieces.items()}
    result = []
    for bounds in windows:
        edges = [cuts.index(bound) for bound in bounds]
        first, last = edges[0], edges[-1]
        starts, ends = _picker(edges[:-1]), _picker(edges[1:])
        result.append(
            [
                _Company(
                    cid,
                    *info[cid],
                    totals[last] - totals[first],
                    tuple(map(operator.sub, ends(totals), starts(totals))),
                )
                for cid, totals in running.items()
                if totals[last] - totals[first] > 0
            ]
        )
    return result


def _picker(indices: Sequence[int]) -> Callable[[Sequence[int]], tuple[int, ...]]:
    """The items at ``indices`` of a sequence, as a tuple (a C loop: thousands of companies)."""
    if len(indices) == 1:
        only = indices[0]
        return lambda values: (values[only],)
    picked: Callable[[Sequence[int]], tuple[int, ...]] = itemgetter(*indices)
    return picked


def _today(moment: datetime, settings: KpiSettings) -> date:
    return moment.astimezone(settings.tz).date()


def abc_classes(session: Session, settings: KpiSettings, *, now: datetime) -> dict[int, str]:
    """Company id -> "A", "B" or "C" for every company with revenue in the window."""
    (companies,) = _companies(session, settings, [_today(now, settings)])
    return abc_of([(c.company_id, c.kopecks) for c in companies])


def _scoped(companies: list[_Company], scope: Scope) -> list[_Company]:
    if scope.kind == "company":
        return companies
    ids = set(scope.employee_ids)
    return [c for c in companies if c.responsible_id in ids]


def _ranked(companies: list[_Company], scope: Scope) -> tuple[list[AbcRow], AbcTotal]:
    classes = abc_of([(c.company_id, c.kopecks) for c in companies])
    listed = sorted(_scoped(companies, scope), key=lambda c: (-c.kopecks, c.company_id))
    grand = sum(c.kopecks for c in listed)
    rows, running = [], 0
    counts = dict.fromkeys((*ABC, *XYZ), 0)
    for rank, company in enumerate(listed, start=1):
        running += company.kopecks
        xyz, variation = xyz_of(company.monthly)
        abc = classes[company.company_id]
        counts[abc] += 1
        counts[xyz] += 1
        rows.append(
            AbcRow(
                rank=rank,
                company_id=company.company_id,
                title=company.title,
                responsible_id=company.responsible_id,
                revenue=_money(company.kopecks),
                share=company.kopecks / grand,
                cumulative_share=running / grand,
                abc=abc,
                xyz=xyz,
                variation=variation,
            )
        )
    return rows, AbcTotal(len(rows), _money(grand), counts)


def _totals(companies: list[_Company], scope: Scope) -> AbcTotal:
    """``_ranked``'s total alone: the classes counted, no rows built."""
    classes = abc_of([(c.company_id, c.kopecks) for c in companies])
    listed = _scoped(companies, scope)
    counts = dict.fromkeys((*ABC, *XYZ), 0)
    for company in listed:
        counts[classes[company.company_id]] += 1
        counts[xyz_of(company.monthly)[0]] += 1
    return AbcTotal(len(listed), _money(sum(c.kopecks for c in listed)), counts)


def _money(kopecks: int) -> Decimal:
    return (Decimal(kopecks) / 100).quantize(ZERO)


def abc_report(
    session: Session, scope: Scope, period: Period, settings: KpiSettings, *, now: datetime
) -> AbcReport:
    """The window ends today; ``previous_total`` is the same at the previous period's end."""
    before = previous(period, now=now)
    today = _today(now, settings)
    previous_end = min(before.end.astimezone(UTC), now.astimezone(UTC))
    # the end is exclusive: a previous period ending at midnight ends on the day before
    previous_day = _today(previous_end - timedelta(microseconds=1), settings)
    current, earlier = _companies(session, settings, [today, previous_day])
    rows, total = _ranked(current, scope)
    previous_total = _totals(earlier, scope)
    matrix = tuple(
        MatrixCell(
            a,
            x,
            sum(1 for r in rows if (r.abc, r.xyz) == (a, x)),
            sum((r.revenue for r in rows if (r.abc, r.xyz) == (a, x)), ZERO),
        )
        for a in ABC
        for x in XYZ
    )
    bounds = window_bounds(today, settings.abc_months)
    return AbcReport(
        meta=ReportMeta("abc", scope, period, before, data_as_of(session)),
        first_day=bounds[0],
        last_day=today,
        months=settings.abc_months,
        rows=tuple(rows),
        total=total,
        previous_total=previous_total,
        matrix=matrix,
    )


def _total_json(total: AbcTotal) -> dict[str, Any]:
    return {
        "companies": total.companies,
        "revenue": money_json(total.revenue),
        **{label.lower(): count for label, count in total.counts.items()},
    }


def to_json(report: AbcReport) -> dict[str, Any]:
    return {
        **meta_json(report.meta),
        "window": {
            "first_day": report.first_day.isoformat(),
            "last_day": report.last_day.isoformat(),
            "months": report.months,
        },
        "rows": [
            {
                "rank": r.rank,
                "company_id": r.company_id,
                "title": r.title,
                "revenue": money_json(r.revenue),
                "share": r.share,
                "abc": r.abc,
                "xyz": r.xyz,
                "variation": r.variation,
            }
            for r in report.rows
        ],
        "matrix": [
            {
                "abc": c.abc,
                "xyz": c.xyz,
                "companies": c.companies,
                "revenue": money_json(c.revenue),
            }
            for c in report.matrix
        ],
        "total": _total_json(report.total),
        "previous_total": _total_json(report.previous_total),
    }
