"""CRM activities (crm.activity.list rows): calls' timeline entries, e-mails, meetings, to-dos.

Every row has the same 21 keys, so a million of them fit in memory (a dict of up to 21
keys keeps the small table); instants already formatted for a call are reused as is.
"""

from __future__ import annotations

from emulator.data import ACTIVITIES
from emulator.gen_time import DAY, HOUR
from emulator.gen_world import Client, Lead, Row, User, World

Target = Client | Lead
_EMAIL_OUT = (
    "Коммерческое предложение", "Счёт на оплату", "Договор на согласование",
    "Акт сверки", "Прайс-лист", "Подтверждение заказа",
)  # fmt: skip
_EMAIL_IN = ("Re: Коммерческое предложение", "Запрос цены", "Re: Счёт на оплату", "Вопрос")
_TODOS = (
    "Перезвонить клиенту", "Отправить КП", "Уточнить сроки поставки", "Выставить счёт",
    "Встреча в офисе клиента",
)  # fmt: skip


def target_owner(w: World, target: Target, ts: int) -> tuple[str, str]:
    """(OWNER_TYPE_ID, OWNER_ID): the client, or now and then a deal of it in progress."""
    if isinstance(target, Lead):
        return "1", target.sid
    if target.deals and w.rng.random() < 0.3:
        for opened, closed, sid in reversed(target.deals):
            if opened <= ts <= closed:
                return "2", sid
    return target.owner_type, target.sid


def activity_row(
    w: World,
    *,
    owner: tuple[str, str],
    kind: tuple[str, str, str],  # TYPE_ID, PROVIDER_ID, PROVIDER_TYPE_ID
    direction: str,
    subject: str,
    completed: bool,
    responsible: str,
    start: str,
    end: str,
    deadline: str,
    created: str,
    updated: str,
    origin: str | None = None,
    settings: Row | None = None,
) -> Row:
    aid = w.next_id(ACTIVITIES)
    row: Row = {
        "ID": str(aid),
        "OWNER_ID": owner[1],
        "OWNER_TYPE_ID": owner[0],
        "TYPE_ID": kind[0],
        "PROVIDER_ID": kind[1],
        "PROVIDER_TYPE_ID": kind[2],
        "DIRECTION": direction,
        "SUBJECT": subject,
        "COMPLETED": "Y" if completed else "N",
        "STATUS": "2" if completed else "1",
        "RESPONSIBLE_ID": responsible,
        "AUTHOR_ID": responsible,
        "PRIORITY": "2",
        "START_TIME": start,
        "END_TIME": end,
        "DEADLINE": deadline,
        "CREATED": created,
        "LAST_UPDATED": updated,
        "ORIGIN_ID": origin,
        "SETTINGS": settings if settings is not None else [],
        "DESCRIPTION": "",
    }
    w.data.tables[ACTIVITIES].append(row)
    return row


EMAIL = ("4", "CRM_EMAIL", "EMAIL")
MEETING = ("1", "CRM_MEETING", "MEETING")
TODO = ("6", "CRM_TODO", "TODO")
OPENLINE = ("6", "IMOPENLINES_SESSION", "IMOPENLINES_SESSION")


def email(w: World, ts: int, user: User, target: Target, *, outgoing: bool) -> Row:
    rng = w.rng
    at = w.iso(ts)
    subject = rng.choice(_EMAIL_OUT if outgoing else _EMAIL_IN)
    # An unread incoming letter stays open on the timeline.
    done = outgoing or rng.random() < 0.85
    return activity_row(
        w, owner=target_owner(w, target, ts), kind=EMAIL, direction="2" if outgoing else "1",
        subject=subject, completed=done, responsible=user.sid, start=at, end=at, deadline=at,
        created=at, updated=at, settings={"IS_BATCH_EMAIL": False} if outgoing else None,
    )  # fmt: skip


def meeting(w: World, ts: int, user: User, target: Target, *, days_ahead: int = 0) -> Row:
    """Planned at ``ts`` for a day ahead (possibly after now); mostly held if in the past."""
    rng = w.rng
    day = w.clock.local_day(ts + (days_ahead or rng.randrange(1, 10)) * DAY)
    start = w.clock.at(day, rng.randrange(10, 17) * HOUR + rng.choice((0, 1800)))
    end = start + rng.choice((1, 1, 2)) * HOUR
    held = end <= w.now_ts and rng.random() < 0.9
    updated = min(w.now_ts, end + rng.randrange(0, 4 * HOUR)) if held else ts
    s = w.iso(start)
    return activity_row(
        w, owner=target_owner(w, target, ts), kind=MEETING, direction="0",
        subject="Встреча с клиентом", completed=held, responsible=user.sid, start=s,
        end=w.iso(end), deadline=s, created=w.iso(ts), updated=w.iso(updated),
    )  # fmt: skip


def todo(w: World, ts: int, user: User, target: Target) -> Row:
    rng = w.rng
    due = ts + rng.randrange(2 * HOUR, 7 * DAY)
    done = due <= w.now_ts and rng.random() < 0.8
    updated = min(w.now_ts, due + rng.randrange(-HOUR, 6 * HOUR)) if done else ts
    d = w.iso(due)
    return activity_row(
        w, owner=target_owner(w, target, ts), kind=TODO, direction="0",
        subject=rng.choice(_TODOS), completed=done, responsible=user.sid, start=d, end=d,
        deadline=d, created=w.iso(ts), updated=w.iso(max(ts, updated)),
    )  # fmt: skip


def openline(w: World, ts: int, user: User, target: Target) -> Row:
    at, end = w.iso(ts), w.iso(ts + w.rng.randrange(300, 3 * HOUR))
    return activity_row(
        w, owner=target_owner(w, target, ts), kind=OPENLINE, direction="1",
        subject="Чат с клиентом", completed=True, responsible=user.sid, start=at, end=end,
        deadline=end, created=at, updated=end,
    )  # fmt: skip
