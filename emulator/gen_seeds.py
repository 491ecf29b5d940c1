"""Events planned before the day loop runs: the follow-ups of leads and deals, and the edge
cases every portal must hold whatever the seed (boundary instants, callbacks across midnight
and periods, missed calls never called back, call activities with no telephony record).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial

from emulator import gen_activities as acts
from emulator.gen_calls import CALL_KIND, IN, LINES, OUT, CallMaker
from emulator.gen_names import phone_formats
from emulator.gen_time import DAY, HOUR, is_workday, month_start
from emulator.gen_world import Client, Lead, Row, User, World

Phones = tuple[str, str, str, str]


def seed_follow_ups(w: World, calls: CallMaker) -> None:
    rng = w.rng
    for lead in w.leads:
        _lead_follow_up(w, calls, lead)
    for created, owner, client, _ in w.deal_seeds:
        if created < w.start_ts:
            continue
        at = created + rng.randrange(HOUR, DAY)
        if owner.active_at(at) and rng.random() < 0.5:
            w.schedule(at, partial(_offer, w, owner, client))
        at = created + rng.randrange(DAY, 5 * DAY)
        if owner.active_at(at) and rng.random() < 0.2:
            w.schedule(at, partial(_meeting, w, owner, client))


def _offer(w: World, user: User, client: Client, ts: int) -> None:
    acts.email(w, ts, user, client, outgoing=True)


def _meeting(w: World, user: User, client: Client, ts: int) -> None:
    acts.meeting(w, ts, user, client)


def _lead_call(
    calls: CallMaker, lead: Lead, ts: int, *, call_type: str, code: str, phone: str
) -> None:
    duration = calls.duration() if code == "200" else 0
    calls.call(
        ts, lead.owner, call_type=call_type, code=code, duration=duration, phone=phone,
        target=lead, line=LINES[0],
    )  # fmt: skip


def _lead_follow_up(w: World, calls: CallMaker, lead: Lead) -> None:
    """The call a lead came in with, the owner's calls back, a to-do."""
    rng = w.rng
    end = min(lead.closed or w.now_ts, lead.owner.fired or w.now_ts)
    if lead.source == "CALL":
        w.schedule(
            lead.created,
            partial(_lead_call, calls, lead, call_type=IN, code="200", phone=lead.phone[0]),
        )
    at = lead.created + rng.randrange(300, 4 * HOUR)
    for _ in range(rng.choice((1, 1, 2, 3))):
        if at >= end:
            break
        code = "200" if rng.random() < 0.6 else "304"
        phone = lead.phone[rng.randrange(4)]
        w.schedule(at, partial(_lead_call, calls, lead, call_type=OUT, code=code, phone=phone))
        at += rng.randrange(HOUR, 3 * DAY)
    if rng.random() < 0.4 and lead.created + HOUR < end:
        w.schedule(lead.created + HOUR, partial(acts.todo, w, user=lead.owner, target=lead))


def _recorded(w: World, name: str, make: Callable[[int], list[Row]]) -> Callable[[int], None]:
    """Run ``make`` at its instant and list the ids of the rows it made under ``name``."""

    def action(ts: int) -> None:
        for row in make(ts):
            w.case(name, int(row["ID"]))

    return action


def _last_workday(w: World, back: int) -> dt.date:
    day = w.today - dt.timedelta(days=back)
    while not is_workday(day):
        day -= dt.timedelta(days=1)
    return day


class EdgeCases:
    """Pins the required edge cases onto a manager who has worked all along."""

    def __init__(self, w: World, calls: CallMaker) -> None:
        self.w, self.calls = w, calls
        self.manager = next(
            u for u in w.users if u.role == "manager" and u.fired is None and len(u.clients) >= 2
        )
        self.accountant = next(u for u in w.users if u.role == "accountant")
        self.first, self.second = self.manager.clients[0], self.manager.clients[1]

    def seed(self) -> None:
        w, clock = self.w, self.w.clock
        # Month ends: missed at 23:59:59, answered when the client rings again at 00:00:00.
        month = month_start(w.today)
        for _ in range(3):
            eve = month - dt.timedelta(days=1)
            if eve >= w.start:
                w.schedule(clock.at(eve, DAY - 1), _recorded(w, "boundary_calls", self.month_end))
            month = month_start(month, -1)
        # Week starts: a call at Sunday 23:59:59, a missed one nobody took at 00:00:00.
        monday = w.today - dt.timedelta(days=w.today.weekday())
        for _ in range(2):
            monday -= dt.timedelta(days=7)
            sunday = clock.at(monday - dt.timedelta(days=1), DAY - 1)
            w.schedule(sunday, _recorded(w, "boundary_calls", self.sunday_night))
            w.schedule(clock.at(monday, 0), _recorded(w, "boundary_calls", self.week_start))
        at = clock.at(_last_workday(w, 1), 19 * HOUR + 1800)
        w.schedule(at, _recorded(w, "missed_never_called_back", self.never))
        at = clock.at(_last_workday(w, 10), 11 * HOUR)
        w.schedule(at, _recorded(w, "missed_called_back_by_non_employee", self.by_accountant))
        at = clock.at(_last_workday(w, 6), 20 * HOUR + 1200)
        w.schedule(at, _recorded(w, "missed_called_back_next_day", self.evening))
        at = clock.at(_last_workday(w, 3), 15 * HOUR)
        w.schedule(at, _recorded(w, "call_activity_without_record", self.orphans))
        at = clock.at(_last_workday(w, 1), 16 * HOUR)
        w.schedule(at, _recorded(w, "future_meetings", self.next_week_meeting))

    def month_end(self, ts: int) -> list[Row]:
        phones = self.first.phones[0]
        row, act = self.calls.missed(ts, self.manager, phones, self.first, follow_up=False, fmt=0)
        self.calls.plan_callback(
            ts + 1, self.manager, phones=phones, fmt=0, target=self.first, act=act, incoming=True
        )
        return [row]

    def sunday_night(self, ts: int) -> list[Row]:
        row, _ = self.calls.call(
            ts, self.manager, call_type=OUT, code="200", duration=47,
            phone=self.second.phones[0][2], target=self.second, line=LINES[1],
        )  # fmt: skip
        return [row]

    def week_start(self, ts: int) -> list[Row]:
        phones = self.second.phones[0]
        row, act = self.calls.missed(ts, None, phones, self.second, follow_up=False, fmt=3)
        self.calls.plan_callback(
            self.calls.next_morning(ts), None, phones=phones, fmt=3, target=self.second, act=act
        )
        return [row]

    def never(self, ts: int) -> list[Row]:
        """Nobody took it, and nobody ever calls the number back."""
        lonely: Phones = phone_formats(self.w.namer.phone())
        return [self.calls.missed(ts, None, lonely, None, follow_up=False, fmt=0)[0]]

    def by_accountant(self, ts: int) -> list[Row]:
        """Called back only by the accountant, who is not a sales employee."""
        stranger: Phones = phone_formats(self.w.namer.phone())
        row, _ = self.calls.missed(ts, self.manager, stranger, None, follow_up=False, fmt=1)

        def back(at: int) -> None:
            self.calls.call(
                at, self.accountant, call_type=OUT, code="200", duration=95,
                phone=stranger[0], target=None, line=LINES[1],
            )  # fmt: skip

        self.w.schedule(ts + 1800, back)
        return [row]

    def evening(self, ts: int) -> list[Row]:
        """Missed in the evening, called back after midnight the next working morning."""
        client, phones = self.first, self.first.phones[-1]
        row, act = self.calls.missed(ts, self.manager, phones, client, follow_up=False, fmt=2)
        self.calls.plan_callback(
            self.calls.next_morning(ts), self.manager, phones=phones, fmt=2, target=client,
            act=act, incoming=False,
        )  # fmt: skip
        return [row]

    def orphans(self, ts: int) -> list[Row]:
        """Two call activities with no telephony record behind them."""
        w, client, at = self.w, self.first, self.w.iso(ts)
        origins = (None, f"VI_externalCall.{w.rng.getrandbits(128):032x}.{ts}")
        return [
            acts.activity_row(
                w,
                owner=(client.owner_type, client.sid),
                kind=CALL_KIND,
                direction="2",
                subject="Звонок с мобильного",
                completed=True,
                responsible=self.manager.sid,
                start=at,
                end=at,
                deadline=at,
                created=at,
                updated=at,
                origin=origin,
            )  # fmt: skip
            for origin in origins
        ]

    def next_week_meeting(self, ts: int) -> list[Row]:
        return [acts.meeting(self.w, ts, self.manager, self.first, days_ahead=7)]


def seed_edge_cases(w: World, calls: CallMaker) -> None:
    EdgeCases(w, calls).seed()
