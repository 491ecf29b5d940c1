"""Deals (crm.deal.list) in two pipelines, shaped so ABC and XYZ have something to find:
regular monthly buyers (X), irregular monthly buyers (Y), one-off buyers (Z), and a long tail.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from emulator.data import DEALS
from emulator.gen_deal_rows import write_deal
from emulator.gen_time import DAY, HOUR, is_workday, month_end, month_start
from emulator.gen_world import Client, User, World

OPEN_0 = ("NEW", "PREPARATION", "PREPAYMENT_INVOICE", "EXECUTING", "FINAL_INVOICE")
OPEN_1 = ("C1:NEW", "C1:PREPARATION", "C1:EXECUTING")
LOST_0 = ("LOSE", "LOSE", "LOSE", "UC_PRICE", "UC_PRICE", "APOLOGY")
LOST_1 = ("C1:LOSE", "C1:LOSE", "C1:LOSE", "C1:APOLOGY")


@dataclass(eq=False)
class DealPlan:
    created: int
    client: Client
    owner: User
    category: int
    stage: str
    cents: int  # in the deal's currency
    closed: int | None  # the instant it was won or lost
    close_date: dt.date
    lead_sid: str | None = None
    source: str | None = None
    currency: str = "RUB"
    monthly: bool = False


def assign_patterns(w: World) -> None:
    rng = w.rng
    for c in w.clients:
        steady = c.owner.fired is None and c.owner.role in ("manager", "head")
        r = rng.random()
        if c.kind == "COMPANY" and steady:
            x_share, y_share = (0.22, 0.22) if c.key else (0.05, 0.07)
            c.pattern = "X" if r < x_share else "Y" if r < x_share + y_share else "Z"
            if c.pattern == "Z" and rng.random() < 0.45:
                c.pattern = "N"
        else:
            c.pattern = "Z" if r < 0.4 else "N"
    for wanted in ("X", "Y"):
        pool = [
            c
            for c in w.clients
            if c.kind == "COMPANY" and c.owner.fired is None and c.owner.role == "manager"
        ]
        while sum(c.pattern == wanted for c in w.clients) < 2:
            candidates = [c for c in pool if c.pattern in ("Z", "N")]
            rng.choice(candidates).pattern = wanted


def _amount(w: World, median: float, sigma: float) -> int:
    """Cents: a whole number of roubles mostly, sometimes a price like 19999.99."""
    value = w.rng.lognormvariate(math.log(median), sigma)
    if w.rng.random() < 0.6:
        return max(1, round(value / 1000)) * 100_000
    return max(100, round(value)) * 100 - 1


def _moment(w: World, day: dt.date) -> int:
    """A working-hours instant on ``day``, before ``now`` when ``day`` is today."""
    latest = 11 * HOUR if day == w.today else 18 * HOUR
    return w.clock.at(day, w.rng.randrange(9 * HOUR, latest))


def _monthly(w: World, client: Client, plans: list[DealPlan]) -> None:
    rng = w.rng
    # Alternating deviations keep the coefficient of variation steady over any 12 months.
    spread = 0.04 if client.pattern == "X" else 0.2
    base = _amount(w, 180_000 if client.pattern == "X" else 120_000, 0.6) // 100
    base_day = rng.randrange(1, 26)
    month, k = month_start(w.start), 0
    while month <= w.today:
        day = month.replace(day=min(base_day, month_end(month).day))
        day = min(day, w.today)
        while not is_workday(day) and day.day > 1:
            day -= dt.timedelta(days=1)  # invoices go out on working days
        closed = _moment(w, day)
        sign = 1 if k % 2 else -1
        roubles = base * (1 + sign * spread + rng.uniform(-0.015, 0.015))
        created = closed - rng.randrange(3, 12) * DAY
        plans.append(
            DealPlan(created, client, client.owner, 1 if k else 0, "C1:WON" if k else "WON",
                     round(roubles) * 100, closed, day, source="PARTNER", monthly=True)
        )  # fmt: skip
        month, k = month_start(month, 1), k + 1
    # Next month's order is already in the pipeline.
    created = w.now_ts - rng.randrange(1, 5) * DAY
    due = month_start(w.today, 1) + dt.timedelta(days=base_day - 1)
    plans.append(
        DealPlan(created, client, client.owner, 1, rng.choice(OPEN_1), base * 100, None, due,
                 source="PARTNER", monthly=True)
    )  # fmt: skip


def _window(w: World, client: Client) -> tuple[int, int]:
    first = max(w.start_ts, client.created + DAY)
    last = w.now_ts - DAY if client.owner.fired is None else client.owner.fired - DAY
    return first, last


def _one(w: World, client: Client, outcome: str, plans: list[DealPlan], when: int) -> DealPlan:
    """One deal of a one-off buyer: won ("S"), lost ("F") or still open ("P")."""
    rng = w.rng
    category = 1 if client.bought and rng.random() < 0.7 else 0
    cents = _amount(w, 60_000, 1.2)
    if outcome == "P":
        created = min(when, w.now_ts - rng.randrange(1, 60) * DAY)
        stages = OPEN_1 if category else OPEN_0
        due = w.today + dt.timedelta(days=rng.randrange(-15, 50))
        plan = DealPlan(created, client, client.owner, category, rng.choice(stages), cents,
                        None, due)  # fmt: skip
    else:
        closed = w.office(when)
        created = closed - rng.randrange(2, 40) * DAY
        if outcome == "S":
            stage = "C1:WON" if category else "WON"
            client.bought = True
        else:
            stage = rng.choice(LOST_1 if category else LOST_0)
        plan = DealPlan(created, client, client.owner, category, stage, cents, closed,
                        w.clock.local_day(closed))  # fmt: skip
    if rng.random() < 0.05:
        plan.owner = rng.choice(w.sales_staff(plan.created) or [client.owner])
    plans.append(plan)
    return plan


def _occasional(w: World, client: Client, plans: list[DealPlan]) -> None:
    rng = w.rng
    first, last = _window(w, client)
    if last <= first:
        return
    if client.pattern == "Z":
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            _one(w, client, "S", plans, rng.randrange(first, last))
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            _one(w, client, "F", plans, rng.randrange(first, last))
    elif rng.random() < 0.4:
        _one(w, client, "F", plans, rng.randrange(first, last))
    if client.owner.fired is None and rng.random() < 0.3:
        _one(w, client, "P", plans, w.now_ts)


def _from_leads(w: World, plans: list[DealPlan]) -> None:
    rng = w.rng
    for lead in w.leads:
        if lead.client is None or lead.closed is None or rng.random() < 0.08:
            continue  # some converted leads became a contact only, no deal
        created = lead.closed + rng.randrange(900, 1800)  # after its new client card
        if created > w.now_ts:
            continue  # converted a minute ago: the deal is not there yet
        r = rng.random()
        closed = created + rng.randrange(3, 40) * DAY
        if closed > w.now_ts or r < 0.3:
            plan = _one(w, lead.client, "P", plans, created)
            plan.created = created
        else:
            plan = _one(w, lead.client, "S" if r < 0.72 else "F", plans, closed)
            plan.created = created
        plan.owner, plan.lead_sid, plan.source = lead.owner, lead.sid, lead.source


def _foreign(w: World, plans: list[DealPlan]) -> None:
    """A few deals priced in USD or EUR, at least one won in each."""
    rng = w.rng
    eligible = [p for p in plans if not p.monthly and p.lead_sid is None]
    for p in eligible:
        if rng.random() < 0.04:
            p.currency = rng.choice(("USD", "EUR"))
    for currency in ("USD", "EUR"):
        if not any(p.currency == currency and p.stage.endswith("WON") for p in plans):
            won = [p for p in eligible if p.currency == "RUB" and p.stage.endswith("WON")]
            rng.choice(won).currency = currency
    for p in plans:
        if p.currency != "RUB":
            p.cents = max(100, p.cents // 95)  # priced abroad: the same deal in foreign money


def build_deals(w: World) -> None:
    plans: list[DealPlan] = []
    for client in w.clients:
        if client.pattern in ("X", "Y"):
            _monthly(w, client, plans)
        elif client.pattern in ("Z", "N"):
            _occasional(w, client, plans)
    _from_leads(w, plans)
    _foreign(w, plans)
    for plan in plans:
        plan.created = max(plan.created, plan.client.created + 60)
    plans = [p for p in plans if p.created <= w.now_ts]
    plans.sort(key=lambda p: p.created)
    for plan in plans:
        did = w.next_id(DEALS)
        write_deal(w, did, plan)
        w.deal_seeds.append((plan.created, plan.owner, plan.client, str(did)))
        if plan.currency != "RUB":
            w.case("foreign_currency_deals", did)
