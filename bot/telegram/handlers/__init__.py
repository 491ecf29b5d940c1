"""Handler routers, one per module; the order here is the order updates meet them.

Routers are built on each call (a router belongs to one parent), so every dispatcher
and every test gets its own.
"""

from __future__ import annotations

from aiogram import Router

from bot.telegram.handlers import (
    buttons,
    client_calls,
    contest,
    errors,
    link,
    links,
    membership,
    plan_set,
    reports,
    start,
    strangers,
)


def get_routers() -> list[Router]:
    # strangers must come after reports and buttons: it takes what their access filters refuse
    return [
        start.make_router(),
        link.make_router(),
        plan_set.make_router(),  # /plan set before /plan, the report
        client_calls.make_router(),  # /calls клиент before /calls, the report
        contest.make_router(),
        reports.make_router(),
        links.make_router(),
        buttons.make_router(),
        strangers.make_router(),
        membership.make_router(),
        errors.make_router(),
    ]
