"""The generator's working state: scale profiles, people, clients, leads, and the event queue.

Each ``gen_*`` module reads and extends one ``World``; rows go straight into
``world.data.tables`` in id order, while the plain objects here remember what later
steps need (who owns which client, which deals are open when, who was fired when).
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random
from typing import Any, Literal

from emulator.data import PortalData
from emulator.gen_names import Namer
from emulator.gen_time import Clock

Scale = Literal["small", "medium", "large"]
Row = dict[str, Any]


@dataclass(frozen=True)
class Profile:
    """How big one scale is. Counts are per sales manager unless named otherwise."""

    managers: int  # sales managers besides the heads
    fired: int  # former sales managers (inactive users)
    clients: int  # old clients per manager
    calls_per_day: float  # own calls per manager per working day
    line_calls_per_day: float  # incoming calls to the lines per day, portal-wide
    emails_per_call: float
    leads_per_month: float
    tasks_per_week: float


PROFILES: dict[str, Profile] = {
    "small": Profile(6, 2, 22, 1.5, 2.2, 0.35, 2.0, 1.0),
    "medium": Profile(24, 4, 28, 5.0, 9.0, 0.35, 3.0, 1.2),
    "large": Profile(76, 8, 34, 17.0, 34.0, 0.33, 3.5, 1.2),
}


@dataclass(eq=False)
class User:
    id: int
    sid: str
    name: str
    role: str  # admin, head, manager, intern, accountant, marketer, other
    dept: int
    sales: bool
    hired: int  # epoch seconds
    fired: int | None = None
    rate: float = 0.0  # share of the profile's calls per working day
    position: str = ""
    clients: list[Client] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)

    def active_at(self, ts: int) -> bool:
        return self.hired <= ts and (self.fired is None or ts < self.fired)


@dataclass(eq=False)
class Client:
    """A company, or a contact with no company: the unit of coverage."""

    kind: str  # "COMPANY" or "CONTACT"
    id: int
    sid: str
    owner: User
    title: str
    created: int
    phones: list[tuple[str, str, str, str]]
    key: bool = False
    pattern: str = "N"  # purchases: X regular, Y irregular monthly, Z one-off, N none
    weight: float = 1.0  # how often the owner talks to it
    bought: bool = False  # has a won deal, so the next one is a repeat sale
    contacts: list[int] = field(default_factory=list)  # contact ids of a company
    # (opened, closed, deal id string) for binding activities to a deal in progress
    deals: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def owner_type(self) -> str:
        return "4" if self.kind == "COMPANY" else "3"


@dataclass(eq=False)
class Lead:
    id: int
    sid: str
    owner: User
    created: int
    closed: int | None
    status: str
    source: str
    phone: tuple[str, str, str, str]
    person_first: str
    person_last: str
    title: str
    returning: Client | None = None  # IS_RETURN_CUSTOMER: the existing client
    client: Client | None = None  # the client it was converted into


Event = tuple[int, int, Callable[[int], object]]


@dataclass(eq=False)
class World:
    rng: Random
    clock: Clock
    namer: Namer
    profile: Profile
    today: dt.date
    start: dt.date  # first day of the history
    start_ts: int
    now_ts: int  # the portal's "now": nothing is created or changed after it
    data: PortalData
    domain: str = "severny-veter.ru"
    users: list[User] = field(default_factory=list)
    clients: list[Client] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)
    cases: dict[str, list[int]] = field(default_factory=dict)
    quirks: dict[str, list[int]] = field(default_factory=dict)
    numbers: list[str] = field(default_factory=list)  # str(i) for small ints, shared
    # (created, owner, client, deal id): each deal brings an offer e-mail or a meeting
    deal_seeds: list[tuple[int, User, Client, str]] = field(default_factory=list)
    _pending: dict[int, list[Event]] = field(default_factory=dict)
    _today_heap: list[Event] | None = None
    _today_ordinal: int = -1
    _seq: int = 0
    _next_ids: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.numbers = [str(i) for i in range(4000)]

    def num(self, value: int) -> str:
        return self.numbers[value] if 0 <= value < 4000 else str(value)

    def next_id(self, table: str) -> int:
        """Ids grow by one, with an occasional gap where a real portal deleted a record."""
        current = self._next_ids.get(table, 0) + 1
        if current > 1 and self.rng.random() < 0.02:
            current += self.rng.randrange(1, 4)
        self._next_ids[table] = current
        return current

    @property
    def horizon(self) -> int:
        """The last instant an event may start: an hour-long call still ends before now."""
        return self.now_ts - 3600

    def office(self, ts: int, not_before: int = 0) -> int:
        """``ts`` squeezed into 09:00-19:00 of its own day: people edit cards at work."""
        secs = (ts + self.clock.offset(ts)) % 86400
        moved = ts - secs + 9 * 3600 + secs * 10 // 24
        return max(not_before, min(moved, self.now_ts))

    def iso(self, ts: int) -> str:
        return self.clock.iso(ts)

    def case(self, name: str, value: int) -> None:
        self.cases.setdefault(name, []).append(value)

    def sales_staff(self, ts: int) -> list[User]:
        return [u for u in self.users if u.sales and u.role != "intern" and u.active_at(ts)]

    # -- the event queue: anything that happens at an instant, emitted in time order --

    def schedule(self, ts: int, action: Callable[[int], object]) -> None:
        """Run ``action(ts)`` when the day loop reaches ``ts``; dropped if too close to ``now``."""
        if ts > self.horizon:
            return
        self._seq += 1
        event = (ts, self._seq, action)
        ordinal = self.clock.local_day(ts).toordinal()
        if ordinal == self._today_ordinal and self._today_heap is not None:
            heapq.heappush(self._today_heap, event)
        elif ordinal > self._today_ordinal:
            self._pending.setdefault(ordinal, []).append(event)
        else:
            msg = "an event was scheduled into a day already generated"
            raise RuntimeError(msg)

    def run_day(self, day: dt.date, events: list[Event]) -> None:
        """Emit every event of ``day`` (the given ones and those scheduled earlier) in order."""
        ordinal = day.toordinal()
        heap = self._pending.pop(ordinal, [])
        heap.extend(events)
        heapq.heapify(heap)
        self._today_ordinal, self._today_heap = ordinal, heap
        while heap:
            ts, _, action = heapq.heappop(heap)
            action(ts)
        self._today_heap = None

    def event(self, ts: int, action: Callable[[int], object]) -> Event:
        self._seq += 1
        return (ts, self._seq, action)
