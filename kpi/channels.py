"""The "channels" report: leads, won deals, revenue and cost per lead source.

Definitions (DESIGN.md, "Channels"):

- ``leads``: leads created in the period from the source, whoever is responsible;
- ``deals_won``/``revenue``: deals won in the period (close day, as the revenue report),
  whoever is responsible, attributed to their lead's source; a deal whose lead is not in
  the store (none, or older than the history) counts under its own source;
- ``cost``: the source's monthly costs (``settings.channel_costs``, overridden per source
  and month by costs kept in the store), each month's cost taken by the share of that
  month the period covers up to now (a whole past month: all of it; this month on the 15th
  of 30 days: half); null when no month of the period has a cost for the source;
- ``cost_per_lead`` = cost / leads, ``cost_per_won`` = cost / deals_won,
  ``return_on_spend`` = revenue / cost; each null where no cost is set or nothing to divide.

Channels belong to the company: for the company scope the figures are exactly these. A
department's or an employee's scope (a head asking about their tree) counts only the leads
and won deals its employees are responsible for, and shows no costs (they are the
company's, not split by department), so nobody sees more than their scope holds.
Rows: every source with leads, won deals or a cost in the period, most leads first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from kpi.common import ReportMeta, data_as_of, local_day_bounds
from kpi.conversion import NO_SOURCE
from kpi.deals import CENT, TOTAL_NAME, ZERO, deal_won, meta_json, money_json
from kpi.periods import Period, previous
from kpi.scope import Scope
from kpi.settings import KpiSettings
from store.models import Deal, DictionaryEntry, Lead
from store.plan_models import ChannelCost

Costs = Mapping[str, Mapping[str, Decimal]]  # source id -> "YYYY-MM" -> cost


@dataclass(frozen=True)
class ChannelRow:
    source_id: str | None
    source: str
    leads: int
    deals_won: int
    revenue: Decimal
    cost: Decimal | None
    cost_per_lead: Decimal | None
    cost_per_won: Decimal | None
    return_on_spend: Decimal | None


@dataclass(frozen=True)
class ChannelsReport:
    meta: ReportMeta
    rows: tuple[ChannelRow, ...]
    total: ChannelRow
    previous_total: ChannelRow


def effective_costs(session: Session, configured: Costs) -> dict[str, dict[str, Decimal]]:
    """The config's costs with the store's newest value per source and month over them."""
    merged = {source: dict(months) for source, months in configured.items()}
    newest = select(func.max(col(ChannelCost.id))).group_by(
        col(ChannelCost.source_id), col(ChannelCost.month)
    )
    rows = session.execute(select(ChannelCost).where(col(ChannelCost.id).in_(newest))).scalars()
    for row in rows:
        if row.amount is not None:
            merged.setdefault(row.source_id, {})[row.month] = row.amount
    return merged


def month_shares(period: Period, now: datetime) -> dict[str, Decimal]:
    """ "YYYY-MM" -> the share of that month inside [start, min(end, now))."""
    start = period.start.astimezone(UTC)
    end = min(period.end.astimezone(UTC), max(now.astimezone(UTC), start))
    shares: dict[str, Decimal] = {}
    local = period.start.astimezone(period.tz)
    month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while month.astimezone(UTC) < end:
        after = (month + timedelta(days=32)).replace(day=1)
        first, last = month.astimezone(UTC), after.astimezone(UTC)
        inside = (min(end, last) - max(start, first)).total_seconds()
        if inside > 0:
            whole = Decimal(str((last - first).total_seconds()))
            shares[f"{month:%Y-%m}"] = Decimal(str(inside)) / whole
        month = after
    return shares


def _cost(costs: Mapping[str, Decimal] | None, shares: Mapping[str, Decimal]) -> Decimal | None:
    if not costs:
        return None
    given = [costs[m] * share for m, share in shares.items() if m in costs]
    if not given:
        return None
    return sum(given, Decimal(0)).quantize(CENT, ROUND_HALF_UP)


def _div(top: Decimal | int, bottom: Decimal | int | None) -> Decimal | None:
    if bottom is None or bottom == 0:
        return None
    return (Decimal(top) / Decimal(bottom)).quantize(CENT, ROUND_HALF_UP)


def _row(
    source_id: str | None,
    name: str,
    leads: int,
    won: tuple[int, Decimal],
    cost: Decimal | None,
) -> ChannelRow:
    count, revenue = won
    return ChannelRow(
        source_id=source_id,
        source=name,
        leads=leads,
        deals_won=count,
        revenue=revenue,
        cost=cost,
        cost_per_lead=None if cost is None else _div(cost, leads),
        cost_per_won=None if cost is None else _div(cost, count),
        return_on_spend=None if cost is None else _div(revenue, cost),
    )


Owners = Sequence[int] | None  # None: whoever is responsible


def _leads(session: Session, period: Period, owners: Owners) -> dict[str | None, int]:
    query = (
        select(col(Lead.source_id), func.count())
        .where(col(Lead.created_at) >= period.start, col(Lead.created_at) < period.end)
        .group_by(col(Lead.source_id))
    )
    if owners is not None:
        query = query.where(col(Lead.responsible_id).in_(list(owners)))
    return {source: int(n) for source, n in session.execute(query)}


def _won(
    session: Session, period: Period, owners: Owners
) -> dict[str | None, tuple[int, Decimal]]:
    first, last_exclusive = local_day_bounds(period)
    source = case((col(Lead.id).is_not(None), col(Lead.source_id)), else_=col(Deal.source_id))
    query = (
        select(source, func.count(), func.sum(col(Deal.amount)))
        .select_from(Deal)
        .outerjoin(Lead, col(Lead.id) == col(Deal.lead_id))
        .where(deal_won(), col(Deal.close_date) >= first, col(Deal.close_date) < last_exclusive)
        .group_by(source)
    )
    if owners is not None:
        query = query.where(col(Deal.responsible_id).in_(list(owners)))
    return {code: (int(n), amount or ZERO) for code, n, amount in session.execute(query)}


def _figures(
    session: Session, period: Period, costs: Costs, owners: Owners, *, now: datetime
) -> tuple[tuple[ChannelRow, ...], ChannelRow]:
    leads, won = _leads(session, period, owners), _won(session, period, owners)
    shares = month_shares(period, now)
    cost_of = {code: _cost(costs.get(code), shares) for code in costs}
    codes = set(leads) | set(won) | {c for c, v in cost_of.items() if v is not None}
    names = _names(session, [c for c in codes if c is not None])
    rows = [
        _row(
            code,
            NO_SOURCE if code is None else names.get(code, code),
            leads.get(code, 0),
            won.get(code, (0, ZERO)),
            cost_of.get(code) if code is not None else None,
        )
        for code in codes
    ]
    rows.sort(key=lambda r: (-r.leads, -r.revenue, r.source, r.source_id or ""))
    given = [r.cost for r in rows if r.cost is not None]
    total = _row(
        None,
        TOTAL_NAME,
        sum(r.leads for r in rows),
        (sum(r.deals_won for r in rows), sum((r.revenue for r in rows), ZERO)),
        sum(given, ZERO) if given else None,
    )
    return tuple(rows), total


def _names(session: Session, codes: Sequence[str]) -> dict[str, str]:
    if not codes:
        return {}
    query = select(col(DictionaryEntry.code), col(DictionaryEntry.name)).where(
        col(DictionaryEntry.kind) == "source", col(DictionaryEntry.code).in_(codes)
    )
    return {code: name for code, name in session.execute(query)}


def channels_report(
    session: Session, scope: Scope, period: Period, settings: KpiSettings, *, now: datetime
) -> ChannelsReport:
    owners = None if scope.kind == "company" else scope.employee_ids
    costs = effective_costs(session, settings.channel_costs) if owners is None else {}
    rows, total = _figures(session, period, costs, owners, now=now)
    before = previous(period, now=now)
    _, previous_total = _figures(session, before, costs, owners, now=now)
    return ChannelsReport(
        meta=ReportMeta("channels", scope, period, before, data_as_of(session)),
        rows=rows,
        total=total,
        previous_total=previous_total,
    )


def _money(value: Decimal | None) -> str | None:
    return None if value is None else money_json(value)


def row_json(row: ChannelRow) -> dict[str, Any]:
    return {
        "source_id": row.source_id,
        "source": row.source,
        "leads": row.leads,
        "deals_won": row.deals_won,
        "revenue": money_json(row.revenue),
        "cost": _money(row.cost),
        "cost_per_lead": _money(row.cost_per_lead),
        "cost_per_won": _money(row.cost_per_won),
        "return_on_spend": None if row.return_on_spend is None else float(row.return_on_spend),
    }


def to_json(report: ChannelsReport) -> dict[str, Any]:
    return {
        **meta_json(report.meta),
        "rows": [row_json(r) for r in report.rows],
        "total": row_json(report.total),
        "previous_total": row_json(report.previous_total),
    }
