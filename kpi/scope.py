"""Who a report is about: one employee, a department with its sub-departments, the company.

An employee is an active portal user in the configured sales departments (and their
sub-departments); every report has one row per employee in scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlmodel import Session, col

from kpi.settings import KpiSettings
from store.models import Department, User, UserDepartment

ScopeKind = Literal["company", "department", "employee"]


class ScopeError(Exception):
    """An employee or department that cannot be found or is ambiguous; says what exists."""


@dataclass(frozen=True)
class Employee:
    id: int
    name: str
    department_id: int | None


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    id: int | None
    name: str
    employees: tuple[Employee, ...]

    @property
    def employee_ids(self) -> tuple[int, ...]:
        return tuple(e.id for e in self.employees)


def _children(session: Session) -> dict[int | None, list[int]]:
    children: dict[int | None, list[int]] = {}
    for dept_id, parent_id in session.execute(
        select(col(Department.id), col(Department.parent_id))
    ):
        children.setdefault(parent_id, []).append(dept_id)
    return children


def department_tree(session: Session, roots: Iterable[int]) -> set[int]:
    """The given departments and all their sub-departments."""
    children = _children(session)
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(children.get(current, []))
    return seen


def sales_employees(session: Session, settings: KpiSettings) -> list[Employee]:
    """Active users of the sales department trees (every department when none configured)."""
    query = select(
        col(User.id), col(User.first_name), col(User.last_name), col(User.department_ids)
    ).where(col(User.active).is_(True))
    if settings.sales_departments:
        depts = department_tree(session, settings.sales_departments)
        members = select(col(UserDepartment.user_id)).where(
            col(UserDepartment.department_id).in_(depts)
        )
        query = query.where(col(User.id).in_(members))
    employees = [
        Employee(
            id=uid,
            name=" ".join(p for p in (first, last) if p) or f"#{uid}",
            department_id=(dept_ids[0] if dept_ids else None),
        )
        for uid, first, last, dept_ids in session.execute(query)
    ]
    return sorted(employees, key=lambda e: (e.name, e.id))


def company_scope(session: Session, settings: KpiSettings) -> Scope:
    return Scope("company", None, "Компания", tuple(sales_employees(session, settings)))


def department_scope(session: Session, settings: KpiSettings, department_id: int) -> Scope:
    dept = session.get(Department, department_id)
    if dept is None:
        msg = f"no department with id {department_id}; known: {_department_list(session)}"
        raise ScopeError(msg)
    tree = department_tree(session, [department_id])
    members = set(
        session.execute(
            select(col(UserDepartment.user_id)).where(col(UserDepartment.department_id).in_(tree))
        ).scalars()
    )
    employees = tuple(e for e in sales_employees(session, settings) if e.id in members)
    return Scope("department", department_id, dept.name, employees)


def employee_scope(session: Session, settings: KpiSettings, user_id: int) -> Scope:
    for employee in sales_employees(session, settings):
        if employee.id == user_id:
            return Scope("employee", user_id, employee.name, (employee,))
    msg = f"user {user_id} is not an active employee of the sales departments"
    raise ScopeError(msg)


def find_employees(session: Session, settings: KpiSettings, text: str) -> list[Employee]:
    """Employees matching an id, a full name or a part of a name (case-insensitive)."""
    wanted = text.strip().lower().replace("ё", "е")
    employees = sales_employees(session, settings)
    if wanted.isdecimal():
        return [e for e in employees if e.id == int(wanted)]
    exact = [e for e in employees if e.name.lower().replace("ё", "е") == wanted]
    if exact:
        return exact
    parts = wanted.split()
    return [e for e in employees if all(p in e.name.lower().replace("ё", "е") for p in parts)]


def find_departments(session: Session, text: str) -> list[Department]:
    wanted = text.strip().lower()
    rows = list(session.execute(select(Department)).scalars())
    if wanted.isdecimal():
        return [d for d in rows if d.id == int(wanted)]
    exact = [d for d in rows if d.name.lower() == wanted]
    return exact or [d for d in rows if wanted in d.name.lower()]


def _department_list(session: Session) -> str:
    rows = session.execute(
        select(col(Department.id), col(Department.name)).order_by(col(Department.id))
    )
    return ", ".join(f"{dept_id} {name}" for dept_id, name in rows) or "none synced yet"
