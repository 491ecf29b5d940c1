"""Companies and contacts (crm.company.list, crm.contact.list) and the clients they form."""

from __future__ import annotations

from emulator.data import COMPANIES, CONTACTS
from emulator.gen_names import phone_display, phone_formats
from emulator.gen_time import DAY
from emulator.gen_world import Client, Row, User, World

INDUSTRIES = ("IT", "MANUFACTURING", "DELIVERY", "CONSULTING", "FINANCE", "TELECOM", "OTHER")
COMPANY_TYPES = ("CUSTOMER",) * 8 + ("PARTNER", "SUPPLIER")
POSTS = (
    "Директор", "Менеджер по закупкам", "Главный инженер", "Бухгалтер", "Офис-менеджер",
    "Руководитель отдела снабжения", "Коммерческий директор", "Юрист", "",
)  # fmt: skip
CONTACT_SOURCES = ("CALL", "WEB", "EMAIL", "RECOMMENDATION", "PARTNER", "OTHER")


def build_old_clients(w: World) -> None:
    """Clients the company already had before the history starts, owned by sales staff."""
    rng, p = w.rng, w.profile
    plan: list[tuple[int, User]] = []
    for user in w.users:
        if not user.sales or user.role == "intern":
            continue  # the intern is the employee with no clients at all
        if user.role == "head":
            count = rng.randrange(3, 9)
        else:
            count = max(3, round(p.clients * rng.uniform(0.7, 1.3)))
        latest = min(w.start_ts, user.fired or w.start_ts) - DAY
        for _ in range(count):
            created = max(user.hired, latest - rng.randrange(0, 3 * 365) * DAY)
            plan.append((created + rng.randrange(9 * 3600, 18 * 3600), user))
    plan.sort(key=lambda item: item[0])
    for created, user in plan:
        if rng.random() < 0.78:
            key_share = 0.45 if user.dept == 5 else 0.08
            add_company(w, user, created, key=rng.random() < key_share)
        else:
            add_contact_client(w, user, created)


def _modified(w: World, created: int) -> int:
    """Most cards were touched lately; a few not since they were made."""
    if w.rng.random() < 0.1:
        return created
    return w.office(max(created, w.now_ts - int(w.rng.expovariate(1 / (60 * DAY)))), created)


def _multi(w: World, type_id: str, values: list[str], value_type: str) -> list[Row]:
    out = []
    for value in values:
        fm_id = w.next_id("fm")
        out.append(
            {"ID": str(fm_id), "VALUE_TYPE": value_type, "VALUE": value, "TYPE_ID": type_id}
        )
    return out


def _contact_row(
    w: World, owner: User, created: int, company_id: str | None, numbers: list[str]
) -> tuple[Row, str]:
    rng, namer = w.rng, w.namer
    person = namer.person()
    cid = w.next_id(CONTACTS)
    sid = str(cid)
    email = f"{namer.translit(person.first)[0]}.{namer.translit(person.last)}{cid}@mail.ru"
    row: Row = {
        "ID": sid,
        "NAME": person.first,
        "SECOND_NAME": person.middle,
        "LAST_NAME": person.last,
        "POST": rng.choice(POSTS),
        "TYPE_ID": "CLIENT",
        "SOURCE_ID": rng.choice(CONTACT_SOURCES),
        "COMPANY_ID": company_id,
        "ASSIGNED_BY_ID": owner.sid,
        "CREATED_BY_ID": owner.sid,
        "MODIFY_BY_ID": owner.sid,
        "DATE_CREATE": w.iso(created),
        "DATE_MODIFY": w.iso(_modified(w, created)),
        "OPENED": "Y",
        "EXPORT": "Y",
        "HAS_PHONE": "Y" if numbers else "N",
        "HAS_EMAIL": "Y",
        "PHONE": _multi(w, "PHONE", [phone_display(n) for n in numbers], "MOBILE"),
        "EMAIL": _multi(w, "EMAIL", [email], "WORK"),
    }
    w.data.tables[CONTACTS].append(row)
    return row, sid


def add_company(w: World, owner: User, created: int, *, key: bool) -> Client:
    rng, namer = w.rng, w.namer
    cid = w.next_id(COMPANIES)
    title = namer.company_title()
    office = namer.phone()
    row: Row = {
        "ID": str(cid),
        "TITLE": title,
        "COMPANY_TYPE": rng.choice(COMPANY_TYPES),
        "INDUSTRY": rng.choice(INDUSTRIES),
        "EMPLOYEES": rng.choice(("EMPLOYEES_1", "EMPLOYEES_2", "EMPLOYEES_3", "EMPLOYEES_4")),
        "REVENUE": "0.00",
        "CURRENCY_ID": "RUB",
        "IS_MY_COMPANY": "N",
        "OPENED": "Y",
        "ASSIGNED_BY_ID": owner.sid,
        "CREATED_BY_ID": owner.sid,
        "MODIFY_BY_ID": owner.sid,
        "DATE_CREATE": w.iso(created),
        "DATE_MODIFY": w.iso(_modified(w, created)),
        "HAS_PHONE": "Y",
        "HAS_EMAIL": "Y",
        "HAS_IMOL": "N",
        "PHONE": _multi(w, "PHONE", [phone_display(office)], "WORK"),
        "EMAIL": _multi(w, "EMAIL", [f"info@{namer.domain(title)}"], "WORK"),
    }
    # The key-client flag is a user field; rows made before it existed simply lack it.
    if key:
        row[w.data.key_client_field] = w.data.key_client_value
    elif rng.random() < 0.8:
        row[w.data.key_client_field] = "0"
    w.data.tables[COMPANIES].append(row)
    client = Client("COMPANY", cid, str(cid), owner, title, created, [phone_formats(office)])
    client.key = key
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        mobile = namer.phone()
        _, contact_sid = _contact_row(w, owner, created + 600, client.sid, [mobile])
        client.contacts.append(int(contact_sid))
        client.phones.append(phone_formats(mobile))
    _register(w, client)
    return client


def add_contact_client(w: World, owner: User, created: int) -> Client:
    """A private person or a sole trader kept as a contact with no company."""
    numbers = [w.namer.phone() for _ in range(w.rng.choice((1, 1, 2)))]
    row, sid = _contact_row(w, owner, created, None, numbers)
    title = f"{row['NAME']} {row['LAST_NAME']}"
    client = Client("CONTACT", int(sid), sid, owner, title, created, [])
    client.phones = [phone_formats(n) for n in numbers]
    _register(w, client)
    return client


def _register(w: World, client: Client) -> None:
    rng = w.rng
    if client.key:
        client.weight = 3.0
    elif rng.random() < 0.3:
        client.weight = 0.04  # dormant: hardly anyone calls them
    else:
        client.weight = rng.uniform(0.5, 1.5)
    w.clients.append(client)
    client.owner.clients.append(client)
