"""The day loop: each day's own calls, e-mails, meetings and to-dos of every user, and the
calls that come in to the portal's lines, emitted in time order with whatever was planned
for that day earlier (callbacks, follow-ups of leads and deals, the pinned edge cases).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Callable
from functools import partial

from emulator import gen_activities as acts
from emulator.gen_calls import CALLBACK, IN, IN_REDIRECTED, LINES, OUT, CallMaker
from emulator.gen_names import phone_formats
from emulator.gen_time import HOUR, is_workday
from emulator.gen_world import Client, Event, User, World

# Hours of the working day, weighted: a slow start, a lunch dip, a busy afternoon.
_HOURS: tuple[int, ...] = (9,) * 6 + (10,) * 11 + (11,) * 12 + (12,) * 9 + (13,) * 5 + (14,) * 10
_HOURS += (15,) * 12 + (16,) * 12 + (17,) * 9 + (18,) * 4
_EVENING = (7, 8, 19, 20, 21, 22, 23)


class DayMaker:
    def __init__(self, w: World, calls: CallMaker) -> None:
        self.w = w
        self.calls = calls
        self._pools: dict[int, tuple[int, int, list[Client], list[float]]] = {}
        self._known = 0  # how many of w.clients exist by the current day
        self._day = -1
        self._day_start = 0

    def _pool(self, user: User) -> tuple[list[Client], list[float]]:
        """The user's clients that existed when the day began, with cumulative weights."""
        cached = self._pools.get(user.id)
        if cached is not None and cached[0] == self._day:
            return cached[2], cached[3]
        # A user's clients are kept in the order they were created.
        count = bisect_right(user.clients, self._day_start, key=lambda c: c.created)
        if cached is None or cached[1] != count:
            clients = user.clients[:count]
            cum, total = [], 0.0
            for c in clients:
                total += c.weight
                cum.append(total)
            cached = (self._day, count, clients, cum)
        else:
            cached = (self._day, count, cached[2], cached[3])
        self._pools[user.id] = cached
        return cached[2], cached[3]

    def _any_client(self) -> Client:
        return self.w.clients[self.w.rng.randrange(self._known)]

    def _pick(self, user: User, ts: int) -> Client | None:
        rng = self.w.rng
        clients, cum = self._pool(user)
        r = rng.random()
        if clients and r < 0.82:
            return rng.choices(clients, cum_weights=cum)[0]
        if r < 0.88 and self._known:
            return self._any_client()
        return None  # a number that is in no CRM card

    def _when(self, day: dt.date) -> int:
        rng = self.w.rng
        hour = _HOURS[int(rng.random() * len(_HOURS))]
        return self.w.clock.at(day, hour * HOUR + int(rng.random() * HOUR))

    # -- one user's own work --

    def own_call(self, user: User, ts: int) -> None:
        rng, calls = self.w.rng, self.calls
        target = self._pick(user, ts)
        phones = target.phones[int(rng.random() * len(target.phones))] if target else None
        if phones is None:
            phones = phone_formats(self.w.namer.phone())
        phone = phones[(0, 0, 0, 1, 2, 3)[int(rng.random() * 6)]]
        r = rng.random()
        if r < 0.6 or not user.sales:
            call_type = CALLBACK if r < 0.03 else OUT
            code = _out_code(rng.random())
            line = LINES[0] if user.dept != 4 else LINES[2]
            duration = calls.duration() if code == "200" else 0
            calls.call(
                ts, user, call_type=call_type, code=code, duration=duration, phone=phone,
                target=target, line=line,
            )  # fmt: skip
        elif r < 0.95:
            call_type = IN_REDIRECTED if r > 0.92 else IN
            calls.call(
                ts, user, call_type=call_type, code="200", duration=calls.duration(),
                phone=phone, target=target, line=LINES[0],
            )  # fmt: skip
        else:
            calls.missed(ts, user, phones, target)

    def own_email(self, user: User, ts: int) -> None:
        target = self._pick(user, ts)
        if target is not None:
            acts.email(self.w, ts, user, target, outgoing=self.w.rng.random() < 0.6)

    def own_meeting(self, user: User, ts: int) -> None:
        target = self._pick(user, ts)
        if target is not None:
            acts.meeting(self.w, ts, user, target)

    def own_todo(self, user: User, ts: int) -> None:
        target = self._pick(user, ts)
        if target is not None:
            if self.w.rng.random() < 0.15:
                acts.openline(self.w, ts, user, target)
            else:
                acts.todo(self.w, ts, user, target)

    # -- calls that come in to a line, at any hour --

    def line_call(self, ts: int) -> None:
        w, calls = self.w, self.calls
        rng = w.rng
        target = self._any_client() if self._known and rng.random() < 0.65 else None
        phones = target.phones[0] if target else phone_formats(w.namer.phone())
        owner = target.owner if target and target.owner.active_at(ts) else None
        r = rng.random()
        if calls.working(ts) and r < 0.75:
            staff = w.sales_staff(ts)
            taker = owner if owner and owner.sales and r < 0.55 else rng.choice(staff)
            call_type = IN_REDIRECTED if rng.random() < 0.1 else IN
            phone = phones[int(rng.random() * 4)]
            calls.call(
                ts, taker, call_type=call_type, code="200", duration=calls.duration(),
                phone=phone, target=target, line=LINES[0],
            )  # fmt: skip
        elif r < 0.85 and owner is not None:
            calls.missed(ts, owner, phones, target)
        else:
            calls.missed(ts, None, phones, target)  # rang out: no one's PORTAL_USER_ID

    # -- the loop --

    def day_events(self, day: dt.date) -> list[Event]:
        w = self.w
        rng, p = w.rng, w.profile
        clock = w.clock
        noon = clock.at(day, 12 * HOUR)
        self._day, self._day_start = day.toordinal(), clock.at(day, 0)
        while self._known < len(w.clients) and w.clients[self._known].created <= self._day_start:
            self._known += 1
        events: list[Event] = []
        workday = is_workday(day)
        if workday:
            for user in w.users:
                if user.rate <= 0 or not user.active_at(noon):
                    continue
                n = int(user.rate * p.calls_per_day * rng.uniform(0.6, 1.4) + rng.random())
                emails = int(n * p.emails_per_call + rng.random())
                meetings = int(user.sales and rng.random() < n * 0.035)
                todos = int(n * 0.1 + rng.random())
                events += self._spread(day, n, partial(self.own_call, user))
                events += self._spread(day, emails, partial(self.own_email, user))
                events += self._spread(day, meetings, partial(self.own_meeting, user))
                events += self._spread(day, todos, partial(self.own_todo, user))
        line_calls = p.line_calls_per_day * (1.0 if workday else 0.2)
        for _ in range(int(line_calls * rng.uniform(0.6, 1.4) + rng.random())):
            if workday and rng.random() < 0.8:
                ts = self._when(day)
            else:
                hour = rng.choice(_EVENING) if workday else rng.randrange(9, 23)
                ts = clock.at(day, hour * HOUR + rng.randrange(HOUR))
            events.append(w.event(ts, self.line_call))
        return [e for e in events if e[0] <= w.horizon]

    def _spread(self, day: dt.date, count: int, action: Callable[[int], object]) -> list[Event]:
        return [self.w.event(self._when(day), action) for _ in range(count)]

    def run(self) -> None:
        w = self.w
        day = w.start
        while day <= w.today:
            w.run_day(day, self.day_events(day))
            day = day.fromordinal(day.toordinal() + 1)


def _out_code(r: float) -> str:
    if r < 0.7:
        return "200"
    if r < 0.82:
        return "304"
    if r < 0.89:
        return "486"
    if r < 0.94:
        return "603-S"
    return ("480", "404", "OTHER")[int((r - 0.94) / 0.02001)]
