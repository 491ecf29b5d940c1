"""Deliberately bad rows, as real portals have them, so the sync's tolerance gets tested.

Rows are altered in place (ids and order stay as they were) and listed in
``PortalData.quirks``; rows named in ``cases`` are left alone.
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.data import ACTIVITIES, CALLS, COMPANIES, DEALS, ID_KEY
from emulator.gen_world import Row, World


def _pick(w: World, table: str, fits: Callable[[Row], bool], taken: set[int]) -> Row:
    rows = w.data.tables[table]
    rng = w.rng
    for _ in range(200_000):
        row = rows[rng.randrange(len(rows))]
        if int(row[ID_KEY[table]]) not in taken and fits(row):
            return row
    msg = f"no row of {table} fits a quirk"
    raise RuntimeError(msg)


def apply_quirks(w: World) -> None:
    taken = {value for values in w.cases.values() for value in values}
    quirks = w.quirks

    def mark(name: str, row: Row, table: str) -> None:
        ident = int(row[ID_KEY[table]])
        quirks.setdefault(name, []).append(ident)
        taken.add(ident)

    row = _pick(w, DEALS, lambda r: r["STAGE_SEMANTIC_ID"] == "P", taken)
    row["OPPORTUNITY"] = row["OPPORTUNITY_ACCOUNT"] = ""
    mark("deal_empty_opportunity", row, DEALS)
    row = _pick(
        w,
        DEALS,
        lambda r: (
            r["STAGE_SEMANTIC_ID"] == "S"
            and r["CURRENCY_ID"] == "RUB"
            and not r["TITLE"].startswith("Ежемесячная")
        ),
        taken,
    )
    row["OPPORTUNITY"] = row["OPPORTUNITY_ACCOUNT"] = None
    mark("deal_null_opportunity", row, DEALS)
    row = _pick(w, DEALS, lambda r: r["COMPANY_ID"] not in ("0", None), taken)
    row["COMPANY_ID"] = str(int(w.data.tables[COMPANIES][-1]["ID"]) + 500)
    mark("deal_unknown_company", row, DEALS)

    ghost = str(max(u.id for u in w.users) + 1000)
    row = _pick(
        w,
        CALLS,
        lambda r: r["CALL_TYPE"] == "1" and r["CRM_ENTITY_TYPE"] is None and r["PORTAL_USER_ID"],
        taken,
    )
    row["PORTAL_USER_ID"] = ghost
    mark("call_unknown_user", row, CALLS)
    row = _pick(
        w,
        CALLS,
        lambda r: (
            r["CALL_TYPE"] == "2"
            and r["CALL_FAILED_CODE"] != "200"
            and r["CRM_ENTITY_TYPE"] is None
            and not r["PORTAL_USER_ID"]
        ),
        taken,
    )
    row["PHONE_NUMBER"] = ""  # a hidden caller id: matches no other call
    mark("call_empty_phone", row, CALLS)

    row = _pick(w, ACTIVITIES, lambda r: r["TYPE_ID"] == "4", taken)
    row["RESPONSIBLE_ID"] = row["AUTHOR_ID"] = "0"
    mark("activity_zero_responsible", row, ACTIVITIES)
    row = _pick(w, ACTIVITIES, lambda r: r["TYPE_ID"] == "4", taken)
    row["OWNER_TYPE_ID"] = "4"
    row["OWNER_ID"] = str(int(w.data.tables[COMPANIES][-1]["ID"]) + 700)
    mark("activity_unknown_owner", row, ACTIVITIES)

    row = _pick(w, COMPANIES, lambda r: True, taken)
    row["TITLE"] = ""
    mark("company_no_title", row, COMPANIES)
    row = _pick(w, COMPANIES, lambda r: True, taken)
    row["TITLE"] = None
    mark("company_no_title", row, COMPANIES)
