"""Tasks (tasks.task.list rows: camelCase keys, string values): done, in progress, overdue,
due ahead, and some with no deadline at all."""

from __future__ import annotations

import datetime as dt

from emulator.data import TASKS
from emulator.gen_time import DAY, HOUR, is_workday
from emulator.gen_world import Row, User, World

_TITLES = (
    "Подготовить КП для {}", "Позвонить {}", "Отправить договор {}", "Согласовать скидку для {}",
    "Провести встречу с {}", "Выставить счёт {}", "Обновить карточку {}",
)  # fmt: skip
_PLAIN = ("Отчёт за неделю", "Обновить прайс-лист", "Планёрка отдела", "Сверка с бухгалтерией")
_OPEN = ("2", "2", "3", "3", "3", "4", "6")


def _person(user: User) -> Row:
    return {
        "id": user.sid,
        "name": user.name,
        "link": f"/company/personal/user/{user.id}/",
        "icon": "/bitrix/images/tasks/default_avatar.png",
    }


def build_tasks(w: World) -> None:
    rng, clock = w.rng, w.clock
    plan: list[tuple[int, User]] = []
    day = w.start
    while day <= w.today:
        if is_workday(day):
            for user in w.users:
                if user.rate <= 0:
                    continue
                weekly = w.profile.tasks_per_week * (1.0 if user.sales else 0.5)
                if rng.random() < weekly / 5:
                    ts = clock.at(day, rng.randrange(9 * HOUR, 18 * HOUR))
                    if user.active_at(ts) and ts <= w.now_ts:
                        plan.append((ts, user))
        day += dt.timedelta(days=1)
    plan.sort(key=lambda item: item[0])
    heads = {u.dept: u for u in w.users if u.role in ("head", "admin")}
    for created, user in plan:
        _task(w, created, user, heads.get(user.dept, user))


def _task(w: World, created: int, user: User, head: User) -> None:
    rng = w.rng
    tid = w.next_id(TASKS)
    deadline: int | None = None
    if rng.random() < 0.85:
        due_day = w.clock.local_day(created + rng.randrange(1, 15) * DAY)
        deadline = w.clock.at(due_day, rng.choice((18, 19)) * HOUR)
    limit = min(w.now_ts, user.fired or w.now_ts)
    if deadline is not None and deadline < w.now_ts:
        done = rng.random() < 0.85
        latest = min(limit, deadline + 3 * DAY)
    elif deadline is not None:
        done = rng.random() < 0.2
        latest = limit
    else:
        done = w.now_ts - created > 14 * DAY and rng.random() < 0.7
        latest = limit
    closed = None
    if done:
        closed = w.office(rng.randrange(created + 600, max(created + 601, latest)), created + 600)
    if closed is not None and closed > limit:
        closed = None
    status = "5" if closed is not None else rng.choice(_OPEN)
    changed = closed or min(limit, w.office(created + rng.randrange(0, 5 * DAY), created))
    overdue = closed is None and deadline is not None and deadline < w.now_ts
    crm: list[str] = []
    if user.clients and rng.random() < 0.7:
        client = rng.choice(user.clients)
        title = rng.choice(_TITLES).format(client.title)
        crm = [("CO_" if client.kind == "COMPANY" else "C_") + client.sid]
    else:
        title = rng.choice(_PLAIN)
    creator = user if rng.random() < 0.5 else head
    w.data.tables[TASKS].append(
        {
            "id": str(tid),
            "title": title,
            "description": "",
            "status": status,
            "subStatus": "-1" if overdue else status,
            "priority": "2" if rng.random() < 0.2 else "1",
            "responsibleId": user.sid,
            "createdBy": creator.sid,
            "createdDate": w.iso(created),
            "changedDate": w.iso(changed),
            "closedDate": w.iso(closed) if closed is not None else None,
            "deadline": w.iso(deadline) if deadline is not None else None,
            "groupId": "0",
            "ufCrmTask": crm,
            "responsible": _person(user),
            "creator": _person(creator),
            "group": [],
            "accomplicesData": [],
            "auditorsData": [],
        }
    )
    if overdue and user.fired is None:
        w.case("overdue_tasks", tid)
