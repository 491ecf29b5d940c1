"""One crm.deal.list row from a planned deal, in the portal's wire format."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.data import DEALS
from emulator.gen_dicts import STAGES_0, STAGES_1, stage_semantic
from emulator.gen_time import DAY
from emulator.gen_world import World

if TYPE_CHECKING:
    from emulator.gen_deals import DealPlan

_STAGE = {stage: (kind, prob) for stage, _, kind, prob in STAGES_0 + STAGES_1}
# Account-currency rates in hundredths of a rouble, as the portal's currency settings keep them.
RATES = {"RUB": 100, "USD": 9025, "EUR": 9840}
_PRODUCTS = (
    "Поставка оборудования", "Годовая подписка", "Внедрение", "Сервисный контракт",
    "Поставка расходных материалов", "Монтаж и пусконаладка", "Консультационные услуги",
    "Партия товара",
)  # fmt: skip
_TYPES = ("SALE", "SALE", "COMPLEX", "GOODS", "SERVICES", "SERVICE")
_SOURCES = ("CALL", "WEB", "EMAIL", "PARTNER", "RECOMMENDATION", "TRADE_SHOW", "OTHER")


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def account_cents(cents: int, currency: str) -> int:
    """The amount in roubles, rounded half up to a kopeck."""
    return (cents * RATES[currency] + 50) // 100


def write_deal(w: World, did: int, plan: DealPlan) -> None:
    rng = w.rng
    sid = str(did)
    kind, probability = _STAGE[plan.stage]
    client = plan.client
    if plan.closed is not None:
        moved = plan.closed
        end = plan.closed
    else:
        moved = min(w.now_ts, plan.created + rng.randrange(0, 20 * DAY))
        end = w.clock.at(plan.close_date, 0) + DAY
    modified = min(w.now_ts, moved + rng.randrange(0, 2 * DAY))
    client.deals.append((plan.created, end, sid))
    if plan.monthly:
        title = f"Ежемесячная поставка {plan.close_date:%m.%Y} — {client.title}"
    else:
        title = f"{rng.choice(_PRODUCTS)} — {client.title}"
    if client.kind == "COMPANY":
        # A company deal names its first contact; a contact-only deal has company "0".
        company_id, contact_id = client.sid, (str(client.contacts[0]) if client.contacts else None)
    else:
        company_id, contact_id = "0", client.sid
    owner = plan.owner.sid
    w.data.tables[DEALS].append(
        {
            "ID": sid,
            "TITLE": title,
            "TYPE_ID": "GOODS" if plan.monthly else rng.choice(_TYPES),
            "CATEGORY_ID": str(plan.category),
            "STAGE_ID": plan.stage,
            "STAGE_SEMANTIC_ID": stage_semantic(kind),
            "IS_NEW": "Y" if plan.stage == "NEW" and w.now_ts - plan.created < 2 * DAY else "N",
            "IS_RECURRING": "N",
            "IS_RETURN_CUSTOMER": "Y" if plan.category == 1 else "N",
            "IS_REPEATED_APPROACH": "N",
            "PROBABILITY": str(probability) if rng.random() < 0.85 else None,
            "CURRENCY_ID": plan.currency,
            "OPPORTUNITY": money(plan.cents),
            "IS_MANUAL_OPPORTUNITY": "Y",
            "TAX_VALUE": "0.00",
            "OPPORTUNITY_ACCOUNT": money(account_cents(plan.cents, plan.currency)),
            "ACCOUNT_CURRENCY_ID": "RUB",
            "COMPANY_ID": company_id,
            "CONTACT_ID": contact_id,
            "LEAD_ID": plan.lead_sid,
            "QUOTE_ID": None,
            "BEGINDATE": w.clock.date_iso(w.clock.local_day(plan.created)),
            "CLOSEDATE": w.clock.date_iso(plan.close_date),
            "OPENED": "Y",
            "CLOSED": "Y" if plan.closed is not None else "N",
            "ASSIGNED_BY_ID": owner,
            "CREATED_BY_ID": owner,
            "MODIFY_BY_ID": owner,
            "MOVED_BY_ID": owner,
            "DATE_CREATE": w.iso(plan.created),
            "DATE_MODIFY": w.iso(modified),
            "MOVED_TIME": w.iso(moved),
            "SOURCE_ID": plan.source or rng.choice(_SOURCES),
            "SOURCE_DESCRIPTION": None,
            "COMMENTS": None,
            "ORIGINATOR_ID": None,
            "ORIGIN_ID": None,
        }
    )
