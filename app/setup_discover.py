"""What `crm-pulse init` proposes, read from a freshly synced store.

- The department tree with each department's head and its active employees (whole tree).
- Sales departments (DESIGN.md, "Sales departments that init proposes"): those whose own
  active users own at least 5% of the deals and leads created and the calls started in the
  last 90 days, written as the tops of their trees.
- Plans: for each proposed department, every metric's monthly target per employee: each
  employee's median month over the last three full months (the same facts as the kpi
  report), then the median over the employees who did anything, rounded to two significant
  digits. An employee with nothing in those months (new, on leave) does not pull it down.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlmodel import Session, col

from kpi.kpiplan import facts
from kpi.periods import range_period
from kpi.scope import department_tree
from kpi.settings import METRICS, KpiSettings
from store.models import Call, Deal, Department, Lead, User, UserDepartment

SALES_SHARE = Decimal("0.05")
LOOKBACK = timedelta(days=90)


@dataclass(frozen=True)
class DeptNode:
    id: int
    name: str
    parent_id: int | None
    depth: int
    head_id: int | None
    head_name: str
    employees: int  # active users in the department and its sub-departments


def user_names(session: Session) -> dict[int, str]:
    rows = session.execute(select(col(User.id), col(User.first_name), col(User.last_name)))
    return {uid: " ".join(p for p in (first, last) if p) or f"#{uid}" for uid, first, last in rows}


def _active_members(session: Session) -> dict[int, set[int]]:
    """Department id -> its own active users."""
    query = (
        select(col(UserDepartment.department_id), col(UserDepartment.user_id))
        .join(User, col(User.id) == col(UserDepartment.user_id))
        .where(col(User.active).is_(True))
    )
    members: dict[int, set[int]] = {}
    for dept, uid in session.execute(query):
        members.setdefault(dept, set()).add(uid)
    return members


def tree(session: Session) -> list[DeptNode]:
    """Every department, depth first, children sorted by name."""
    depts = list(session.execute(select(Department)).scalars())
    names = user_names(session)
    members = _active_members(session)
    children: dict[int | None, list[Department]] = {}
    known = {d.id for d in depts}
    for dept in depts:
        parent = dept.parent_id if dept.parent_id in known else None
        children.setdefault(parent, []).append(dept)
    nodes: list[DeptNode] = []

    def walk(parent: int | None, depth: int) -> set[int]:
        everyone: set[int] = set()
        for dept in sorted(children.get(parent, []), key=lambda d: (d.sort, d.name, d.id)):
            at = len(nodes)
            nodes.append(DeptNode(dept.id, dept.name, parent, depth, dept.head_id, "", 0))
            below = members.get(dept.id, set()) | walk(dept.id, depth + 1)
            head = names.get(dept.head_id, "") if dept.head_id else ""
            nodes[at] = DeptNode(dept.id, dept.name, parent, depth, dept.head_id, head, len(below))
            everyone |= below
        return everyone

    walk(None, 0)
    return nodes


def activity_by_user(session: Session, since: datetime) -> Counter[int]:
    """Deals and leads created and calls started since ``since``, per owning user."""
    counts: Counter[int] = Counter()
    for model, owner, moment in (
        (Deal, Deal.responsible_id, Deal.created_at),
        (Lead, Lead.responsible_id, Lead.created_at),
        (Call, Call.user_id, Call.start_at),
    ):
        query = (
            select(col(owner), func.count())
            .select_from(model)
            .where(col(moment) >= since, col(owner).is_not(None))
            .group_by(col(owner))
        )
        for uid, count in session.execute(query):
            counts[int(uid)] += int(count)
    return counts


def propose_sales(session: Session, now: datetime) -> list[int]:
    """The sales departments init proposes (tops of trees), by the 5% rule."""
    counts = activity_by_user(session, now - LOOKBACK)
    total = sum(counts.values())
    if not total:
        return []
    chosen = {
        dept
        for dept, users in _active_members(session).items()
        if Decimal(sum(counts[u] for u in users)) >= SALES_SHARE * total
    }
    return tops(session, chosen)


def tops(session: Session, chosen: Iterable[int]) -> list[int]:
    """The chosen departments that have no chosen department above them."""
    parents = dict(session.execute(select(col(Department.id), col(Department.parent_id))).all())
    picked = set(chosen)
    result = []
    for dept in sorted(picked):
        up, seen = parents.get(dept), {dept}
        while up is not None and up not in picked and up not in seen:
            seen.add(up)
            up = parents.get(up)
        if up is None or up in seen:
            result.append(dept)
    return result


def heads(session: Session, roots: Sequence[int]) -> list[int]:
    """Active heads of the departments of these trees, in order of their department."""
    depts = department_tree(session, roots)
    active = set(session.execute(select(col(User.id)).where(col(User.active).is_(True))).scalars())
    query = select(col(Department.head_id)).where(col(Department.id).in_(depts))
    found = {h for h in session.execute(query.order_by(col(Department.id))).scalars() if h}
    return sorted(found & active)


def last_full_months(today: date, count: int = 3) -> list[tuple[date, date]]:
    """(first, last) day of each of the ``count`` full months before ``today``'s month."""
    months = []
    end = today.replace(day=1) - timedelta(days=1)
    for _ in range(count):
        first = end.replace(day=1)
        months.append((first, end))
        end = first - timedelta(days=1)
    return list(reversed(months))


def nice(value: Decimal) -> Decimal:
    """Rounded to two significant digits (437 -> 440, 1 234 567 -> 1 200 000); 0 stays 0."""
    if value <= 0:
        return Decimal(0)
    exponent = value.adjusted() - 1
    step = Decimal(1).scaleb(exponent) if exponent > 0 else Decimal(1)
    return Decimal(int((value / step).quantize(Decimal(1), ROUND_HALF_UP) * step))


def suggest_plans(
    session: Session, settings: KpiSettings, roots: Sequence[int], now: datetime
) -> dict[int, dict[str, Decimal]]:
    """Monthly targets per employee for each sales department (see the module's note)."""
    members = _active_members(session)
    months = last_full_months(now.astimezone(settings.tz).date())
    periods = [range_period(a, b, now=now, tz=settings.tz) for a, b in months]
    result: dict[int, dict[str, Decimal]] = {}
    for root in roots:
        users = sorted({u for d in department_tree(session, [root]) for u in members.get(d, ())})
        monthly = [facts(session, users, period, settings) for period in periods]
        result[root] = _medians(users, monthly)
    return result


def _medians(
    users: Sequence[int], monthly: Sequence[Mapping[int, Mapping[str, Decimal]]]
) -> dict[str, Decimal]:
    working = [u for u in users if any(any(m[u].values()) for m in monthly)]
    plans: dict[str, Decimal] = {}
    for metric in METRICS:
        typical = [statistics.median(m[u][metric] for m in monthly) for u in working]
        if typical:
            target = nice(Decimal(statistics.median(typical)))
            if target > 0:
                plans[metric] = target
    return plans
