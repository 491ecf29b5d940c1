"""The list methods, each in its own dialect (§2, §5 of the reference).

- CRM legacy lists (deal, lead, company, contact, activity, status): ``filter``/``order``/
  ``select``/``start``, parameter names in any case, ``start`` turned into a page number.
- ``user.get``: ``FILTER`` (or filter fields at the top level, the old way), ``sort``/``order``
  strings, ``ADMIN_MODE`` ignored; fired users are listed unless ``ACTIVE`` is asked for.
- ``department.get``: filters as top-level parameters, ``sort``/``order`` strings, ``START``.
- ``voximplant.statistic.get``: ``FILTER`` with its short operator list, ``SORT``/``ORDER``
  honoured only as a known field and exactly ``"ASC"``/``"DESC"``; ``start`` an offset.
- ``tasks.task.list``: upper-case names in ``filter``/``order``/``select``, camelCase rows in
  ``{"tasks": [...]}``; default order ID descending.
- ``crm.category.list``: ``entityTypeId``, camelCase everything, ``{"categories": [...]}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from emulator.data import (
    ACTIVITIES,
    CALLS,
    COMPANIES,
    CONTACTS,
    DEAL_CATEGORIES,
    DEALS,
    DEPARTMENTS,
    ID_KEY,
    LEADS,
    STATUSES,
    TASKS,
    USERS,
)
from emulator.filters import (
    CALL_OPERATORS,
    Condition,
    Row,
    compile_filter,
    default_projection,
    parse_order,
    selector,
    split_key,
    to_datetime,
)
from emulator.srv_core import ApiError, CallContext, Handler, MethodResult
from emulator.srv_paging import Page, query, start_of

# Fields whose LIKE operators the CRM turns into plain equality (dictionary and link fields).
NO_LIKE = frozenset(
    ["STAGE_ID", "STATUS_ID", "TYPE_ID", "SOURCE_ID", "CURRENCY_ID", "COMPANY_ID", "CONTACT_ID"]
)
_LIKE_TO_PLAIN = {"%": "", "=%": "", "%=": "", "?": "", "!%": "!", "!=%": "!", "!%=": "!"}
DEPARTMENT_FILTERS = frozenset(["ID", "NAME", "SORT", "PARENT", "UF_HEAD"])


def param(params: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """A top-level parameter by name in any case (the portal upper-cases them)."""
    if name in params:
        return params[name]
    wanted = name.upper()
    for key, value in params.items():
        if str(key).upper() == wanted:
            return value
    return default


def as_mapping(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    return {}


def listed(page: Page, result: Any = None) -> MethodResult:
    return MethodResult(
        result=page.rows if result is None else result,
        total=page.total,
        next=page.next,
        rows=len(page.rows),
        counted=page.counted,
    )


def _plain_like(raw: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        prefix, name = split_key(key)
        plain = name.upper() in NO_LIKE and prefix in _LIKE_TO_PLAIN
        out[_LIKE_TO_PLAIN[prefix] + name if plain else key] = value
    return out


def _bindings(raw: Any) -> Callable[[Row], bool] | None:
    """``BINDINGS`` of crm.activity.list: any of the {OWNER_TYPE_ID, OWNER_ID} pairs."""
    items = list(raw.values()) if isinstance(raw, Mapping) else raw
    if not isinstance(items, list):
        return None
    pairs = [
        (str(item.get("OWNER_TYPE_ID", "")), str(item.get("OWNER_ID", "")))
        for item in items
        if isinstance(item, Mapping)
    ]
    if not pairs:
        return None

    def bound(row: Row) -> bool:
        kind, owner = str(row.get("OWNER_TYPE_ID")), str(row.get("OWNER_ID"))
        return any((not k or k == kind) and (not o or o == owner) for k, o in pairs)

    return bound


def crm_list(table: str, *, default_order: tuple[tuple[str, bool], ...] = ()) -> Handler:
    def handler(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
        portal = ctx.portal
        known = portal.fields(table)
        raw = as_mapping(param(params, "filter"))
        extra = _bindings(raw.pop("BINDINGS", None)) if table == ACTIVITIES else None
        conditions = compile_filter(_plain_like(raw), known, portal.zone)
        order = parse_order(param(params, "order"), known) or list(default_order)
        project = selector(param(params, "select"), ID_KEY[table]) or default_projection
        page = query(
            portal, table, conditions, order, start_of(params), extra=extra, project=project
        )
        return listed(page)

    return handler


def _string_order(params: Mapping[str, Any], known: frozenset[str]) -> list[tuple[str, bool]]:
    """``sort``/``order`` as two strings (user.get, department.get)."""
    sort, direction = param(params, "sort"), param(params, "order")
    if not isinstance(sort, str) or sort.upper() not in known:
        return []
    return [(sort.upper(), isinstance(direction, str) and direction.upper() == "DESC")]


def user_get(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    portal = ctx.portal
    known = portal.fields(USERS)
    raw = param(params, "FILTER")
    if not isinstance(raw, Mapping):
        # The old form: filter fields next to sort/order/start.
        raw = {k: v for k, v in params.items() if split_key(str(k))[1].upper() in known}
    conditions = compile_filter(raw, known, portal.zone)
    project = selector(param(params, "select"), "ID")
    page = query(
        portal,
        USERS,
        conditions,
        _string_order(params, known),
        start_of(params),
        project=project,
    )
    return listed(page)


def department_get(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    portal = ctx.portal
    known = portal.fields(DEPARTMENTS) | DEPARTMENT_FILTERS
    # Exact upper-case names filter; "SORT" holding a field name is the old spelling of "sort".
    raw = {
        k: v
        for k, v in params.items()
        if k in DEPARTMENT_FILTERS and not (k == "SORT" and str(v).upper() in known)
    }
    conditions = compile_filter(raw, known, portal.zone, operators=("",))
    page = query(portal, DEPARTMENTS, conditions, _string_order(params, known), start_of(params))
    return listed(page)


def _recent_only(conditions: list[Condition], ctx: CallContext) -> Callable[[Row], bool] | None:
    """The calls quirk: a long ``CALL_START_DATE`` range yields only its newest days."""
    days = ctx.settings.calls_recent_days
    if days is None:
        return None
    lows = [
        c.operands[0].instant
        for c in conditions
        if c.field == "CALL_START_DATE" and c.kind in ("gt", "ge")
    ]
    highs = [
        c.operands[0].instant
        for c in conditions
        if c.field == "CALL_START_DATE" and c.kind in ("lt", "le")
    ]
    low = max((m for m in lows if m is not None), default=None)
    if low is None:
        return None
    high = min((m for m in highs if m is not None), default=ctx.portal.now())
    if high - low <= timedelta(days=days):
        return None
    floor = high - timedelta(days=days)
    zone = ctx.portal.zone

    def recent(row: Row) -> bool:
        moment = to_datetime(row.get("CALL_START_DATE"), zone)
        return moment is not None and moment >= floor

    return recent


def statistic_get(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    portal = ctx.portal
    known = portal.fields(CALLS)
    raw = as_mapping(param(params, "FILTER"))
    conditions = compile_filter(raw, known, portal.zone, operators=CALL_OPERATORS)
    sort, direction = param(params, "SORT"), param(params, "ORDER")
    if isinstance(sort, str) and sort in known and direction in ("ASC", "DESC"):
        order = [(sort, direction == "DESC")]
    else:
        # Ignored SORT/ORDER: rows come as the start-date index yields them, newest first, so a
        # client that pages by ID without a valid order sees them out of order.
        order = [("CALL_START_DATE", True)]
    extra = _recent_only(conditions, ctx)
    page = query(portal, CALLS, conditions, order, start_of(params), aligned=False, extra=extra)
    return listed(page)


def _camel(name: str) -> str:
    """``RESPONSIBLE_ID`` -> ``responsibleId``; camelCase names pass unchanged."""
    if any(ch.islower() for ch in name):
        return name
    head, *rest = name.lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


def task_field(name: str) -> str:
    """A tasks.task.list filter/order name -> the reply key it tests."""
    upper = name.upper()
    if upper == "STATUS":
        return "subStatus"  # the meta status: -1 overdue, -2 not viewed ...
    if upper == "REAL_STATUS":
        return "status"
    return _camel(name)


_TASK_SELECT_EXTRA = {
    "status": ("subStatus",),
    "responsibleId": ("responsible",),
    "createdBy": ("creator",),
}


def _task_projection(raw: Any) -> Callable[[Row], Row] | None:
    names = list(raw.values()) if isinstance(raw, Mapping) else raw
    if not isinstance(names, list) or not names or "*" in names:
        return None
    wanted = {"id"}
    for name in names:
        key = "status" if str(name).upper() in ("STATUS", "REAL_STATUS") else _camel(str(name))
        wanted.add(key)
        wanted.update(_TASK_SELECT_EXTRA.get(key, ()))

    def project(row: Row) -> Row:
        return {key: value for key, value in row.items() if key in wanted}

    return project


def task_list(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    portal = ctx.portal
    known = portal.fields(TASKS)
    raw = as_mapping(param(params, "filter"))
    conditions = compile_filter(raw, known, portal.zone, rename=task_field)
    order = parse_order(param(params, "order"), known, rename=task_field) or [("id", True)]
    project = _task_projection(param(params, "select"))
    page = query(
        portal, TASKS, conditions, order, start_of(params), aligned=False, project=project
    )
    return listed(page, {"tasks": page.rows})


def category_list(ctx: CallContext, params: dict[str, Any]) -> MethodResult:
    entity = param(params, "entityTypeId")
    if entity in (None, ""):
        raise ApiError(400, "", "Parameter 'entityTypeId' is required")
    if str(entity) != "2":
        return MethodResult({"categories": []}, total=0)
    portal = ctx.portal
    known = portal.fields(DEAL_CATEGORIES)
    conditions = compile_filter(param(params, "filter"), known, portal.zone, rename=str)
    order = parse_order(param(params, "order"), known, rename=str)
    page = query(portal, DEAL_CATEGORIES, conditions, order, start_of(params), aligned=False)
    rows = page.rows
    if not order:  # display order: by sort, the default pipeline last
        rows = sorted(rows, key=lambda r: (r.get("isDefault") == "Y", r.get("sort", 0)))
    return listed(page, {"categories": rows})


LIST_METHODS: dict[str, tuple[str, Handler]] = {
    "user.get": ("user", user_get),
    "department.get": ("department", department_get),
    "crm.company.list": ("crm", crm_list(COMPANIES)),
    "crm.contact.list": ("crm", crm_list(CONTACTS)),
    "crm.deal.list": ("crm", crm_list(DEALS)),
    "crm.lead.list": ("crm", crm_list(LEADS)),
    "crm.activity.list": ("crm", crm_list(ACTIVITIES, default_order=(("START_TIME", False),))),
    "crm.status.list": ("crm", crm_list(STATUSES)),
    "crm.category.list": ("crm", category_list),
    "voximplant.statistic.get": ("telephony", statistic_get),
    "tasks.task.list": ("task", task_list),
}
