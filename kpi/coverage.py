"""The "coverage" report: which clients of each employee had a communication in the period.

- Clients of an employee: companies whose responsible user they are, and contacts with no
  company whose responsible user they are (DESIGN.md), as the store knows them now.
- Covered: at least one communication (``kpi.activities``) with the client started in the
  period, by anyone. ``coverage`` = covered / clients, null for an employee with no clients.
- Key clients: companies matched by ``settings.key_clients``: an id in ``ids``, the company
  field ``field`` equal to ``value`` (compared as text), or ABC class A (``kpi.abc``); any
  of the configured rules. Contacts are never key clients.
- ``uncovered``: each uncovered client with a link to its card and ``last_contact``, the
  start of its latest communication before the period's end (null: never), ordered by title.
- The total is the sum of the rows: its ``coverage`` is covered / clients over the scope and
  its ``uncovered`` every row's list in row order.

Both periods are read in one statement from the clients' contacts the store keeps per kind
and month (``kpi.last_contact``, ``store.contacts``): a few index entries per client instead
of the period's activities and each uncovered client's walk back over its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, case, cast, false, func, literal, or_, select
from sqlmodel import Session, col

from kpi import last_contact
from kpi.activities import CLIENT_TYPE_NAMES
from kpi.common import ReportMeta, data_as_of
from kpi.deals import TOTAL_NAME, meta_json
from kpi.periods import Period, previous
from kpi.scope import Scope
from kpi.settings import KpiSettings
from store.clients import CLIENT_COMPANY, CLIENT_CONTACT, in_ids
from store.models import Company, Contact

# Company id -> ABC class; ``kpi.abc.abc_classes`` unless a caller passes another.
AbcClasses = Callable[..., Mapping[int, str]]
# Per employee: (clients, covered, key clients, key clients covered).
_Counts = dict[int, tuple[int, int, int, int]]


@dataclass(frozen=True)
class UncoveredClient:
    client_id: int
    client_type: str  # company or contact
    title: str
    url: str
    last_contact: datetime | None
    employee_id: int
    key: bool


@dataclass(frozen=True)
class CoverageRow:
    employee_id: int | None
    employee: str
    clients: int
    covered: int
    coverage: float | None
    key_clients: int
    key_covered: int
    uncovered: tuple[UncoveredClient, ...]


@dataclass(frozen=True)
class CoverageReport:
    meta: ReportMeta
    rows: tuple[CoverageRow, ...]
    total: CoverageRow
    previous_total: CoverageRow


def client_url(portal_url: str, client_type: int, client_id: int) -> str:
    kind = CLIENT_TYPE_NAMES[client_type]
    return f"{portal_url.rstrip('/')}/crm/{kind}/details/{client_id}/"


def key_company(
    session: Session, settings: KpiSettings, *, now: datetime, abc: AbcClasses | None = None
) -> ColumnElement[bool]:
    """The key-client rule as a condition on ``Company``."""
    rule = settings.key_clients
    parts: list[ColumnElement[bool]] = []
    if rule.ids:
        parts.append(col(Company.id).in_(sorted(rule.ids)))
    if rule.field and rule.value is not None:
        value = col(Company.custom_fields)[rule.field].as_string()
        parts.append(cast(value, String) == rule.value)
    if rule.abc_a:
        if abc is None:
            from kpi.abc import abc_classes

            abc = abc_classes
        classes = abc(session, settings, now=now)
        parts.append(col(Company.id).in_(sorted(cid for cid, c in classes.items() if c == "A")))
    return or_(*parts) if parts else false()


def _clients(session: Session, user_ids: Sequence[int], key: ColumnElement[bool]) -> Any:
    """The employees' clients: type, id, responsible, title, key (0/1)."""
    companies = select(
        literal(CLIENT_COMPANY).label("client_type"),
        col(Company.id).label("client_id"),
        col(Company.responsible_id).label("responsible_id"),
        col(Company.title).label("title"),
        case((key, 1), else_=0).label("key"),
    ).where(in_ids(session, Company.responsible_id, user_ids))
    contacts = select(
        literal(CLIENT_CONTACT),
        col(Contact.id),
        col(Contact.responsible_id),
        func.trim(col(Contact.first_name) + " " + col(Contact.last_name)),
        literal(0),
    ).where(col(Contact.company_id).is_(None), in_ids(session, Contact.responsible_id, user_ids))
    return companies.union_all(contacts).subquery("clients")


@dataclass(frozen=True)
class _Figures:
    counts: _Counts  # in the period
    previous: _Counts  # in the previous period
    uncovered: list[UncoveredClient]


def _read(
    session: Session,
    user_ids: Sequence[int],
    periods: tuple[Period, Period],
    settings: KpiSettings,
    key: ColumnElement[bool],
) -> _Figures:
    """In one statement: per employee the counts in both periods, and the clients not
    covered in the first with their latest communication before it."""
    empty = dict.fromkeys(user_ids, (0, 0, 0, 0))
    if not user_ids:
        return _Figures(empty, dict(empty), [])
    base = _clients(session, user_ids, key)
    flags = [
        last_contact.covered(settings, base.c.client_type, base.c.client_id, p).label(f"c{i}")
        for i, p in enumerate(periods)
    ]
    # Materialized: each client's flags are computed once, for both parts below.
    clients = select(base, *flags).cte("flagged").prefix_with("MATERIALIZED")
    c = clients.c
    last = last_contact.last_before(settings, c.client_type, c.client_id, periods[0])
    missing = select(
        literal(1).label("part"),
        c.responsible_id,
        c.client_type,
        c.client_id,
        c.key,
        literal(0),
        literal(0),
        literal(0),
        c.title,
        last.label("last"),
    ).where(c.c0 == 0)
    counts = select(
        literal(0),
        c.responsible_id,
        func.count(),
        func.sum(c.c0),
        func.sum(c.key),
        func.sum(c.key * c.c0),
        func.sum(c.c1),
        func.sum(c.key * c.c1),
        literal(None),
        literal(None),
    ).group_by(c.responsible_id)
    figures = _Figures(empty, dict(empty), [])
    for part, uid, *values, title, at in session.execute(missing.union_all(counts)):
        if part:
            found = (uid, *values[:3], title, at)
            figures.uncovered.append(_uncovered(settings, periods[0], found))
        else:
            n, cov, keys, key_cov, prev_cov, prev_key_cov = (int(v or 0) for v in values)
            figures.counts[uid] = (n, cov, keys, key_cov)
            figures.previous[uid] = (n, prev_cov, keys, prev_key_cov)
    figures.uncovered.sort(key=lambda u: (u.title.casefold(), u.client_type, u.client_id))
    return figures


def _uncovered(settings: KpiSettings, period: Period, found: Sequence[Any]) -> UncoveredClient:
    """(employee, client type, client id, key flag, title, last contact) as the report's."""
    uid, client_type, client_id, key_flag, title, at = found
    return UncoveredClient(
        client_id=client_id,
        client_type=CLIENT_TYPE_NAMES[client_type],
        title=(title or "").strip() or f"#{client_id}",
        url=client_url(settings.portal_url, client_type, client_id),
        last_contact=None if at is None else at.astimezone(period.tz),
        employee_id=uid,
        key=bool(key_flag),
    )


def _row(
    uid: int | None,
    name: str,
    counts: tuple[int, int, int, int],
    uncovered: Sequence[UncoveredClient],
) -> CoverageRow:
    clients, covered, keys, key_covered = counts
    return CoverageRow(
        employee_id=uid,
        employee=name,
        clients=clients,
        covered=covered,
        coverage=covered / clients if clients else None,
        key_clients=keys,
        key_covered=key_covered,
        uncovered=tuple(uncovered),
    )


def _sum(counts: _Counts) -> tuple[int, int, int, int]:
    a, b, c, d = zip(*counts.values(), strict=True) if counts else ((), (), (), ())
    return sum(a), sum(b), sum(c), sum(d)


def coverage_report(
    session: Session,
    scope: Scope,
    period: Period,
    settings: KpiSettings,
    *,
    now: datetime,
    abc: AbcClasses | None = None,
) -> CoverageReport:
    key = key_company(session, settings, now=now, abc=abc)
    ids = scope.employee_ids
    prev = previous(period, now=now)
    # One read of the clients' summary rows answers both periods (``kpi.last_contact``).
    figures = _read(session, ids, (period, prev), settings, key)
    counts, prev_counts = figures.counts, figures.previous
    by_employee: dict[int, list[UncoveredClient]] = {uid: [] for uid in ids}
    for client in figures.uncovered:
        by_employee[client.employee_id].append(client)
    rows = tuple(_row(e.id, e.name, counts[e.id], by_employee[e.id]) for e in scope.employees)
    return CoverageReport(
        meta=ReportMeta("coverage", scope, period, prev, data_as_of(session)),
        rows=rows,
        total=_row(None, TOTAL_NAME, _sum(counts), [c for r in rows for c in r.uncovered]),
        previous_total=_row(None, TOTAL_NAME, _sum(prev_counts), ()),
    )


def uncovered_json(client: UncoveredClient) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "client_type": client.client_type,
        "title": client.title,
        "url": client.url,
        "last_contact": None if client.last_contact is None else client.last_contact.isoformat(),
        "key": client.key,
    }


def row_json(row: CoverageRow, *, details: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "employee_id": row.employee_id,
        "employee": row.employee,
        "clients": row.clients,
        "covered": row.covered,
        "coverage": row.coverage,
        "key_clients": row.key_clients,
        "key_covered": row.key_covered,
    }
    if details:
        data["uncovered"] = [uncovered_json(c) for c in row.uncovered]
    return data


def to_json(report: CoverageReport) -> dict[str, Any]:
    return {
        **meta_json(report.meta),
        "rows": [row_json(row) for row in report.rows],
        "total": row_json(report.total),
        "previous_total": row_json(report.previous_total, details=False),
    }
