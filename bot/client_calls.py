"""``/calls клиент NAME [period]``: calls and talk time with a client, the same in both chats.

The figures are the calls report's per-client figures (``kpi.calls_clients``) over the
calls the asker may see: an admin every call (the ones nobody took included), a head the
calls of the people in their department trees, an employee their own. Clients match by
every word of the name (case-insensitive). Synchronous: the front ends use a worker thread.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from bot.access import Viewer
from bot.settings import Role
from charts.theme import duration_text
from charts.words import speaking
from kpi.calls import is_connected
from kpi.calls_clients import ClientCalls, client_calls
from kpi.periods import Period, PeriodError, parse_period
from kpi.scope import sales_employees
from kpi.settings import KpiSettings
from locales import _, ngettext, words
from reports.kpi_words import period_label
from reports.text import count
from store.models import UserDepartment

CLIENT_WORDS = frozenset({"клиент", "клиента", "client"})
SHOWN = 10


def is_client_query(params: str) -> bool:
    words = params.split(maxsplit=1)
    return bool(words) and words[0].lower() in CLIENT_WORDS


def split(params: str, *, now: datetime, kpi: KpiSettings) -> tuple[str, Period]:
    """The client's name and the period (this month unless the last words name one)."""
    words = params.split()[1:]
    for take in (2, 1):
        if len(words) > take:
            try:
                return " ".join(words[:-take]), parse_period(
                    " ".join(words[-take:]), now=now, tz=kpi.tz
                )
            except PeriodError:
                continue
    return " ".join(words), parse_period("month", now=now, tz=kpi.tz)


def visible_callers(session: Session, kpi: KpiSettings, viewer: Viewer) -> tuple[list[int], bool]:
    """The employees whose calls the viewer may see, and whether calls nobody took count."""
    if viewer.role is Role.ADMIN:
        return [e.id for e in sales_employees(session, kpi)], True
    if viewer.role is Role.HEAD:
        members = set(
            session.execute(
                select(col(UserDepartment.user_id)).where(
                    col(UserDepartment.department_id).in_(viewer.departments)
                )
            ).scalars()
        )
        ids = [e.id for e in sales_employees(session, kpi) if e.id in members]
        if viewer.user_id is not None and viewer.user_id not in ids:
            ids.append(viewer.user_id)
        return ids, False
    return ([viewer.user_id] if viewer.user_id is not None else []), False


def answer(session: Session, kpi: KpiSettings, viewer: Viewer, params: str, now: datetime) -> str:
    name, period = split(params, now=now, kpi=kpi)
    wanted = name.lower().replace("ё", "е").split()
    if not wanted:
        return _("Напишите, с каким клиентом: /calls клиент Ромашка [период].")
    ids, include_null = visible_callers(session, kpi, viewer)
    rows = client_calls(session, ids, period, include_null=include_null, connected=is_connected())
    found = [r for r in rows if _matches(r, wanted)]
    label = period_label(period)
    if not found:
        return _("Клиент «{name}», {period}: звонков не было (среди тех, кого вам видно).").format(
            name=name, period=label
        )
    lines = [_("Звонки с клиентом «{name}», {period}:").format(name=name, period=label)]
    lines += [_line(r) for r in found[:SHOWN]]
    if len(found) > SHOWN:
        lines.append(_("… и ещё {count}: уточните название.").format(count=len(found) - SHOWN))
    return "\n".join(lines)


def _line(row: ClientCalls) -> str:
    calls = ngettext("{n}\u00a0звонок", "{n}\u00a0звонков", row.calls).format(n=count(row.calls))
    with speaking(words()):  # the talk time in the reader's language too
        talk = duration_text(row.talk_seconds)
    return _("{title} — {calls}, в разговорах {talk}").format(
        title=row.title, calls=calls, talk=talk
    )


def _matches(row: ClientCalls, wanted: list[str]) -> bool:
    title = row.title.lower().replace("ё", "е")
    return all(word in title for word in wanted)
