"""Who may see what (DESIGN.md, mission 14), the same for both chat front ends.

- admin (config role): everything;
- head: their department trees: the departments whose portal head they are, and, with
  role "head" in the config, the departments they belong to; plus themselves;
- employee: themselves, and the public leaderboard (``/rating``, any scope: it is
  the board the team chat sees every morning);
- stranger (not configured, not linked, or no longer an active user): nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from bot.args import COMPANY, Target
from bot.settings import Person, Role
from kpi.scope import department_tree
from store.models import Department, User, UserDepartment

PUBLIC_REPORTS = frozenset({"rating"})


@dataclass(frozen=True)
class Viewer:
    role: Role
    user_id: int | None
    name: str = ""
    departments: frozenset[int] = frozenset()  # every department a head sees
    roots: tuple[int, ...] = ()  # the departments they head: their default scope

    @property
    def known(self) -> bool:
        return self.role is not Role.STRANGER


STRANGER = Viewer(Role.STRANGER, None)


def resolve_viewer(session: Session, person: Person | None, user_id: int | None) -> Viewer:
    """The viewer behind a portal user id (``person``: their config entry, if any)."""
    if user_id is None:
        return STRANGER
    user = session.get(User, user_id)
    configured = person.role if person is not None else None
    if configured is Role.ADMIN:
        return Viewer(Role.ADMIN, user_id, user.full_name if user else f"#{user_id}")
    if user is None or not user.active:
        return STRANGER
    headed = session.execute(
        select(col(Department.id)).where(col(Department.head_id) == user_id)
    ).scalars()
    roots = set(headed)
    if configured is Role.HEAD:
        roots.update(user.department_ids)
    if not roots and configured is not Role.HEAD:
        return Viewer(Role.EMPLOYEE, user_id, user.full_name)
    ordered = tuple(sorted(roots))
    tree = frozenset(department_tree(session, ordered))
    return Viewer(Role.HEAD, user_id, user.full_name, tree, ordered)


def may_see(session: Session, viewer: Viewer, report: str, target: Target) -> bool:
    if not viewer.known:
        return False
    if viewer.role is Role.ADMIN or report in PUBLIC_REPORTS:
        return True
    if target.kind == "employee" and target.id == viewer.user_id:
        return True
    if viewer.role is not Role.HEAD or target.id is None or target.kind == "company":
        return False
    if target.kind == "department":
        return target.id in viewer.departments
    depts = session.execute(
        select(col(UserDepartment.department_id)).where(col(UserDepartment.user_id) == target.id)
    ).scalars()
    return not viewer.departments.isdisjoint(depts)


def default_target(session: Session, viewer: Viewer, report: str) -> Target | None:
    """What a report is about when the command names nobody; None for strangers."""
    if not viewer.known or viewer.user_id is None:
        return None
    if viewer.role is Role.ADMIN or report in PUBLIC_REPORTS:
        return COMPANY
    if viewer.role is Role.HEAD and viewer.roots:
        dept = session.get(Department, viewer.roots[0])
        return Target("department", viewer.roots[0], dept.name if dept else "")
    return Target("employee", viewer.user_id, viewer.name)
