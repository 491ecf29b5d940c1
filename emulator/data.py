"""What the emulated portal holds: records in Bitrix24's own wire format.

The generator (``emulator.generator``) fills a ``PortalData``; the server
(``emulator.server``) serves and mutates it. Records are plain dicts exactly as the
portal's REST methods return them: upper-case keys (camelCase for ``tasks.task.list``),
numbers as strings, ``Y``/``N`` flags, ISO datetimes with the portal's offset, ``[]`` for
empty containers. Each table is kept sorted by its id ascending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Table names, and the REST method that lists each one.
USERS = "users"  # user.get
DEPARTMENTS = "departments"  # department.get
COMPANIES = "companies"  # crm.company.list
CONTACTS = "contacts"  # crm.contact.list
ACTIVITIES = "activities"  # crm.activity.list
CALLS = "calls"  # voximplant.statistic.get
DEALS = "deals"  # crm.deal.list
LEADS = "leads"  # crm.lead.list
STATUSES = "statuses"  # crm.status.list (lead statuses, deal stages of every pipeline, sources...)
DEAL_CATEGORIES = (
    "deal_categories"  # crm.category.list with entityTypeId=2 (camelCase: id, name, sort)
)
TASKS = "tasks"  # tasks.task.list (camelCase keys, string values)

TABLES = (
    USERS,
    DEPARTMENTS,
    COMPANIES,
    CONTACTS,
    ACTIVITIES,
    CALLS,
    DEALS,
    LEADS,
    STATUSES,
    DEAL_CATEGORIES,
    TASKS,
)

# The key that holds a record's id in each table ("id" for the camelCase ones).
ID_KEY = {name: ("id" if name in (TASKS, DEAL_CATEGORIES) else "ID") for name in TABLES}

# The field a record's last change is kept in (None: the table has none).
MODIFIED_KEY: dict[str, str | None] = {
    USERS: None,
    DEPARTMENTS: None,
    COMPANIES: "DATE_MODIFY",
    CONTACTS: "DATE_MODIFY",
    ACTIVITIES: "LAST_UPDATED",
    CALLS: None,
    DEALS: "DATE_MODIFY",
    LEADS: "DATE_MODIFY",
    STATUSES: None,
    DEAL_CATEGORIES: None,
    TASKS: "changedDate",
}


@dataclass
class PortalData:
    """Every record of one emulated portal, plus the facts the generator decided."""

    timezone: str = "Europe/Moscow"
    tables: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in TABLES}
    )
    # Company user field that marks a key client, and its value (e.g. UF_CRM_KEY_CLIENT = "1").
    key_client_field: str = "UF_CRM_KEY_CLIENT"
    key_client_value: str = "1"
    # The department id at the root of the sales team.
    sales_department_id: int = 1
    # The portal's "now" when the data was made (ISO with offset): nothing was created or
    # changed after it; only deadlines, planned meetings and expected close dates lie ahead.
    as_of: str = ""
    # Ids of the deliberately malformed rows, by kind (e.g. "deal_empty_opportunity").
    quirks: dict[str, list[int]] = field(default_factory=dict)
    # The language of the portal's texts ("en": ``emulator.english.in_english`` was applied).
    language: str = "ru"
    # Ids of records that show a required edge case, by kind (e.g. "boundary_calls",
    # "missed_never_called_back", "intern" for the employee with no clients).
    cases: dict[str, list[int]] = field(default_factory=dict)

    def count(self) -> int:
        return sum(len(rows) for rows in self.tables.values())
