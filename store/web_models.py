"""Links to the office TV and the web dashboard (DESIGN.md item 17): who may see what, by URL.

A link is a random token of 256 bits shown once (in the URL) and kept only as its SHA-256,
so a copy of the store opens no page. Each link has a kind (``tv`` or ``dashboard``), a
scope (the company, a department tree, or one employee), an optional expiry and a revoked
stamp. These rows are ours, not synced: a full re-sync never touches them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Column, Integer, String, select
from sqlmodel import Field, Session, SQLModel, col

from store.types import UTCDateTime

LinkKind = Literal["tv", "dashboard"]
ScopeKind = Literal["company", "department", "employee"]
TOKEN_BYTES = 32  # 256 bits; the issue asks for at least 128
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _dt(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class WebLink(SQLModel, table=True):
    __tablename__ = "web_links"

    id: int | None = Field(
        default=None, sa_column=Column(Integer(), primary_key=True, autoincrement=True)
    )
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    kind: str = Field(sa_type=String(16))  # tv, dashboard
    scope_kind: str = Field(sa_type=String(16))  # company, department, employee
    scope_id: int | None = Field(default=None)
    created_by: str = Field(default="", sa_type=String(64))  # "cli", "telegram:42", ...
    created_at: datetime = _dt(nullable=False)
    expires_at: datetime | None = _dt()
    revoked_at: datetime | None = _dt()


@dataclass(frozen=True)
class LinkScope:
    kind: ScopeKind
    id: int | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(text: str) -> bool:
    """A token as ``new_token`` makes them (URL-safe base64, 43 characters)."""
    return len(text) == 43 and set(text) <= _TOKEN_CHARS


def create_link(
    session: Session,
    kind: LinkKind,
    scope: LinkScope,
    *,
    now: datetime,
    expires_at: datetime | None,
    created_by: str,
) -> str:
    """Store a new link and return its token: the only time the token exists in clear."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        WebLink(
            token_hash=hash_token(token),
            kind=kind,
            scope_kind=scope.kind,
            scope_id=scope.id,
            created_by=created_by,
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.commit()
    return token


def find_link(session: Session, token: str, kind: LinkKind, *, now: datetime) -> WebLink | None:
    """The live link of this kind behind a token; None when unknown, expired or revoked."""
    if not looks_like_token(token):
        return None
    digest = hash_token(token)
    link: WebLink | None = session.execute(
        select(WebLink).where(col(WebLink.token_hash) == digest)
    ).scalar_one_or_none()
    if link is None or not hmac.compare_digest(link.token_hash, digest) or link.kind != kind:
        return None
    if link.revoked_at is not None or (link.expires_at is not None and link.expires_at <= now):
        return None
    return link


def revoke_link(session: Session, token: str, *, now: datetime) -> WebLink | None:
    """Revoke a link; the link (already revoked or not), or None when the token is unknown."""
    if not looks_like_token(token):
        return None
    link: WebLink | None = session.execute(
        select(WebLink).where(col(WebLink.token_hash) == hash_token(token))
    ).scalar_one_or_none()
    if link is None:
        return None
    if link.revoked_at is None:
        link.revoked_at = now
        session.add(link)
        session.commit()
        session.refresh(link)
    return link


def list_links(session: Session) -> list[WebLink]:
    return list(session.execute(select(WebLink).order_by(col(WebLink.id))).scalars())
