"""The delivery ledger and the SQLite lease, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from jobs import ledger
from jobs.leader import LeaseLeader, make_leader
from tests.kpi_data import MSK, at

NOW = at(MSK, 2026, 3, 2, 9)


def test_a_slot_is_claimed_once(store_engine: Engine) -> None:
    assert ledger.claim(store_engine, "morning", "2026-03-02", "telegram:-1", owner="a", now=NOW)
    assert not ledger.claim(
        store_engine, "morning", "2026-03-02", "telegram:-1", owner="b", now=NOW
    )
    # another chat, slot or job is another delivery
    assert ledger.claim(store_engine, "morning", "2026-03-02", "telegram:-2", owner="b", now=NOW)
    assert ledger.claim(store_engine, "morning", "2026-03-03", "telegram:-1", owner="b", now=NOW)
    assert ledger.claim(store_engine, "weekly", "2026-03-02", "telegram:-1", owner="b", now=NOW)
    ledger.mark_sent(store_engine, "morning", "2026-03-02", "telegram:-1", now=NOW)
    pairs = [("2026-03-02", "telegram:-1"), ("2026-03-02", "telegram:-2"), ("x", "telegram:-1")]
    assert ledger.recorded(store_engine, "morning", pairs) == {
        ("2026-03-02", "telegram:-1"): "sent",
        ("2026-03-02", "telegram:-2"): "sending",
    }


def test_a_released_claim_can_be_taken_again_but_only_by_its_owner(store_engine: Engine) -> None:
    args = (store_engine, "pace", "2026-03-02T13:00/self", "telegram:10")
    assert ledger.claim(*args, owner="a", now=NOW)
    ledger.release(*args, owner="b")  # not b's claim: stays
    assert not ledger.claim(*args, owner="b", now=NOW)
    ledger.release(*args, owner="a")
    assert ledger.claim(*args, owner="b", now=NOW)
    ledger.mark_sent(*args, now=NOW)
    ledger.release(*args, owner="b")  # a sent message is never forgotten
    assert ledger.recorded(store_engine, "pace", [args[2:]]) == {args[2:]: "sent"}


def test_forced_sends_and_the_slot_marker(store_engine: Engine) -> None:
    ledger.record_forced(store_engine, "morning", "d", "telegram:-1", owner="a", now=NOW)
    ledger.record_forced(store_engine, "morning", "d", "telegram:-1", owner="a", now=NOW)
    assert ledger.recorded(store_engine, "morning", [("d", "telegram:-1")]) == {
        ("d", "telegram:-1"): "sent"
    }
    assert not ledger.slot_done(store_engine, "morning", "d")
    ledger.mark_slot_done(store_engine, "morning", "d", owner="a", now=NOW)
    ledger.mark_slot_done(store_engine, "morning", "d", owner="b", now=NOW)
    assert ledger.slot_done(store_engine, "morning", "d")
    assert not ledger.slot_done(store_engine, "overdue", "d")


def test_the_lease_goes_to_one_process_and_passes_on_when_it_expires(
    sqlite_engine: Engine,
) -> None:
    ttl = timedelta(seconds=60)
    first = LeaseLeader(sqlite_engine, "first", ttl)
    second = LeaseLeader(sqlite_engine, "second", ttl)
    assert first.try_lead(NOW)
    assert not second.try_lead(NOW)
    assert first.try_lead(NOW + timedelta(seconds=50))  # renewed until 01:50
    assert not second.try_lead(NOW + timedelta(seconds=100))
    # the first stops renewing (it died): after its lease runs out the second takes over
    assert second.try_lead(NOW + timedelta(seconds=111))
    assert not first.try_lead(NOW + timedelta(seconds=112))
    # a clean stop gives it up at once
    second.resign()
    assert first.try_lead(NOW + timedelta(seconds=113))


def test_the_leader_kind_follows_the_database(store_engine: Engine) -> None:
    leader = make_leader(store_engine, "me", timedelta(seconds=60))
    kind = "AdvisoryLockLeader" if store_engine.dialect.name == "postgresql" else "LeaseLeader"
    assert type(leader).__name__ == kind
    assert leader.try_lead(NOW)
    assert leader.try_lead(NOW)  # asking again while leading keeps it
    other = make_leader(store_engine, "other", timedelta(seconds=60))
    assert not other.try_lead(NOW)
    leader.resign()
    assert other.try_lead(NOW)
    other.resign()
