"""What the sync reads, in order, and how: one ``Entity`` per portal list."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlmodel import SQLModel

from crm import methods
from crm.methods import ListSpec
from crm.sync import mapping
from crm.sync.fields import MapContext
from crm.sync.mapping import Row
from store.models import (
    Activity,
    Call,
    Company,
    Contact,
    Deal,
    Department,
    DictionaryEntry,
    Lead,
    Pipeline,
    Task,
    User,
)

Mapper = Callable[[Mapping[str, Any], MapContext], Row | None]

# The fields each list request asks for: exactly what ``mapping`` reads (§11.9).
SELECT: dict[str, list[str]] = {
    "departments": ["ID", "NAME", "SORT", "PARENT", "UF_HEAD"],
    "users": ["ID", "ACTIVE", "NAME", "LAST_NAME", "EMAIL", "WORK_POSITION", "UF_DEPARTMENT"],
    "companies": [
        *("ID", "TITLE", "COMPANY_TYPE", "ASSIGNED_BY_ID", "DATE_CREATE", "DATE_MODIFY"),
        "UF_*",
    ],
    "contacts": [
        *("ID", "NAME", "LAST_NAME", "COMPANY_ID", "ASSIGNED_BY_ID"),
        *("DATE_CREATE", "DATE_MODIFY"),
    ],
    "activities": [
        *("ID", "TYPE_ID", "PROVIDER_ID", "PROVIDER_TYPE_ID", "DIRECTION", "COMPLETED"),
        *("RESPONSIBLE_ID", "OWNER_TYPE_ID", "OWNER_ID", "SUBJECT", "START_TIME", "END_TIME"),
        *("CREATED", "LAST_UPDATED", "ORIGIN_ID"),
    ],
    "calls": [
        *("ID", "CALL_ID", "PORTAL_USER_ID", "PORTAL_NUMBER", "PHONE_NUMBER", "CALL_TYPE"),
        *("CALL_DURATION", "CALL_START_DATE", "CALL_FAILED_CODE", "CALL_FAILED_REASON"),
        *("CRM_ENTITY_TYPE", "CRM_ENTITY_ID", "CRM_ACTIVITY_ID", "COST"),
    ],
    "deals": [
        *("ID", "TITLE", "TYPE_ID", "CATEGORY_ID", "STAGE_ID", "STAGE_SEMANTIC_ID"),
        *("OPPORTUNITY", "CURRENCY_ID", "OPPORTUNITY_ACCOUNT", "ACCOUNT_CURRENCY_ID"),
        *("PROBABILITY", "COMPANY_ID", "CONTACT_ID", "LEAD_ID", "ASSIGNED_BY_ID", "SOURCE_ID"),
        *("BEGINDATE", "CLOSEDATE", "CLOSED", "DATE_CREATE", "DATE_MODIFY"),
    ],
    "leads": [
        *("ID", "TITLE", "STATUS_ID", "STATUS_SEMANTIC_ID", "SOURCE_ID", "IS_RETURN_CUSTOMER"),
        *("ASSIGNED_BY_ID", "COMPANY_ID", "CONTACT_ID", "OPPORTUNITY", "CURRENCY_ID"),
        *("DATE_CREATE", "DATE_MODIFY", "DATE_CLOSED"),
    ],
    "statuses": ["ID", "ENTITY_ID", "STATUS_ID", "NAME", "SORT", "SEMANTICS", "EXTRA"],
    "deal_categories": ["id", "name", "sort"],
    # tasks.task.list takes upper-case names and answers in camelCase (§5.11).
    "tasks": [
        *("ID", "TITLE", "RESPONSIBLE_ID", "STATUS", "DEADLINE", "CREATED_DATE"),
        *("CHANGED_DATE", "CLOSED_DATE"),
    ],
}


class Mode(Enum):
    SNAPSHOT = "snapshot"  # small: read in full every run, rows the portal lacks are deleted
    MODIFIED = "modified"  # incremental by a modification date, keyset by id inside
    CALLS = "calls"  # no modification date: windows of call start time


@dataclass(frozen=True)
class Entity:
    name: str  # our name: SyncState.entity, the report's key, the progress label
    spec: ListSpec
    model: type[SQLModel]
    mapper: Mapper
    mode: Mode
    # The filter field of the modification date (``>=`` is prefixed) for MODIFIED.
    modified_field: str = ""
    # Whether the first pass reads only the history window (else everything).
    history: bool = False

    @property
    def select(self) -> list[str] | None:
        return SELECT[self.name] if self.spec.select_param else None

    @property
    def id_select(self) -> list[str] | None:
        """The cheapest field list for an id reconciliation (ids only where it is allowed)."""
        return ["ID"] if self.spec.select_param else None


def _user_row(raw: Mapping[str, Any], ctx: MapContext) -> Row | None:
    # Links are written separately (passes.snapshot); here only the user's own row.
    found = mapping.user(raw, ctx)
    return None if found is None else found[0]


STATUSES = Entity(
    "statuses", methods.STATUSES, DictionaryEntry, mapping.dictionary_entry, Mode.SNAPSHOT
)
DEAL_CATEGORIES = Entity(
    "deal_categories", methods.DEAL_CATEGORIES, Pipeline, mapping.pipeline, Mode.SNAPSHOT
)
DEPARTMENTS = Entity(
    "departments", methods.DEPARTMENTS, Department, mapping.department, Mode.SNAPSHOT
)
USERS = Entity("users", methods.USERS, User, _user_row, Mode.SNAPSHOT)
COMPANIES = Entity(
    "companies", methods.COMPANIES, Company, mapping.company, Mode.MODIFIED, "DATE_MODIFY"
)
CONTACTS = Entity(
    "contacts", methods.CONTACTS, Contact, mapping.contact, Mode.MODIFIED, "DATE_MODIFY"
)
DEALS = Entity(
    "deals", methods.DEALS, Deal, mapping.deal, Mode.MODIFIED, "DATE_MODIFY", history=True
)
LEADS = Entity(
    "leads", methods.LEADS, Lead, mapping.lead, Mode.MODIFIED, "DATE_MODIFY", history=True
)
ACTIVITIES = Entity(
    "activities",
    methods.ACTIVITIES,
    Activity,
    mapping.activity,
    Mode.MODIFIED,
    "LAST_UPDATED",
    history=True,
)
CALLS = Entity("calls", methods.CALLS, Call, mapping.call, Mode.CALLS, history=True)
TASKS = Entity(
    "tasks", methods.TASKS, Task, mapping.task, Mode.MODIFIED, "CHANGED_DATE", history=True
)

# Dictionaries first (deals and leads name their stages), users before everything that
# names a user, so references can be checked against the users just read.
ORDER: tuple[Entity, ...] = (
    STATUSES,
    DEAL_CATEGORIES,
    DEPARTMENTS,
    USERS,
    COMPANIES,
    CONTACTS,
    DEALS,
    LEADS,
    ACTIVITIES,
    CALLS,
    TASKS,
)
