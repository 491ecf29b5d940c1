"""The company's structure: department.get and user.get rows."""

from __future__ import annotations

from emulator.data import DEPARTMENTS, USERS
from emulator.gen_time import DAY
from emulator.gen_world import Row, User, World

ROOT, SALES, MOSCOW, REGIONS, KEY_ACCOUNTS, ACCOUNTING, MARKETING = 1, 2, 3, 4, 5, 6, 7
# (id, name, parent); heads are filled in once the users exist.
_DEPARTMENTS = (
    (ROOT, "ООО «Северный ветер»", None),
    (SALES, "Отдел продаж", ROOT),
    (MOSCOW, "Отдел продаж Москва", SALES),
    (REGIONS, "Отдел продаж Регионы", SALES),
    (KEY_ACCOUNTS, "Группа ключевых клиентов", MOSCOW),
    (ACCOUNTING, "Бухгалтерия", ROOT),
    (MARKETING, "Маркетинг", ROOT),
)
SALES_DEPARTMENTS = (SALES, MOSCOW, REGIONS, KEY_ACCOUNTS)
_MANAGER_DEPTS = (MOSCOW, MOSCOW, REGIONS, REGIONS, KEY_ACCOUNTS)


def build_org(w: World) -> None:
    """Departments, then users: admin, heads, managers, former staff, other departments."""
    rng, p = w.rng, w.profile
    long_ago = w.start_ts - 400 * DAY
    heads: dict[int, User] = {}

    def add(role: str, dept: int, position: str, *, sales: bool, rate: float = 0.0) -> User:
        uid = w.next_id(USERS)
        hired = long_ago - rng.randrange(0, 900) * DAY + 10 * 3600
        user = User(uid, str(uid), "", role, dept, sales, hired, rate=rate, position=position)
        w.users.append(user)
        return user

    heads[ROOT] = add("admin", ROOT, "Генеральный директор", sales=False, rate=0.05)
    heads[SALES] = add("head", SALES, "Коммерческий директор", sales=True, rate=0.15)
    heads[MOSCOW] = add("head", MOSCOW, "Руководитель отдела продаж", sales=True, rate=0.4)
    heads[REGIONS] = add("head", REGIONS, "Руководитель отдела продаж", sales=True, rate=0.4)
    heads[KEY_ACCOUNTS] = add(
        "head", KEY_ACCOUNTS, "Руководитель группы ключевых клиентов", sales=True, rate=0.5
    )
    heads[ACCOUNTING] = add("accountant", ACCOUNTING, "Главный бухгалтер", sales=False, rate=0.1)
    for i in range(p.managers + p.fired):
        dept = _MANAGER_DEPTS[i % len(_MANAGER_DEPTS)]
        senior = rng.random() < 0.25
        position = "Старший менеджер по продажам" if senior else "Менеджер по продажам"
        if dept == KEY_ACCOUNTS:
            position = "Менеджер по работе с ключевыми клиентами"
        user = add("manager", dept, position, sales=True, rate=rng.uniform(0.6, 1.4))
        if i >= p.managers:
            # Former staff: left somewhere between three and eleven months ago.
            user.fired = w.now_ts - rng.randrange(90, 330) * DAY - rng.randrange(0, DAY)
    intern = add("intern", REGIONS, "Стажёр отдела продаж", sales=True, rate=0.5)
    intern.hired = w.now_ts - rng.randrange(45, 70) * DAY
    for _ in range(1 + p.managers // 20):
        add("accountant", ACCOUNTING, "Бухгалтер", sales=False, rate=0.2)
    for _ in range(1 + p.managers // 25):
        add("marketer", MARKETING, "Маркетолог", sales=False, rate=0.15)
    odd = add("other", 0, "Системный администратор", sales=False)
    w.cases["admin"] = [heads[ROOT].id]
    w.cases["heads"] = [heads[d].id for d in (SALES, MOSCOW, REGIONS, KEY_ACCOUNTS)]
    w.cases["fired_users"] = [u.id for u in w.users if u.fired is not None]
    w.cases["intern"] = [intern.id]
    w.cases["non_sales_users"] = [u.id for u in w.users if not u.sales]
    w.quirks["user_without_department"] = [odd.id]
    _write_departments(w, {d: u.id for d, u in heads.items()})
    _write_users(w)


def _write_departments(w: World, heads: dict[int, int]) -> None:
    rows = w.data.tables[DEPARTMENTS]
    for dept, name, parent in _DEPARTMENTS:
        row: Row = {"ID": str(dept), "NAME": name, "SORT": 500 if parent is None else dept * 100}
        if parent is not None:
            row["PARENT"] = str(parent)
        if dept in heads:  # Маркетинг has no head: UF_HEAD is then absent
            row["UF_HEAD"] = str(heads[dept])
        rows.append(row)


def _write_users(w: World) -> None:
    rng, namer = w.rng, w.namer
    rows = w.data.tables[USERS]
    extra_membership = next((u for u in w.users if u.dept == KEY_ACCOUNTS), None)
    for user in w.users:
        person = namer.person()
        user.name = person.full
        departments = [user.dept] if user.dept else []
        if user is extra_membership:
            departments.append(MOSCOW)  # one person sits in two departments
        last_seen = user.fired if user.fired is not None else w.now_ts
        rows.append(
            {
                "ID": user.sid,
                "ACTIVE": user.fired is None,
                "NAME": person.first,
                "LAST_NAME": person.last,
                "SECOND_NAME": person.middle,
                "EMAIL": namer.email(person, w.domain),
                "PERSONAL_GENDER": "F" if person.female else "M",
                "WORK_POSITION": user.position,
                "WORK_PHONE": "",
                "UF_PHONE_INNER": str(100 + user.id),
                "UF_DEPARTMENT": departments,
                "USER_TYPE": "employee",
                "IS_ONLINE": "N",
                "TIME_ZONE": "",
                "DATE_REGISTER": w.iso(user.hired),
                "LAST_LOGIN": w.iso(w.office(last_seen - rng.randrange(600, 3 * DAY))),
                "UF_EMPLOYMENT_DATE": w.iso(user.hired),
            }
        )
