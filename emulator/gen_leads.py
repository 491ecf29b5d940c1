"""Leads (crm.lead.list) over the history, and the new clients converted leads become."""

from __future__ import annotations

from emulator.data import LEADS
from emulator.gen_clients import add_company, add_contact_client
from emulator.gen_dicts import LEAD_STATUSES
from emulator.gen_names import phone_display, phone_formats
from emulator.gen_time import DAY, HOUR, month_start
from emulator.gen_world import Lead, User, World

_SEMANTIC = {status: kind for status, _, kind in LEAD_STATUSES}
_SOURCES = ("CALL", "WEB", "EMAIL", "ADVERTISING", "PARTNER", "RECOMMENDATION")
_SOURCE_WEIGHTS = (25, 30, 10, 15, 8, 12)
_TITLES = {
    "CALL": "Входящий звонок",
    "WEB": "Заявка с сайта",
    "EMAIL": "Письмо на info@",
    "ADVERTISING": "Заявка по рекламе",
    "PARTNER": "Запрос от партнёра",
    "RECOMMENDATION": "Обращение по рекомендации",
}
_OUTCOMES = ("CONVERTED", "JUNK", "1", "NO_BUDGET", "OPEN")
_OUTCOME_WEIGHTS = (32, 14, 10, 8, 36)


def _lead_owners(w: World) -> list[tuple[User, float]]:
    out = []
    for user in w.users:
        if user.role == "manager":
            out.append((user, 1.0))
        elif user.role == "head" and user.dept != 2:
            out.append((user, 0.3))
        elif user.role == "marketer":
            out.append((user, 0.5))  # web leads parked on marketing: outside the sales scope
    return out


def build_leads(w: World) -> None:
    rng, clock = w.rng, w.clock
    plan: list[tuple[int, User]] = []
    owners = _lead_owners(w)
    month = w.start
    while month <= w.today:
        first = clock.at(month, 0)
        last = min(clock.at(month_start(month, 1), 0), w.now_ts)
        for user, share in owners:
            count = int(w.profile.leads_per_month * share * rng.uniform(0.5, 1.5) + rng.random())
            for _ in range(count):
                created = rng.randrange(first, last)
                if user.active_at(created):
                    plan.append((created, user))
        month = month_start(month, 1)
    plan.sort(key=lambda item: item[0])
    for created, user in plan:
        _decide(w, created, user)
    _every_open_status(w)
    converted = sorted((ld for ld in w.leads if ld.status == "CONVERTED"), key=_closed_at)
    for lead in converted:
        if lead.returning is None:
            closed = _closed_at(lead)
            if rng.random() < 0.6:
                lead.client = add_company(w, lead.owner, closed + 300, key=False)
            else:
                lead.client = add_contact_client(w, lead.owner, closed + 300)
            lead.client.pattern = "L"  # its purchases come from the lead's deal
        else:
            lead.client = lead.returning
    for lead in w.leads:
        _write(w, lead)


def _every_open_status(w: World) -> None:
    """A small portal still shows each in-progress status at least once."""
    open_leads = [ld for ld in w.leads if ld.closed is None]
    for status in ("NEW", "IN_PROCESS", "PROCESSED"):
        if not any(ld.status == status for ld in open_leads):
            counts = {s: sum(ld.status == s for ld in open_leads) for s in ("NEW", "IN_PROCESS")}
            donor = max(counts, key=lambda s: counts[s])
            next(ld for ld in open_leads if ld.status == donor).status = status


def _closed_at(lead: Lead) -> int:
    return lead.closed if lead.closed is not None else 0


def _decide(w: World, created: int, user: User) -> None:
    rng = w.rng
    lid = w.next_id(LEADS)
    source = rng.choices(_SOURCES, weights=_SOURCE_WEIGHTS)[0]
    outcome = rng.choices(_OUTCOMES, weights=_OUTCOME_WEIGHTS)[0]
    if user.role == "marketer" and outcome == "CONVERTED":
        outcome = "JUNK"
    age = w.now_ts - created
    if outcome == "OPEN" and age > 60 * DAY and rng.random() < 0.85:
        outcome = rng.choice(("JUNK", "1", "NO_BUDGET", "CONVERTED"))
    closed: int | None = None
    status = outcome
    if outcome != "OPEN":
        closed = w.office(created + max(3600, int(rng.expovariate(1 / (5 * DAY)))), created + 600)
        if user.fired is not None and closed >= user.fired:
            closed = max(created + 600, user.fired - rng.randrange(3600, 5 * DAY))
        if closed > w.now_ts - HOUR:
            closed, status = None, "OPEN"
    if status == "OPEN":
        fresh = age < 3 * DAY or rng.random() < 0.15
        status = "NEW" if fresh else rng.choice(("IN_PROCESS", "IN_PROCESS", "PROCESSED"))
    returning = None
    candidates = [c for c in user.clients if c.pattern in ("Z", "N") and c.created < created]
    if candidates and rng.random() < 0.2:
        returning = rng.choice(candidates)
    person = w.namer.person()
    title = f"{_TITLES[source]}: {person.first} {person.last}"
    phone = returning.phones[0] if returning else phone_formats(w.namer.phone())
    lead = Lead(lid, str(lid), user, created, closed, status, source, phone, person.first,
                person.last, title, returning)  # fmt: skip
    w.leads.append(lead)
    user.leads.append(lead)


def _write(w: World, lead: Lead) -> None:
    rng = w.rng
    client = lead.client or lead.returning
    company_id = client.sid if client is not None and client.kind == "COMPANY" else None
    contact_id = None
    if client is not None:
        contact_id = (
            client.sid
            if client.kind == "CONTACT"
            else (str(client.contacts[0]) if client.contacts else None)
        )
    modified = lead.closed if lead.closed is not None else lead.created
    if lead.closed is None and rng.random() < 0.7:
        modified = min(w.now_ts, lead.created + rng.randrange(600, 3 * DAY))
    amount = 0 if rng.random() < 0.5 else rng.randrange(20, 900) * 1000
    w.data.tables[LEADS].append(
        {
            "ID": lead.sid,
            "TITLE": lead.title,
            "NAME": lead.person_first,
            "LAST_NAME": lead.person_last,
            "COMPANY_TITLE": client.title if client is not None else "",
            "STATUS_ID": lead.status,
            "STATUS_SEMANTIC_ID": _SEMANTIC[lead.status],
            "STATUS_DESCRIPTION": None,
            "SOURCE_ID": lead.source,
            "SOURCE_DESCRIPTION": None,
            "IS_RETURN_CUSTOMER": "Y" if lead.returning is not None else "N",
            "OPPORTUNITY": f"{amount}.00",
            "CURRENCY_ID": "RUB",
            "ASSIGNED_BY_ID": lead.owner.sid,
            "CREATED_BY_ID": lead.owner.sid,
            "MODIFY_BY_ID": lead.owner.sid,
            "DATE_CREATE": w.iso(lead.created),
            "DATE_MODIFY": w.iso(modified),
            # Bitrix24 leaves an unset date as an empty string, not null.
            "DATE_CLOSED": w.iso(lead.closed) if lead.closed is not None else "",
            "COMPANY_ID": company_id,
            "CONTACT_ID": contact_id,
            "OPENED": "Y",
            "HAS_PHONE": "Y",
            "HAS_EMAIL": "N",
            "PHONE": [
                {
                    "ID": str(w.next_id("fm")),
                    "VALUE_TYPE": "WORK",
                    "VALUE": phone_display(lead.phone[3]),
                    "TYPE_ID": "PHONE",
                }
            ],
        }
    )
