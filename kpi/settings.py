"""Everything the definitions of DESIGN.md leave to the business, as plain values.

Built once by ``app`` from the config and passed down; kpi never reads the config itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

from kpi.calendar import WorkCalendar

DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "successful_call": 1.0,
        "outgoing_email": 0.5,
        "meeting": 5.0,
        "deal_won": 10.0,
        "missed_call_lost": -1.0,
        "new_deal": 0.0,
        "connected_call": 0.0,
        "talk_minute": 0.0,
    }
)

# KPI metrics that can have a plan, in display order.
METRICS = (
    "calls",
    "successful_calls",
    "talk_minutes",
    "meetings",
    "emails",
    "new_deals",
    "revenue",
)


@dataclass(frozen=True)
class PlanBook:
    """Targets per metric and period length ("day", "week", "month", "quarter", "year").

    ``departments[dept_id][length][metric]`` is the target of each employee of that
    department tree; ``employees[user_id][length][metric]`` overrides it for one person.
    """

    departments: Mapping[int, Mapping[str, Mapping[str, Decimal]]] = field(default_factory=dict)
    employees: Mapping[int, Mapping[str, Mapping[str, Decimal]]] = field(default_factory=dict)


@dataclass(frozen=True)
class KeyClientRule:
    ids: frozenset[int] = frozenset()
    field: str | None = None
    value: str | None = None
    abc_a: bool = False


@dataclass(frozen=True)
class KpiSettings:
    tz: ZoneInfo
    calendar: WorkCalendar
    success_seconds: int = 20
    callback_window: timedelta = timedelta(minutes=60)
    greeting_seconds: Mapping[str, int] = field(default_factory=dict)
    # Activities that count as meetings: by type id, or by provider.
    meeting_type_ids: frozenset[int] = frozenset({1})
    meeting_providers: frozenset[str] = frozenset({"CRM_MEETING"})
    weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_WEIGHTS)
    key_clients: KeyClientRule = KeyClientRule()
    sales_departments: tuple[int, ...] = ()
    plans: PlanBook = PlanBook()
    # Probability (0..1) of closing per deal stage code, for the weighted pipeline forecast.
    stage_probability: Mapping[str, float] = field(default_factory=dict)
    abc_months: int = 12
    # The portal's address, for links to CRM cards ("https://example.bitrix24.ru").
    portal_url: str = ""
    # Monthly cost per lead source: source id -> "YYYY-MM" -> amount ([channels.costs]).
    channel_costs: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)
