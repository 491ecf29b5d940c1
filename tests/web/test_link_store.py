"""Links in the store (SQLite and PostgreSQL): hashed, scoped, expiring, revocable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.cmd_link import token_of
from store.web_models import (
    LinkScope,
    WebLink,
    create_link,
    find_link,
    hash_token,
    list_links,
    revoke_link,
)

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)


def test_a_link_opens_while_live_and_never_by_its_stored_hash(store_engine: Engine) -> None:
    with Session(store_engine) as session:
        tv = create_link(
            session, "tv", LinkScope("company"), now=NOW, expires_at=None, created_by="t"
        )
        board = create_link(
            session,
            "dashboard",
            LinkScope("department", 7),
            now=NOW,
            expires_at=NOW + timedelta(days=30),
            created_by="t",
        )
        assert len(tv) == 43 and tv != board  # 256 random bits each, URL-safe
        stored = session.exec(select(WebLink)).all()
        assert {s.token_hash for s in stored} == {hash_token(tv), hash_token(board)}
        assert all(tv not in s.token_hash and board not in s.token_hash for s in stored)
        assert find_link(session, tv, "tv", now=NOW + timedelta(days=3650)) is not None
        assert find_link(session, tv, "dashboard", now=NOW) is None  # the other kind
        found = find_link(session, board, "dashboard", now=NOW + timedelta(days=29))
        assert found is not None and (found.scope_kind, found.scope_id) == ("department", 7)
        assert find_link(session, board, "dashboard", now=NOW + timedelta(days=30)) is None
        assert find_link(session, hash_token(tv)[:43], "tv", now=NOW) is None
        assert find_link(session, tv[:-1] + ("A" if tv[-1] != "A" else "B"), "tv", now=NOW) is None
        assert find_link(session, "", "tv", now=NOW) is None
        revoked = revoke_link(session, token_of(f"https://pulse.example.com/tv/{tv}"), now=NOW)
        assert revoked is not None and revoked.revoked_at == NOW
        assert find_link(session, tv, "tv", now=NOW) is None
        assert revoke_link(session, "x" * 43, now=NOW) is None
        assert [link.kind for link in list_links(session)] == ["tv", "dashboard"]


def test_token_of_reads_urls_and_bare_tokens() -> None:
    token = "a" * 43
    assert token_of(f"https://x.ru/d/{token}/") == token
    assert token_of(f"http://127.0.0.1:8080/tv/{token}") == token
    assert token_of(token) == token
