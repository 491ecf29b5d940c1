from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import store.bot_models  # noqa: F401  (registers the tables the migrations create)
import store.game_models  # noqa: F401
import store.jobs_models  # noqa: F401
from store.clients import DERIVED_COLUMNS
from store.db import make_engine
from store.migrate import migrate
from store.models import Activity, Call, Company, Contact, Deal
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


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_upgrade_fills_the_client_of_activities_already_stored(
    db: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if db == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    else:
        # The run's PostgreSQL database may hold a migrated store already: start empty.
        engine = make_engine(request.getfixturevalue("pg_database"))
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    migrate(engine, "0004")  # a store from before the client was kept on the activity
    rows = {
        Company: [Company(id=1, title="Альфа")],
        Contact: [Contact(id=5, company_id=1), Contact(id=6), Contact(id=7)],
        Deal: [Deal(id=20, contact_id=5), Deal(id=21, company_id=1, contact_id=6), Deal(id=22)],
        Activity: [
            Activity(id=100 + n, owner_type=owner_type, owner_id=owner_id)
            for n, (owner_type, owner_id) in enumerate(
                [(4, 1), (3, 5), (3, 6), (3, 99), (2, 20), (2, 21), (2, 22), (2, 98), (1, 3)]
            )
        ],
    }
    with engine.begin() as connection:
        for model, records in rows.items():
            table = model.__table__  # type: ignore[attr-defined]
            derived = DERIVED_COLUMNS.get(table.name, set())
            values = [
                {k: v for k, v in r.model_dump().items() if k not in derived} for r in records
            ]
            connection.execute(table.insert(), values)
    migrate(engine)
    with Session(engine) as session:
        found = session.execute(
            select(Activity.id, Activity.client_type, Activity.client_id).order_by(Activity.id)
        ).all()
    assert [(ctype, cid) for _, ctype, cid in found] == [
        (4, 1),  # the company itself
        (4, 1),  # a contact of the company
        (3, 6),  # a contact of no company
        (3, 99),  # a contact the store does not know: itself
        (4, 1),  # a deal with only a contact, who works for the company
        (4, 1),  # a deal's own company first
        (None, None),  # a deal with neither
        (None, None),  # a deal the store does not know
        (None, None),  # a lead
    ]
    engine.dispose()
