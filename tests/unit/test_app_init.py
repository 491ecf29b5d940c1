"""Pieces of `crm-pulse init`: rounding, months, the tops of trees, the written file."""

from __future__ import annotations

import stat
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Config
from app.setup_config import Draft, Person, env_lines, render, write
from app.setup_discover import last_full_months, nice, tops, tree
from store.models import Department, User, UserDepartment


@pytest.mark.parametrize(
    ("value", "rounded"),
    [("437", 440), ("1234567", 1_200_000), ("54.37", 54), ("9.6", 10), ("0.4", 0), ("0", 0)],
)
def test_plans_are_rounded_to_two_significant_digits(value: str, rounded: int) -> None:
    assert nice(Decimal(value)) == rounded
    assert str(nice(Decimal(value))) == str(rounded)


def test_the_three_full_months_before_this_one() -> None:
    assert last_full_months(date(2026, 2, 10)) == [
        (date(2025, 11, 1), date(2025, 11, 30)),
        (date(2025, 12, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 1, 31)),
    ]


def _org(session: Session) -> None:
    for dept_id, parent, head in [(1, None, 1), (2, 1, 2), (3, 2, 3), (4, 1, None)]:
        session.add(Department(id=dept_id, name=f"D{dept_id}", parent_id=parent, head_id=head))
    for uid, dept, active in [
        (1, 1, True),
        (2, 2, True),
        (3, 3, True),
        (4, 3, False),
        (5, 4, True),
    ]:
        session.add(User(id=uid, first_name=f"U{uid}", active=active, department_ids=[dept]))
        session.add(UserDepartment(user_id=uid, department_id=dept))
    session.commit()


def test_tree_counts_active_employees_with_sub_departments(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session:
        _org(session)
        nodes = tree(session)
        assert [(n.id, n.depth, n.employees, n.head_name) for n in nodes] == [
            (1, 0, 4, "U1"),
            (2, 1, 2, "U2"),
            (3, 2, 1, "U3"),
            (4, 1, 1, ""),
        ]
        assert tops(session, [3, 2, 4]) == [2, 4]
        assert tops(session, [3]) == [3]


def _draft(**given: object) -> Draft:
    values: dict[str, object] = {
        "webhook_url": "https://example.bitrix24.ru/rest/1/s3cr3tcode/",
        "timezone": "Europe/Samara",
        "storage_url": "sqlite:////srv/crm-pulse.db",
        "telegram_token": "123:ABC'quote",
        "team_chats": ["-1001", "-1002:7"],
        "chat_titles": {"-1001": 'Sales "North"'},
        "sales_departments": [3, 4],
        "department_names": {3: "Москва", 4: "Регионы"},
        "people": [Person(1, "admin", "Евгений", 555), Person(7, "head", "Анна")],
        "plans": {3: {"calls": Decimal(440), "revenue": Decimal(1_200_000)}},
    }
    return Draft(**{**values, **given})  # type: ignore[arg-type]


def test_the_written_config_is_valid_and_says_what_it_holds() -> None:
    text = render(_draft())
    config = Config.model_validate(tomllib.loads(text))
    assert config.portal.webhook_url.get_secret_value().endswith("/s3cr3tcode/")
    assert config.portal.timezone == "Europe/Samara"
    assert config.telegram.team_chats == ["-1001", "-1002:7"]
    assert config.scope.sales_departments == [3, 4]
    assert [(p.bitrix_id, p.role, p.telegram_id) for p in config.people] == [
        (1, "admin", 555),
        (7, "head", None),
    ]
    assert config.plans == {"department": {"3": {"month": {"calls": 440, "revenue": 1200000}}}}
    assert "# 3: Москва" in text
    assert '# -1001: Sales "North"' in text
    assert not config.bitrix_chat.enabled
    with_chat = Config.model_validate(tomllib.loads(render(_draft(bitrix_dialogs=["chat7"]))))
    assert with_chat.bitrix_chat.enabled
    assert with_chat.bitrix_chat.team_dialogs == ["chat7"]


def test_secrets_kept_out_of_the_file_are_printed_for_the_environment() -> None:
    draft = _draft(secrets_in_env=True)
    text = render(draft)
    assert "s3cr3tcode" not in text
    assert "ABC" not in text
    config = Config.model_validate(tomllib.loads(text))
    assert config.telegram.token.get_secret_value() == ""
    assert env_lines(draft) == [
        "export CRM_PULSE_PORTAL__WEBHOOK_URL='https://example.bitrix24.ru/rest/1/s3cr3tcode/'",
        "export CRM_PULSE_TELEGRAM__TOKEN='123:ABC'\"'\"'quote'",
    ]


def test_write_is_owner_only_and_never_overwrites_without_force(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o644)
    with pytest.raises(FileExistsError):
        write(path, "new", force=False)
    assert path.read_text(encoding="utf-8") == "old"
    write(path, "new", force=True)
    assert path.read_text(encoding="utf-8") == "new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    fresh = tmp_path / "fresh.toml"
    write(fresh, "x", force=False)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
