"""The portal emulator's data: one believable sales department, deterministic from a seed.

``generate(seed, scale, today)`` builds about fifteen months of history up to noon of
``today`` in the portal's time zone: the company's departments and people, clients, leads,
deals in two pipelines, telephony with its CRM activities, e-mails, meetings, to-dos and
tasks, every row in Bitrix24's own wire format. The same arguments always give the same
data; nothing reads the wall clock.

The work is split by subject into ``gen_*`` modules that share one ``World``:
``gen_org`` (departments, users), ``gen_clients``, ``gen_leads``, ``gen_deals``,
``gen_seeds`` and ``gen_days`` (calls, activities), ``gen_tasks``, ``gen_quirks``.
"""

from __future__ import annotations

import datetime as dt
import gc
from random import Random

from emulator.data import PortalData
from emulator.gen_calls import CallMaker
from emulator.gen_clients import build_old_clients
from emulator.gen_days import DayMaker
from emulator.gen_deals import assign_patterns, build_deals
from emulator.gen_dicts import build_dictionaries
from emulator.gen_leads import build_leads
from emulator.gen_names import Namer
from emulator.gen_org import SALES, build_org
from emulator.gen_quirks import apply_quirks
from emulator.gen_seeds import seed_edge_cases, seed_follow_ups
from emulator.gen_tasks import build_tasks
from emulator.gen_time import HOUR, Clock, month_start
from emulator.gen_world import PROFILES, Profile, Scale, World

HISTORY_MONTHS = 15
NOW_HOUR = 12  # the generated portal's "now" is noon of ``today``


def generate(
    seed: int, scale: Scale, today: dt.date, timezone: str = "Europe/Moscow"
) -> PortalData:
    """A whole portal: ~15k records (small), ~120k (medium) or over a million (large)."""
    profile = PROFILES.get(scale)
    if profile is None:
        msg = f"unknown scale {scale!r}; use small, medium or large"
        raise ValueError(msg)
    # A million fresh dicts would set off the cyclic collector hundreds of times for nothing
    # (rows hold no cycles): pausing it halves the time of the large scale.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _generate(seed, profile, today, timezone)
    finally:
        if collecting:
            gc.enable()


def _generate(seed: int, profile: Profile, today: dt.date, timezone: str) -> PortalData:
    rng = Random(seed)
    clock = Clock(timezone)
    start = month_start(today, -HISTORY_MONTHS)
    data = PortalData(timezone=timezone, sales_department_id=SALES)
    w = World(
        rng=rng,
        clock=clock,
        namer=Namer(rng),
        profile=profile,
        today=today,
        start=start,
        start_ts=clock.at(start, 0),
        now_ts=clock.at(today, NOW_HOUR * HOUR),
        data=data,
    )
    build_dictionaries(w)
    build_org(w)
    build_old_clients(w)
    assign_patterns(w)
    build_leads(w)
    build_deals(w)
    calls = CallMaker(w)
    seed_follow_ups(w, calls)
    seed_edge_cases(w, calls)
    DayMaker(w, calls).run()
    build_tasks(w)
    _describe(w)
    apply_quirks(w)
    data.as_of = w.iso(w.now_ts)
    data.quirks = w.quirks
    data.cases = w.cases
    return data


def _describe(w: World) -> None:
    """Name the records tests and demos look for, where the generator knows them best."""
    for pattern in ("X", "Y"):
        w.cases[f"{pattern.lower()}_companies"] = [c.id for c in w.clients if c.pattern == pattern]
    w.cases["contacts_without_company"] = [c.id for c in w.clients if c.kind == "CONTACT"]
    w.cases["key_companies"] = [c.id for c in w.clients if c.key]
