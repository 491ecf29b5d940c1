"""Names to targets, from the store: the ``Directory`` that ``bot.args`` asks."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlmodel import Session, col

from bot.args import Target
from kpi.scope import (
    Scope,
    ScopeError,
    company_scope,
    department_scope,
    employee_scope,
    find_departments,
    find_employees,
)
from kpi.settings import KpiSettings
from store.bot_models import TelegramLink


class StoreDirectory:
    """Employees of the sales departments, every department, and linked @usernames."""

    def __init__(self, session: Session, settings: KpiSettings) -> None:
        self._session = session
        self._settings = settings

    def employees(self, text: str) -> Sequence[Target]:
        found = find_employees(self._session, self._settings, text)
        return [Target("employee", e.id, e.name) for e in found]

    def departments(self, text: str) -> Sequence[Target]:
        return [Target("department", d.id, d.name) for d in find_departments(self._session, text)]

    def username(self, name: str) -> Target | None:
        user_id = self._session.execute(
            select(col(TelegramLink.user_id)).where(
                func.lower(col(TelegramLink.username)) == name.lower()
            )
        ).scalar()
        if user_id is None:
            return None
        found = [e for e in find_employees(self._session, self._settings, str(user_id))]
        return Target("employee", found[0].id, found[0].name) if found else None


def scope_of(session: Session, settings: KpiSettings, target: Target) -> Scope:
    """The kpi scope a target names; ScopeError when it no longer exists."""
    if target.kind == "company":
        return company_scope(session, settings)
    if target.id is None:
        msg = f"a {target.kind} target needs an id"
        raise ScopeError(msg)
    if target.kind == "department":
        return department_scope(session, settings, target.id)
    return employee_scope(session, settings, target.id)
