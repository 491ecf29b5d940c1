"""The local copy of the portal: our names, not Bitrix24's.

Every datetime is aware and kept in UTC (``UTCDateTime``); money is ``Decimal`` kept as
kopecks (``Money``); date-only portal fields (deal close date) are plain ``date`` values
taken from the portal's calendar day. Primary keys are the portal's ids.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from store.types import Money, UTCDateTime


def _dt(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _money() -> Any:
    return Field(default=None, sa_column=Column(Money(), nullable=True))


# JSONB on PostgreSQL: plain JSON has no equality there, and upserts compare values.
JSONValue = JSON().with_variant(JSONB(), "postgresql")


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSONValue, nullable=False))


def _pk() -> Any:
    return Field(
        default=None, sa_column=Column(BigInteger(), primary_key=True, autoincrement=False)
    )


class Department(SQLModel, table=True):
    __tablename__ = "departments"

    id: int = _pk()
    name: str = ""
    parent_id: int | None = Field(default=None, index=True)
    head_id: int | None = None
    sort: int = 0


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int = _pk()
    first_name: str = ""
    last_name: str = ""
    email: str | None = Field(default=None, index=True)
    position: str = ""
    active: bool = True
    # Department ids as the portal lists them; the first is the main one.
    department_ids: list[int] = Field(
        default_factory=list, sa_column=Column(JSONValue, nullable=False)
    )

    @property
    def full_name(self) -> str:
        return (
            " ".join(part for part in (self.first_name, self.last_name) if part) or f"#{self.id}"
        )


class UserDepartment(SQLModel, table=True):
    """The user-to-department link, kept beside ``User.department_ids`` so SQL can join on it."""

    __tablename__ = "user_departments"

    user_id: int = Field(primary_key=True)
    department_id: int = Field(primary_key=True, index=True)


class Company(SQLModel, table=True):
    __tablename__ = "companies"
    __table_args__ = (Index("ix_companies_responsible", "responsible_id"),)

    id: int = _pk()
    title: str = ""
    company_type: str | None = None
    responsible_id: int | None = None
    created_at: datetime | None = _dt()
    modified_at: datetime | None = _dt(index=True)
    # User fields (UF_*) as the portal sent them: the key-client rule reads one of them.
    custom_fields: dict[str, Any] = _json()


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_responsible", "responsible_id"),
        Index("ix_contacts_company", "company_id"),
    )

    id: int = _pk()
    first_name: str = ""
    last_name: str = ""
    company_id: int | None = None
    responsible_id: int | None = None
    created_at: datetime | None = _dt()
    modified_at: datetime | None = _dt(index=True)


class Activity(SQLModel, table=True):
    """A CRM activity (call, e-mail, meeting, to-do...) as the timeline keeps it."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_responsible_start", "responsible_id", "start_at"),
        Index("ix_activities_start", "start_at"),
        # start_at last: "the latest communication of an owner" reads one index entry.
        Index("ix_activities_owner_start", "owner_type", "owner_id", "start_at"),
        Index("ix_activities_call", "call_id"),
        # "The latest communication of a client": one index probe per client.
        Index("ix_activities_client_start", "client_type", "client_id", "start_at"),
    )

    id: int = _pk()
    type_id: int = 0  # 1 meeting, 2 call, 3 task, 4 e-mail, 6 provider-managed
    provider_id: str | None = None  # VOXIMPLANT_CALL, CRM_EMAIL, CRM_MEETING, CRM_TODO...
    provider_type_id: str | None = None
    direction: int = 0  # 1 incoming, 2 outgoing, 0 undefined
    completed: bool = False
    responsible_id: int | None = None
    owner_type: int | None = None  # 1 lead, 2 deal, 3 contact, 4 company
    owner_id: int | None = None
    subject: str = ""
    start_at: datetime | None = _dt()
    end_at: datetime | None = _dt()
    created_at: datetime | None = _dt()
    modified_at: datetime | None = _dt(index=True)
    # The telephony call id behind a call activity (its ORIGIN_ID without "VI_").
    call_id: str | None = None
    # The client the activity touches, derived from the owner by ``store.clients`` on every
    # write (4 company, 3 contact; null: no client); never mapped from the portal.
    client_type: int | None = None
    client_id: int | None = None


class ClientContact(SQLModel, table=True):
    """A client's completed activities of one kind in one calendar month (UTC): the first
    and the latest start (``store.contacts``).

    A kind is what the definition of a communication can tell apart: type, provider, and
    for calls whether their telephony records exist and none connected. Which kinds are
    communications is a setting, so the store keeps every kind and a report reads the
    kinds it counts. Per month, because a period's coverage is then read from the rows of
    the months it touches, for a past period as well as the current one. Derived data,
    refreshed by every write of activities, calls, deals and contacts in its transaction.
    """

    __tablename__ = "client_contacts"
    # SQLite: the rows live in the primary key's tree, so a client's months are one seek.
    __table_args__ = (
        # "Who was contacted in this period": the months' rows alone, without the table.
        Index(
            "ix_client_contacts_month",
            "month",
            "first_at",
            "last_at",
            "client_type",
            "client_id",
            "type_id",
            "provider_id",
            "call_failed",
        ),
        {"sqlite_with_rowid": False},
    )

    client_type: int = Field(primary_key=True)  # 4 company, 3 contact (store.clients)
    client_id: int = Field(
        default=None, sa_column=Column(BigInteger(), primary_key=True, autoincrement=False)
    )
    month: int = Field(primary_key=True)  # year * 12 + month - 1, of the start in UTC
    type_id: int = Field(primary_key=True)
    provider_id: str = Field(default="", primary_key=True, sa_type=String())  # "": none
    call_failed: bool = Field(default=False, primary_key=True)
    first_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Call(SQLModel, table=True):
    """One telephony record."""

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_user_start", "user_id", "start_at"),
        Index("ix_calls_start", "start_at"),
        Index("ix_calls_phone_start", "phone", "start_at"),
        Index("ix_calls_call_id", "call_id"),
    )

    id: int = _pk()
    call_id: str = ""
    user_id: int | None = None  # the employee who took or made it; None when nobody did
    line: str = ""  # the portal number (line) the call came through
    phone_raw: str = ""
    phone: str = ""  # digits only, leading 8 read as 7, 10 digits prefixed with 7
    call_type: int = 0  # 1 outgoing, 2 incoming, 3 incoming redirected, 4 callback, 5 info
    duration: int = 0  # seconds
    start_at: datetime | None = _dt()
    failed_code: str = ""
    failed_reason: str = ""
    crm_entity_type: str | None = None
    crm_entity_id: int | None = None
    crm_activity_id: int | None = None
    cost: Decimal | None = _money()


class Deal(SQLModel, table=True):
    __tablename__ = "deals"
    __table_args__ = (
        Index("ix_deals_responsible_close", "responsible_id", "close_date"),
        Index("ix_deals_close", "close_date"),
        Index("ix_deals_company", "company_id"),
        Index("ix_deals_lead", "lead_id"),
        Index("ix_deals_contact", "contact_id"),
        # ABC reads won deals of a window with their company and amount: from this index only.
        Index("ix_deals_won_close", "stage_semantics", "close_date", "company_id", "amount"),
    )

    id: int = _pk()
    title: str = ""
    type_id: str | None = None
    pipeline_id: int = 0
    stage_id: str = ""
    stage_semantics: str = "P"  # P in progress, S won, F lost
    amount: Decimal | None = _money()  # in the account currency
    currency: str | None = None
    probability: int | None = None
    company_id: int | None = None
    contact_id: int | None = None
    lead_id: int | None = None
    responsible_id: int | None = None
    source_id: str | None = None
    begin_date: date | None = None
    close_date: date | None = None
    closed: bool = False
    created_at: datetime | None = _dt(index=True)
    modified_at: datetime | None = _dt(index=True)


class Lead(SQLModel, table=True):
    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_created", "created_at"),
        Index("ix_leads_responsible_created", "responsible_id", "created_at"),
        Index("ix_leads_closed", "closed_at"),
    )

    id: int = _pk()
    title: str = ""
    status_id: str = ""
    status_semantics: str = "P"
    source_id: str | None = None
    is_return_customer: bool = False
    responsible_id: int | None = None
    company_id: int | None = None
    contact_id: int | None = None
    amount: Decimal | None = _money()
    currency: str | None = None
    created_at: datetime | None = _dt()
    modified_at: datetime | None = _dt(index=True)
    closed_at: datetime | None = _dt()


class DictionaryEntry(SQLModel, table=True):
    """One item of a portal dictionary: lead statuses, deal stages, sources, deal types."""

    __tablename__ = "dictionary"

    # lead_status, deal_stage, source, deal_type, ... (ours); the portal's ENTITY_ID kept apart
    kind: str = Field(primary_key=True, sa_type=String(32))
    code: str = Field(primary_key=True, sa_type=String(64))
    pipeline_id: int = Field(default=0, primary_key=True)
    name: str = ""
    sort: int = 0
    semantics: str = "process"  # process, success, failure, apology


class Pipeline(SQLModel, table=True):
    __tablename__ = "pipelines"

    id: int = Field(
        default=None, sa_column=Column(Integer(), primary_key=True, autoincrement=False)
    )
    name: str = ""
    sort: int = 0


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_responsible_deadline", "responsible_id", "deadline"),
        Index("ix_tasks_closed", "closed_at"),
    )

    id: int = _pk()
    title: str = ""
    responsible_id: int | None = None
    status: int = 2  # 2 pending, 3 in progress, 4 awaiting control, 5 completed, 6 deferred
    deadline: datetime | None = _dt()
    created_at: datetime | None = _dt()
    modified_at: datetime | None = _dt(index=True)
    closed_at: datetime | None = _dt()


class SyncState(SQLModel, table=True):
    """Where the sync of one entity stands; moved in the same transaction as the rows."""

    __tablename__ = "sync_state"

    entity: str = Field(primary_key=True, sa_type=String(32))
    # Incremental cursor: rows modified at or after this time (minus the overlap) are re-read.
    modified_since: datetime | None = _dt()
    # Keyset position of an unfinished pass: rows with id <= last_id are done.
    last_id: int = Field(default=0, sa_column=Column(BigInteger(), nullable=False, default=0))
    # Start of the pass in progress (its cursor value once it completes); None when idle.
    pass_started_at: datetime | None = _dt()
    # Calls are read by start time in windows; the start of the window not yet read.
    window_start: datetime | None = _dt()
    full_done_at: datetime | None = _dt()
    last_success_at: datetime | None = _dt()
    reconciled_at: datetime | None = _dt()
    rows_total: int = 0


ENTITY_TABLES: dict[str, type[SQLModel]] = {
    "departments": Department,
    "users": User,
    "companies": Company,
    "contacts": Contact,
    "activities": Activity,
    "calls": Call,
    "deals": Deal,
    "leads": Lead,
    "dictionary": DictionaryEntry,
    "pipelines": Pipeline,
    "tasks": Task,
}
