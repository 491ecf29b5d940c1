"""Raw Bitrix24 rows to our column dicts: one function per entity.

Each function takes one row exactly as the portal sent it and returns a dict with exactly
the columns of its ``store.models`` table (so upserts see one shape), or None when the row
is unusable (no readable id). Bad fields are logged by ``Fields`` and kept as None or the
column's default. Bitrix24 field names stop here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm.sync.fields import Fields, MapContext

Row = dict[str, Any]

_SEMANTICS = {"S": "success", "F": "failure"}
_EXTRA_SEMANTICS = frozenset({"process", "success", "failure", "apology"})
_STAGE_SEMANTICS = frozenset({"P", "S", "F"})
_PLAIN_KINDS = {"STATUS": "lead_status", "SOURCE": "source", "DEAL_TYPE": "deal_type"}


def _start(entity: str, raw: Mapping[str, Any], ctx: MapContext, id_key: str = "ID") -> Fields:
    return Fields(entity, raw, ctx, id_key=id_key)


def _id(f: Fields, key: str = "ID") -> int | None:
    record_id = f.integer(key, required=True)
    if record_id is not None and record_id <= 0:
        f.warn(key, "is not an id", record_id)
        return None
    return record_id


def normalize_phone(raw: str | None) -> str:
    """Digits only, a leading 8 read as 7, a 10-digit number prefixed with 7 (DESIGN.md).

    A 10-digit number is a national number without its country code, so it is prefixed
    before the trunk rule can misread a leading 8 (toll-free 800...) as the country code.
    """
    digits = "".join(ch for ch in raw or "" if "0" <= ch <= "9")
    if len(digits) == 10:
        return "7" + digits
    if digits.startswith("8"):
        return "7" + digits[1:]
    return digits


def department(raw: Mapping[str, Any], ctx: MapContext) -> Row | None:
    f = _start("department", raw, ctx)
    if (record_id := _id(f)) is None:
        return None
    return {
        "id": record_id,
        "name": f.text("NAME", required=True),
        "parent_id": f.ref("PARENT"),
        "head_id": f.ref("UF_HEAD"),
        "sort": f.integer("SORT") or 0,
    }


def user(raw: Mapping[str, Any], ctx: MapContext) -> tuple[Row, list[Row]] | None:
    """The user row and its ``UserDepartment`` links."""
    f = _start("user", raw, ctx)
    if (record_id := _id(f)) is None:
        return None
    departments: list[int] = []
    value = raw.get("UF_DEPARTMENT")
    items = value if isinstance(value, list) else [] if value in (None, "", False) else [value]
    for item in items:
        try:
            number = int(item) if not isinstance(item, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None or number <= 0:
            f.warn("UF_DEPARTMENT", "holds a bad department id", item)
        elif number not in departments:
            departments.append(number)
    row = {
        "id": record_id,
        "first_name": f.text("NAME"),
        "last_name": f.text("LAST_NAME"),
        "email": f.opt_text("EMAIL"),
        "position": f.text("WORK_POSITION"),
        "active": f.flag("ACTIVE", default=True),
        "department_ids": departments,
    }
    links = [{"user_id": record_id, "department_id": dep} for dep in departments]
    return row, links


def company(raw: Mapping[str, Any], ctx: MapContext) -> Row | None:
    f = _start("company", raw, ctx)
    if (record_id := _id(f)) is None:
        return None
    # Sorted so the stored JSON is byte-identical on every read and upserts see no change.
    custom = {key: raw[key] for key in sorted(raw) if key.startswith("UF_")}
    return {
        "id": record_id,
        "title": f.text("TITLE"),
        "company_type": f.opt_text("COMPANY_TYPE"),
        "responsible_id": f.user("ASSIGNED_BY_ID"),
        "created_at": f.moment("DATE_CREATE"),
        "modified_at": f.moment("DATE_MODIFY", required=True),
        "custom_fields": custom,
    }


def contact(raw: Mapping[str, Any], ctx: MapContext) -> Row | None:
    f = _start("contact", raw, ctx)
    if (record_id := _id(f)) is None:
        return None
    return {
        "id": record_id,
        "first_name": f.text("NAME"),
        "last_name": f.text("LAST_NAME"),
        "company_id": f.ref("COMPANY_ID"),
        "responsible_id": f.user("ASSIGNED_BY_ID"),
        "created_at": f.moment("DATE_CREATE"),
        "modified_at": f.moment("DATE_MODIFY", required=True),
    }


def activity(raw: Mapping[str, Any], ctx: MapContext) -> Row | None:
    f = _start("activity", raw, ctx)
    if (record_id := _id(f)) is None:
        return None
    origin = f.opt_text("ORIGIN_ID")
    return {
        "id": record_id,
        "type_id": f.integer("TYPE_ID", required=True) or 0,
        "provider_id": f.opt_text("PROVIDER_ID"),
        "provider_type_id": f.opt_text("PROVIDER_TYPE_ID"),
        "direction": f.integer("DIRECTION") or 0,
        "completed": f.flag("COMPLETED"),
        "responsible_id": f.user("RESPONSIBLE_ID"),
        "owner_type": f.integer("OWNER_TYPE_ID"),
        "owner_id": f.ref("OWNER_ID"),
        "subject": f.text("SUBJECT"),
        "start_at": f.moment("START_TIME", required=True),
        "end_at": f.moment("END_TIME"),
        "created_at": f.moment("CREATED"),
        "modified_at": f.moment("LAST_UPDATED", required=True),
        # ORIGIN_ID is "VI_" + CALL_ID for telephony activities (§5.2); others carry no call.
        "call_id": origin[3:] or None if origin and origin.startswith("VI_") else None,
    }


def call(raw: Mapping[str, Any], ctx: MapContext) -> Row | None:
    f = _start("call", raw, ctx)
    if (record_id := _id(f)) is None:
        return None
    phone_raw = f.text("PHONE_NUMBER")
    duration = f.integer("CALL_DURATION")
    if duration is not None and duration < 0:
        f.warn("CALL_DURATION", "is negative", duration)
        duration = None
    return {
        "id": record_id,
        "call_id": f.text("CALL_ID"),
        "user_id": f.user("PORTAL_USER_ID"),
        "line": f.text("PORTAL_NUMBER"),
        "phone_raw": phone_raw,
        "phone": normalize_phone(phone_raw),
        "call_type": f.integer("CALL_TYPE", required=True) or 0,
        "duration": duration or 0,
        "start_at": f.moment("CALL_START_DATE", required=True),
        "failed_code": f.text("CALL_FAILED_CODE"),
        "failed_reason": f.text("CALL_FAILED_REASON"),
        "crm_entity_type": f.opt_text("CRM_ENTITY_TYPE"),
        "crm_entity_id": f.ref("CRM_ENTITY_ID"),
        "crm_activity_id": f.ref("CRM_ACTIVITY_ID"),
        "cost": f.money("COST"),
    }


def _semantics(f: Fields, key: str) -> str:
    value = f.opt_text(key, required=True)
    if value is not None and value.upper() in _STAGE_SEMANTICS:
        return value.upper()
    if value is not None:
        f.warn(key, "is not P/S/F", value)
    # The portal always sends it; a row without it reads as in progress, not as won or lost.
    return "P"


def deal(raw: Mapping[str, Any], ctx: MapContext) -> Row | None:
    f = _start("deal", raw, ctx)
    if (record_id := _id(f)) is None:
        return None
    # The account-currency amount is what revenue sums (DESIGN.md "Revenue").
    if f.raw.get("OPPORTUNITY_ACCOUNT") not in (None, ""):
        amount = f.money("OPPORTUNITY_ACCOUNT")
        currency = f.opt_text("ACCOUNT_CURRENCY_ID") or f.opt_text("CURRENCY_ID")
    else:
        amount = f.money("OPPORTUNITY")
        currency = f.opt_text("CURRENCY_ID")
    stage = f.text("STAGE_ID", required=True)
    probability = f.integer("PROBABILITY")
    return {
        "id": record_id,
        "title": f.text("TITLE"),
        "type_id": f.opt_text("TYPE_ID"),
        "pipeline_id": f.integer("CATEGORY_ID") or 0,
        "stage_id": stage,
        "stage_semantics": _semantics(f, "STAGE_SEMANTIC_ID"),
        "amount": amount,
        "currency": currency,
        "probability": probability,
        "company_id": f.ref("COMPANY_ID"),
        "contact_id": f.ref("CONTACT_ID"),
        "lead_id": f.ref("LEAD_ID"),
        "responsible_id": f.user("ASSIGNED_BY_ID"),
        "source_id": f.opt_text("SOURCE_ID"),
        "begin_date": f.day("BEGINDATE"),
        "close_date": f.day("CLOSEDATE"),
        "closed": f.flag("CLOSED"),
        "created_at": f.moment("DATE_CREATE"),
        "modified_at": f.moment("DATE_MODIFY", required=True),
    }


def lead(raw: Mapping[str, Any], ctx: MapContext) -> Row | None:
    f = _start("lead", raw, ctx)
    if (record_id := _id(f)) is None:
        return None
    status = f.text("STATUS_ID", required=True)
    return {
        "id": record_id,
        "title": f.text("TITLE"),
        "status_id": status,
        "status_semantics": _semantics(f, "STATUS_SEMANTIC_ID"),
        "source_id": f.opt_text("SOURCE_ID"),
        "is_return_customer": f.flag("IS_RETURN_CUSTOMER"),
        "responsible_id": f.user("ASSIGNED_BY_ID"),
        "company_id": f.ref("COMPANY_ID"),
        "contact_id": f.ref("CONTACT_ID"),
        "amount": f.money("OPPORTUNITY"),
        "currency": f.opt_text("CURRENCY_ID"),
        "created_at": f.moment("DATE_CREATE"),
        "modified_at": f.moment("DATE_MODIFY", required=True),
        "closed_at": f.moment("DATE_CLOSED"),
    }


def dictionary_kind(entity_id: Any) -> tuple[str, int] | None:
    """Our (kind, pipeline id) for a ``crm.status.list`` ENTITY_ID; None for ones we skip."""
    if not isinstance(entity_id, str):
        return None
    if entity_id in _PLAIN_KINDS:
        return _PLAIN_KINDS[entity_id], 0
    if entity_id == "DEAL_STAGE":
        return "deal_stage", 0
    suffix = entity_id.removeprefix("DEAL_STAGE_")
    if suffix != entity_id and suffix.isdigit():
        return "deal_stage", int(suffix)
    return None


def dictionary_entry(raw: Mapping[str, Any], ctx: MapContext) -> Row | None:
    """A ``crm.status.list`` row; None also for dictionaries we do not keep (check first)."""
    f = _start("status", raw, ctx)
    kind = dictionary_kind(raw.get("ENTITY_ID"))
    code = f.text("STATUS_ID", required=True)
    if kind is None or not code:
        return None
    extra = raw.get("EXTRA")
    semantics = extra.get("SEMANTICS") if isinstance(extra, dict) else None
    if semantics not in _EXTRA_SEMANTICS:
        semantics = _SEMANTICS.get(str(raw.get("SEMANTICS") or "").upper(), "process")
    return {
        "kind": kind[0],
        "code": code,
        "pipeline_id": kind[1],
        "name": f.text("NAME"),
        "sort": f.integer("SORT") or 0,
        "semantics": semantics,
    }


def pipeline(raw: Mapping[str, Any], ctx: MapContext) -> Row | None:
    """A deal pipeline from ``crm.category.list`` (camelCase keys)."""
    f = _start("pipeline", raw, ctx, "id")
    record_id = f.integer("id", required=True)
    if record_id is None or record_id < 0:  # the default pipeline is 0
        return None
    return {"id": record_id, "name": f.text("name"), "sort": f.integer("sort") or 0}


def task(raw: Mapping[str, Any], ctx: MapContext) -> Row | None:
    """A task from ``tasks.task.list``: camelCase keys, string values (§5.11)."""
    f = _start("task", raw, ctx, "id")
    if (record_id := _id(f, "id")) is None:
        return None
    status = f.integer("status", required=True)
    return {
        "id": record_id,
        "title": f.text("title"),
        "responsible_id": f.user("responsibleId"),
        "status": status if status is not None else 2,
        "deadline": f.moment("deadline"),
        "created_at": f.moment("createdDate"),
        "modified_at": f.moment("changedDate", required=True),
        "closed_at": f.moment("closedDate"),
    }
