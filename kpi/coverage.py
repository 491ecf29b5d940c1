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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, case, cast, false, func, literal, or_, select
from sqlmodel import Session, col

from kpi.activities import CLIENT_TYPE_NAMES, communications, is_communication
from kpi.common import ReportMeta, data_as_of
from kpi.deals import TOTAL_NAME, meta_json
from kpi.periods import Period, previous
from kpi.scope import Scope
from kpi.settings import KpiSettings
from store.clients import CLIENT_COMPANY, CLIENT_CONTACT
from store.models import Activity, Company, Contact

# Company id -> ABC class; ``kpi.abc.abc_classes`` unless a caller passes another.
AbcClasses = Callable[..., Mapping[int, str]]


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


def _touched(settings: KpiSettings, period: Period) -> Any:
    """The clients of the period's communications, computed once per statement.

    Not DISTINCT: asked for distinct clients, SQLite would skip-scan the (client, start)
    index once per client of the store instead of reading the period off the start index;
    the ``IN`` tests that read this set do not care about repeats."""
    comms = communications(settings, period).subquery("comms")
    return (
        select(comms.c.client_type, comms.c.client_id)
        .where(comms.c.client_id.is_not(None))
        .cte("touched")
        .prefix_with("MATERIALIZED")
    )


def _clients(user_ids: Sequence[int], key: ColumnElement[bool], touched: Any | None = None) -> Any:
    """The employees' clients: type, id, responsible, title, key (0/1), covered (0/1)."""

    def covered(kind: int, column: Any) -> Any:
        if touched is None:
            return literal(0)
        ids = select(touched.c.client_id).where(touched.c.client_type == kind)
        return case((column.in_(ids), 1), else_=0)

    companies = select(
        literal(CLIENT_COMPANY).label("client_type"),
        col(Company.id).label("client_id"),
        col(Company.responsible_id).label("responsible_id"),
        col(Company.title).label("title"),
        case((key, 1), else_=0).label("key"),
        covered(CLIENT_COMPANY, col(Company.id)).label("covered"),
    ).where(col(Company.responsible_id).in_(list(user_ids)))
    contacts = select(
        literal(CLIENT_CONTACT),
        col(Contact.id),
        col(Contact.responsible_id),
        func.trim(col(Contact.first_name) + " " + col(Contact.last_name)),
        literal(0),
        covered(CLIENT_CONTACT, col(Contact.id)),
    ).where(col(Contact.company_id).is_(None), col(Contact.responsible_id).in_(list(user_ids)))
    return companies.union_all(contacts).subquery("clients")


def coverage_counts(
    session: Session,
    user_ids: Sequence[int],
    period: Period | None,
    settings: KpiSettings,
    key: ColumnElement[bool],
) -> dict[int, tuple[int, int, int, int]]:
    """Per employee: (clients, covered, key clients, key clients covered); with no period,
    the covered counts are 0 and the clients are counted without reading activities."""
    result = dict.fromkeys(user_ids, (0, 0, 0, 0))
    if not result:
        return result
    clients = _clients(user_ids, key, None if period is None else _touched(settings, period))
    query = select(
        clients.c.responsible_id,
        func.count(),
        func.sum(clients.c.covered),
        func.sum(clients.c.key),
        func.sum(clients.c.key * clients.c.covered),
    ).group_by(clients.c.responsible_id)
    for uid, *values in session.execute(query):
        n, cov, keys, key_cov = (int(v or 0) for v in values)
        result[uid] = (n, cov, keys, key_cov)
    return result


def uncovered_clients(
    session: Session,
    user_ids: Sequence[int],
    period: Period,
    settings: KpiSettings,
    key: ColumnElement[bool],
) -> list[UncoveredClient]:
    """The clients of these employees with no communication in the period, by title."""
    if not user_ids:
        return []
    clients = _clients(user_ids, key, _touched(settings, period))
    # An uncovered client had no communication in the period: its latest before the
    # period's end is its latest before the period's start, read without walking over
    # whatever else the period holds for it.
    last = last_communication(settings, clients.c.client_type, clients.c.client_id, period.start)
    query = select(
        clients.c.client_type,
        clients.c.client_id,
        clients.c.responsible_id,
        clients.c.title,
        clients.c.key,
        last,
    ).where(clients.c.covered == 0)
    result = [
        UncoveredClient(
            client_id=cid,
            client_type=CLIENT_TYPE_NAMES[ctype],
            title=(title or "").strip() or f"#{cid}",
            url=client_url(settings.portal_url, ctype, cid),
            last_contact=None if at is None else at.astimezone(period.tz),
            employee_id=uid,
            key=bool(key_flag),
        )
        for ctype, cid, uid, title, key_flag, at in session.execute(query)
    ]
    return sorted(result, key=lambda c: (c.title.casefold(), c.client_type, c.client_id))


def last_communication(
    settings: KpiSettings, client_type: Any, client_id: Any, before: datetime
) -> Any:
    """The start of the client's latest communication before ``before`` (null: none), as a
    column correlated to ``client_type`` and ``client_id``: the (client, start) index reads
    it backwards from ``before``, usually one entry per client."""
    return (
        select(col(Activity.start_at))
        .where(
            col(Activity.client_type) == client_type,
            col(Activity.client_id) == client_id,
            col(Activity.start_at) < before,
            is_communication(settings),
        )
        .order_by(col(Activity.start_at).desc())
        .limit(1)
        .scalar_subquery()
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


def _sum(counts: Mapping[int, tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
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
    # The activities of the period are read once, for the uncovered list; the covered
    # counts are what remains of each employee's clients.
    totals = coverage_counts(session, ids, None, settings, key)
    uncovered = uncovered_clients(session, ids, period, settings, key)
    by_employee: dict[int, list[UncoveredClient]] = {uid: [] for uid in ids}
    for client in uncovered:
        by_employee[client.employee_id].append(client)
    counts: dict[int, tuple[int, int, int, int]] = {}
    for uid, (clients, _, keys, _) in totals.items():
        mine = by_employee[uid]
        counts[uid] = (clients, clients - len(mine), keys, keys - sum(c.key for c in mine))
    rows = tuple(_row(e.id, e.name, counts[e.id], by_employee[e.id]) for e in scope.employees)
    prev = previous(period, now=now)
    prev_counts = coverage_counts(session, ids, prev, settings, key)
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
