"""App mode's own rows: the OAuth tokens of the local application, and the offline drain's
reservation (DESIGN.md item 15, pull).

Tokens live here and nowhere else: never in the config, never in a log (``Tokens`` hides
them from ``repr``). A SQLite store that holds them is a file only its owner may read:
``secure_sqlite_file`` creates it 0600 before SQLite does, and tightens an existing one when
tokens are first written into it (SQLite gives its ``-wal`` and ``-shm`` files the mode of
the database file).

``OfflineReservation`` remembers which ``event.offline.get`` reservation (the portal's
``process_id``) the drain is working on and whether its changes are applied already, so a
crash between reading the queue and clearing it loses nothing and applies nothing twice.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, String, Text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Field, Session, SQLModel

from store.types import UTCDateTime

__all__ = [
    "OAuthToken",
    "OfflineReservation",
    "Reservation",
    "StoredTokens",
    "Tokens",
    "forget_reservation",
    "load_reservation",
    "load_tokens",
    "save_reservation",
    "save_tokens",
    "secure_sqlite_file",
    "sqlite_path",
]

OWNER_ONLY = 0o600


def _dt(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class OAuthToken(SQLModel, table=True):
    """One application's tokens on one portal (``portal``: the portal's host)."""

    __tablename__ = "oauth_tokens"

    portal: str = Field(sa_column=Column(String(255), primary_key=True))
    client_id: str = Field(sa_type=String(128))
    access_token: str = Field(sa_column=Column(Text(), nullable=False))
    refresh_token: str = Field(sa_column=Column(Text(), nullable=False))
    expires_at: datetime = _dt(nullable=False)
    lifetime_seconds: float = Field(default=3600.0)
    scope: str = Field(default="", sa_column=Column(Text(), nullable=False))
    member_id: str = Field(default="", sa_type=String(64))
    user_id: int | None = Field(default=None)
    updated_at: datetime = _dt(nullable=False)


class OfflineReservation(SQLModel, table=True):
    """The offline queue's rows the drain has reserved and not cleared yet."""

    __tablename__ = "offline_reservations"

    connector: str = Field(sa_column=Column(String(64), primary_key=True))
    process_id: str = Field(sa_type=String(64))
    applied: bool = Field(default=False)
    attempts: int = Field(default=0)
    reserved_at: datetime = _dt(nullable=False)


@dataclass(frozen=True)
class Tokens:
    """A token pair as the auth server handed it out; ``expires_at`` is a unix time."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float
    lifetime_seconds: float = 3600.0
    scope: str = ""
    member_id: str = ""
    user_id: int | None = None


@dataclass(frozen=True)
class StoredTokens:
    portal: str
    client_id: str
    tokens: Tokens


def sqlite_path(url: str | URL) -> Path | None:
    """The file of a SQLite store URL; None for PostgreSQL and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def secure_sqlite_file(url: str | URL) -> Path | None:
    """Make the SQLite store's file (and its journal files) readable by its owner only.

    A missing file is created empty with mode 0600, so it never exists with wider rights.
    Returns the file, or None when the store is not a SQLite file.
    """
    path = sqlite_path(url)
    if path is None:
        return None
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, OWNER_ONLY)
    except FileExistsError:
        pass
    else:
        os.close(descriptor)
    for member in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            if stat.S_IMODE(member.stat().st_mode) & ~OWNER_ONLY:
                member.chmod(OWNER_ONLY)
        except FileNotFoundError:
            continue
    return path


def _missing_table(exc: Exception) -> bool:
    text = str(exc).lower()
    return "no such table" in text or "does not exist" in text or "undefined" in text


def load_tokens(engine: Engine, portal: str) -> StoredTokens | None:
    """The portal's tokens; None when there are none (or the store predates them)."""
    try:
        with Session(engine) as session:
            row = session.get(OAuthToken, portal)
    except (OperationalError, ProgrammingError) as exc:
        if _missing_table(exc):
            return None
        raise
    if row is None:
        return None
    tokens = Tokens(
        access_token=row.access_token,
        refresh_token=row.refresh_token,
        expires_at=row.expires_at.timestamp(),
        lifetime_seconds=row.lifetime_seconds,
        scope=row.scope,
        member_id=row.member_id,
        user_id=row.user_id,
    )
    return StoredTokens(row.portal, row.client_id, tokens)


def save_tokens(engine: Engine, portal: str, client_id: str, tokens: Tokens) -> None:
    """Keep the pair in place of the one before (each refresh hands out a new refresh token)."""
    secure_sqlite_file(engine.url)
    now = datetime.now(UTC)
    with Session(engine) as session:
        row = session.get(OAuthToken, portal) or OAuthToken(
            portal=portal,
            client_id=client_id,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
        )
        row.client_id = client_id
        row.access_token = tokens.access_token
        row.refresh_token = tokens.refresh_token
        row.expires_at = datetime.fromtimestamp(tokens.expires_at, UTC)
        row.lifetime_seconds = tokens.lifetime_seconds
        row.scope = tokens.scope
        row.member_id = tokens.member_id
        row.user_id = tokens.user_id
        row.updated_at = now
        session.add(row)
        session.commit()


@dataclass(frozen=True)
class Reservation:
    process_id: str
    applied: bool = False
    attempts: int = 0

    def next_attempt(self) -> Reservation:
        return replace(self, attempts=self.attempts + 1)


def load_reservation(engine: Engine, connector: str) -> Reservation | None:
    with Session(engine) as session:
        row = session.get(OfflineReservation, connector)
        if row is None:
            return None
        return Reservation(row.process_id, row.applied, row.attempts)


def save_reservation(engine: Engine, connector: str, reservation: Reservation) -> None:
    with Session(engine) as session:
        row = session.get(OfflineReservation, connector) or OfflineReservation(
            connector=connector, process_id=reservation.process_id, reserved_at=datetime.now(UTC)
        )
        if row.process_id != reservation.process_id:
            row.reserved_at = datetime.now(UTC)
        row.process_id = reservation.process_id
        row.applied = reservation.applied
        row.attempts = reservation.attempts
        session.add(row)
        session.commit()


def forget_reservation(engine: Engine, connector: str) -> None:
    with Session(engine) as session:
        row = session.get(OfflineReservation, connector)
        if row is not None:
            session.delete(row)
            session.commit()
