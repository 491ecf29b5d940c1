"""Link codes: one-time, hashed, expiring, limited in tries and in how often they are sent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.linking import (
    LinkOutcome,
    LinkPolicy,
    confirm_code,
    issue_code,
    linked_user,
    remember_username,
)
from bot.settings import BotSettings, Person, Role
from store.bot_models import LinkCode, TelegramLink
from store.migrate import alembic_config, migrate
from tests.fakes.bot_world import NOW, write_world

POLICY = LinkPolicy(secret=b"k", ttl=timedelta(minutes=10), max_attempts=5, codes_per_hour=3)
TG = 5005


@pytest.fixture
def session(sqlite_engine: Engine) -> Iterator[Session]:
    write_world(sqlite_engine)
    with Session(sqlite_engine) as session:
        yield session


def issue(session: Session, email: str = "VERA@x.ru ", tg: int = TG, minutes: int = 0) -> str:
    issued = issue_code(
        session, POLICY, chat_user_id=tg, email=email, now=NOW + timedelta(minutes=minutes)
    )
    assert issued.outcome is LinkOutcome.ISSUED
    assert issued.user_id == 12
    assert issued.code is not None
    return issued.code


def test_a_code_links_the_account_once(session: Session) -> None:
    code = issue(session)
    assert len(code) == 6 and code.isdigit()
    stored = session.execute(select(LinkCode)).scalars().one()
    assert code not in stored.code_hash  # only a keyed hash is kept
    done = confirm_code(session, POLICY, chat_user_id=TG, code=code, now=NOW, username="v")
    assert (done.outcome, done.user_id) == (LinkOutcome.LINKED, 12)
    link = session.get(TelegramLink, TG)
    assert link is not None
    assert (link.user_id, link.username) == (12, "v")
    again = confirm_code(session, POLICY, chat_user_id=TG, code=code, now=NOW)
    assert again.outcome is LinkOutcome.NO_CODE


def test_a_code_works_only_for_the_account_that_asked(session: Session) -> None:
    code = issue(session)
    other = confirm_code(session, POLICY, chat_user_id=TG + 1, code=code, now=NOW)
    assert other.outcome is LinkOutcome.NO_CODE


def test_codes_expire(session: Session) -> None:
    code = issue(session)
    late = confirm_code(
        session, POLICY, chat_user_id=TG, code=code, now=NOW + timedelta(minutes=10)
    )
    assert late.outcome is LinkOutcome.NO_CODE


def test_five_wrong_tries_burn_the_code(session: Session) -> None:
    code = issue(session)
    wrong = "000000" if code != "000000" else "111111"
    left = [confirm_code(session, POLICY, chat_user_id=TG, code=wrong, now=NOW) for _ in range(5)]
    assert [c.outcome for c in left] == [LinkOutcome.WRONG] * 4 + [LinkOutcome.BURNT]
    assert [c.attempts_left for c in left] == [4, 3, 2, 1, 0]
    late = confirm_code(session, POLICY, chat_user_id=TG, code=code, now=NOW)
    assert late.outcome is LinkOutcome.NO_CODE


def test_a_new_code_replaces_the_old_one(session: Session) -> None:
    first = issue(session)
    second = issue(session, minutes=1)
    if first != second:
        old = confirm_code(session, POLICY, chat_user_id=TG, code=first, now=NOW)
        assert old.outcome is LinkOutcome.WRONG
    new = confirm_code(session, POLICY, chat_user_id=TG, code=second, now=NOW)
    assert new.outcome is LinkOutcome.LINKED


def test_few_codes_per_hour_per_account_and_per_person(session: Session) -> None:
    for minute in range(3):
        issue(session, minutes=minute)
    too_many = issue_code(session, POLICY, chat_user_id=TG, email="vera@x.ru", now=NOW)
    assert too_many.outcome is LinkOutcome.TOO_MANY_CODES
    # another account asking for Vera is refused too: her notifications are not a channel
    other = issue_code(session, POLICY, chat_user_id=TG + 1, email="vera@x.ru", now=NOW)
    assert other.outcome is LinkOutcome.TOO_MANY_CODES
    later = issue_code(
        session, POLICY, chat_user_id=TG, email="vera@x.ru", now=NOW + timedelta(minutes=61)
    )
    assert later.outcome is LinkOutcome.ISSUED


def test_unknown_and_fired_people_get_no_code(session: Session) -> None:
    for email in ("nobody@x.ru", "dina@x.ru"):
        issued = issue_code(session, POLICY, chat_user_id=TG, email=email, now=NOW)
        assert (issued.outcome, issued.code) == (LinkOutcome.NOT_FOUND, None)
    assert session.execute(select(LinkCode)).first() is None


def test_config_people_come_first_and_usernames_stay_current(session: Session) -> None:
    settings = BotSettings(people=(Person(10, 1010, Role.ADMIN),))
    assert linked_user(session, settings, 1010) == 10
    assert linked_user(session, settings, 1012) == 12  # linked by code in write_world
    assert linked_user(session, settings, 4242) is None
    remember_username(session, 1012, "vera_new")
    link = session.get(TelegramLink, 1012)
    assert link is not None and link.username == "vera_new"


def test_the_bot_tables_migrate_down_and_up(store_engine: Engine) -> None:
    command.downgrade(alembic_config(store_engine), "0001")
    with Session(store_engine) as session, pytest.raises(Exception, match="telegram_links"):
        session.execute(select(TelegramLink)).all()
    migrate(store_engine)
    with Session(store_engine) as session:
        big = 7_000_000_000  # Telegram ids pass 32 bits
        session.add(TelegramLink(telegram_id=big, user_id=1, linked_at=NOW))
        session.commit()
        link = session.get(TelegramLink, big)
        assert link is not None and link.linked_at == NOW
