from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import store.bot_models  # noqa: F401  (registers the tables the migrations create)
import store.jobs_models  # noqa: F401
from store.db import make_engine
from store.models import Call, Company, Deal
from store.upsert import delete_ids, existing_ids, upsert

MSK = timezone(timedelta(hours=3))


def test_datetimes_come_back_aware_utc_and_money_exact(store_engine: Engine) -> None:
    started = datetime(2026, 3, 1, 0, 30, tzinfo=MSK)
    with Session(store_engine) as session:
        upsert(
            session, Call, [{"id": 1, "call_id": "a", "start_at": started, "cost": Decimal("0.1")}]
        )
        upsert(
            session,
            Deal,
            [
                {"id": i, "amount": Decimal(amount), "close_date": date(2026, 2, 28)}
                for i, amount in enumerate(["0.10", "0.20", "19999.99"], start=1)
            ],
        )
        session.commit()
        call = session.get(Call, 1)
        assert call is not None
        assert call.start_at == started
        assert call.start_at.tzinfo is not None
        assert call.start_at.utcoffset() == timedelta(0)
        total = session.execute(select(func.sum(Deal.amount))).scalar_one()  # type: ignore[arg-type]
        assert total == Decimal("20000.29")


def test_naive_datetime_is_refused(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session, pytest.raises(Exception, match="naive datetime"):
        upsert(session, Call, [{"id": 1, "start_at": datetime(2026, 1, 1)}])  # noqa: DTZ001


def test_upsert_writes_only_what_changed(store_engine: Engine) -> None:
    rows = [{"id": i, "title": f"c{i}", "custom_fields": {"UF_KEY": "1"}} for i in range(1, 6)]
    with Session(store_engine) as session:
        assert upsert(session, Company, rows) == 5
        session.commit()
        assert upsert(session, Company, rows) == 0
        changed = [dict(rows[0], title="renamed"), *rows[1:]]
        assert upsert(session, Company, changed) == 1
        session.commit()
        assert existing_ids(session, Company, 2, 4) == {2, 3, 4}
        assert delete_ids(session, Company, [2, 3, 99]) == 2
        session.commit()
        assert existing_ids(session, Company, 1, 10) == {1, 4, 5}
        first = session.get(Company, 1)
        assert first is not None
        assert first.title == "renamed"
        assert first.custom_fields == {"UF_KEY": "1"}


def test_utc_roundtrip_keeps_instant(sqlite_engine: Engine) -> None:
    moment = datetime(2026, 10, 25, 2, 30, tzinfo=UTC)
    with Session(sqlite_engine) as session:
        upsert(session, Call, [{"id": 7, "start_at": moment}])
        session.commit()
        got = session.get(Call, 7)
        assert got is not None
        assert got.start_at == moment


def test_the_migrations_build_exactly_the_models_schema(store_url: str) -> None:
    # store_url is migrated to head; any model change without a migration shows here.
    engine = make_engine(store_url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
    engine.dispose()


@pytest.mark.postgres
def test_postgresql_sessions_run_without_jit(pg_database: str) -> None:
    # JIT compilation cost more than the report queries themselves (730 of 880 ms).
    engine = make_engine(pg_database)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW jit").scalar() == "off"
    engine.dispose()
