"""Who may see what: admins everything, heads their trees, employees themselves and /rating."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.access import STRANGER, default_target, may_see, resolve_viewer
from bot.args import COMPANY, Target
from bot.settings import Person, Role
from tests.fakes.bot_world import write_world

SALES = Target("department", 1, "Продажи")
MOSCOW = Target("department", 2, "Продажи Москва")
ACCOUNTING = Target("department", 3, "Бухгалтерия")
ANNA, BORIS, VERA, ANNA_P = (Target("employee", i, "") for i in (10, 11, 12, 15))


@pytest.fixture
def session(sqlite_engine: Engine) -> Iterator[Session]:
    write_world(sqlite_engine)
    with Session(sqlite_engine) as session:
        yield session


def test_roles_come_from_the_config_and_the_portal(session: Session) -> None:
    admin = resolve_viewer(session, Person(10, 1, Role.ADMIN), 10)
    assert (admin.role, admin.name) == (Role.ADMIN, "Anna Orlova")
    head = resolve_viewer(session, None, 11)  # head of department 2 in the portal
    assert (head.role, head.roots, head.departments) == (Role.HEAD, (2,), frozenset({2}))
    configured = resolve_viewer(session, Person(10, None, Role.HEAD), 10)
    assert configured.roots == (1,)  # role=head: the departments they belong to
    assert configured.departments == frozenset({1, 2})  # with their sub-departments
    assert resolve_viewer(session, None, 12).role is Role.EMPLOYEE
    assert resolve_viewer(session, None, 14) is STRANGER  # fired
    assert resolve_viewer(session, None, 777) is STRANGER  # not a portal user
    assert resolve_viewer(session, None, None) is STRANGER
    # an admin in the config stays admin before the first sync brings their user row
    assert resolve_viewer(session, Person(777, None, Role.ADMIN), 777).role is Role.ADMIN


@pytest.mark.parametrize(
    ("who", "report", "target", "allowed"),
    [
        ("admin", "coverage", COMPANY, True),
        ("admin", "calls", ACCOUNTING, True),
        ("head", "calls", MOSCOW, True),
        ("head", "calls", VERA, True),  # in their department
        ("head", "calls", BORIS, True),  # themselves
        ("head", "calls", SALES, False),  # the parent department is not theirs
        ("head", "calls", ANNA, False),  # Anna sits in department 1
        ("head", "calls", COMPANY, False),
        ("head", "rating", COMPANY, True),  # the leaderboard is public
        ("employee", "calls", VERA, True),
        ("employee", "tasks", ANNA_P, False),
        ("employee", "coverage", MOSCOW, False),
        ("employee", "rating", COMPANY, True),
        ("employee", "rating", MOSCOW, True),
        ("stranger", "rating", COMPANY, False),
        ("stranger", "calls", VERA, False),
    ],
)
def test_may_see(session: Session, who: str, report: str, target: Target, allowed: bool) -> None:
    viewers = {
        "admin": resolve_viewer(session, Person(10, 1, Role.ADMIN), 10),
        "head": resolve_viewer(session, None, 11),
        "employee": resolve_viewer(session, None, 12),
        "stranger": STRANGER,
    }
    assert may_see(session, viewers[who], report, target) is allowed


def test_default_targets(session: Session) -> None:
    admin = resolve_viewer(session, Person(10, 1, Role.ADMIN), 10)
    head = resolve_viewer(session, None, 11)
    employee = resolve_viewer(session, None, 12)
    assert default_target(session, admin, "calls") == COMPANY
    assert default_target(session, head, "calls") == MOSCOW
    assert default_target(session, head, "rating") == COMPANY
    assert default_target(session, employee, "calls") == Target("employee", 12, "Vera Sidorova")
    assert default_target(session, STRANGER, "rating") is None
