"""A token to what it opens: the link's scope, and the narrower scopes it lets one pick.

Anything wrong (unknown, expired or revoked token, a link of the other kind, a department
that no longer exists, a scope outside the link's) is ``None``: the page answers 404 and
says nothing of what exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from kpi.scope import (
    Scope,
    ScopeError,
    company_scope,
    department_scope,
    department_tree,
    employee_scope,
)
from kpi.settings import KpiSettings
from locales import _
from store.models import Department
from store.web_models import LinkKind, LinkScope, find_link
from web.pages import texts


@dataclass(frozen=True)
class Opened:
    kind: str
    link_scope: LinkScope
    scope: Scope  # the whole scope of the link
    expires_at: datetime | None


@dataclass(frozen=True)
class Choice:
    key: str  # "company", "d12", "e34": the query's ``scope``
    label: str
    depth: int = 0


def scope_for(session: Session, settings: KpiSettings, scope: LinkScope) -> Scope:
    if scope.kind == "company" or scope.id is None:
        return company_scope(session, settings)
    if scope.kind == "department":
        return department_scope(session, settings, scope.id)
    return employee_scope(session, settings, scope.id)


def open_link(
    session: Session, settings: KpiSettings, token: str, kind: LinkKind, *, now: datetime
) -> Opened | None:
    link = find_link(session, token, kind, now=now)
    if link is None:
        return None
    link_scope = LinkScope(link.scope_kind, link.scope_id)  # type: ignore[arg-type]
    try:
        scope = scope_for(session, settings, link_scope)
    except ScopeError:
        return None
    return Opened(link.kind, link_scope, scope, link.expires_at)


def _departments(session: Session, roots: list[int] | None) -> list[tuple[int, str, int]]:
    """Departments of the trees under ``roots`` (all when None), depth-first, with depth."""
    rows = list(
        session.execute(
            select(col(Department.id), col(Department.name), col(Department.parent_id)).order_by(
                col(Department.sort), col(Department.name), col(Department.id)
            )
        )
    )
    children: dict[int | None, list[tuple[int, str]]] = {}
    ids = {dept_id for dept_id, _, _ in rows}
    for dept_id, name, parent in rows:
        children.setdefault(parent if parent in ids else None, []).append((dept_id, name))
    wanted = None if roots is None else department_tree(session, roots)
    tops = [(d, n) for d, n, _ in rows if d in roots] if roots is not None else children[None]
    found: list[tuple[int, str, int]] = []
    stack = [(d, n, 0) for d, n in reversed(tops)]
    seen: set[int] = set()
    while stack:
        dept_id, name, depth = stack.pop()
        if dept_id in seen or (wanted is not None and dept_id not in wanted):
            continue
        seen.add(dept_id)
        found.append((dept_id, name, depth))
        stack.extend((d, n, depth + 1) for d, n in reversed(children.get(dept_id, [])))
    return found


def choices(session: Session, settings: KpiSettings, opened: Opened) -> list[Choice]:
    """The scopes a dashboard link may show: its own and everything inside it."""
    link_scope = opened.link_scope
    if link_scope.kind == "employee":
        employee = opened.scope.employees[0]
        return [Choice(f"e{employee.id}", employee.name)]
    found: list[Choice] = []
    if link_scope.kind == "company":
        found.append(Choice("company", _(texts.COMPANY)))
        roots = list(settings.sales_departments) or None
    else:
        roots = [link_scope.id] if link_scope.id is not None else []
    found.extend(
        Choice(f"d{dept_id}", name, depth) for dept_id, name, depth in _departments(session, roots)
    )
    found.extend(Choice(f"e{e.id}", e.name) for e in opened.scope.employees)
    return found


def pick(
    session: Session, settings: KpiSettings, opened: Opened, key: str | None
) -> tuple[str, Scope] | None:
    """The scope a query's ``scope`` names, if the link allows it; the link's own by default."""
    allowed = {c.key for c in choices(session, settings, opened)}
    if not key:
        key = next(iter(c.key for c in choices(session, settings, opened)))
    if key not in allowed:
        return None
    try:
        if key == "company":
            return key, company_scope(session, settings)
        if key.startswith("d"):
            return key, department_scope(session, settings, int(key[1:]))
        return key, employee_scope(session, settings, int(key[1:]))
    except (ScopeError, ValueError):
        return None
