"""``event.bind``, ``event.get``, ``event.unbind`` and ``event.offline.*`` over the queue.

As the portal's ``Bitrix\\Rest\\Api\\Event``: every one works only for an application (an
OAuth token; the webhook gets 403 ``WRONG_AUTH_TYPE``), parameter names in any case, the
``auth_connector`` of the request chooses the connector.

- ``event.bind {event, handler?, event_type: online|offline, auth_type?, options?}``: ``true``;
  an unknown event: ``ERROR_EVENT_NOT_FOUND``; the same binding twice: ``ERROR_CORE``
  ("Handler already binded").
- ``event.get``: ``[{"event", "handler", "auth_type", "offline": 0}`` or
  ``{"event", "connector_id", "offline": 1}]`` in binding order.
- ``event.unbind {event, handler?, event_type?, auth_type?}``: ``{"count"}``.
- ``event.offline.get {filter?, order?, limit (50), clear (1), process_id?, error (0)}``:
  ``{"process_id", "events": [{"ID", "TIMESTAMP_X", "EVENT_NAME", "EVENT_DATA",
  "EVENT_ADDITIONAL", "MESSAGE_ID"}]}``; ``process_id`` is null when the rows were cleared at
  once (clear=1 without a process id), else the reservation to confirm.
- ``event.offline.clear {process_id, message_id?: [...], id?: [...]}``: ``true``.
- ``event.offline.error {process_id, message_id: [...]}``: ``true``.
- ``event.offline.list {filter?, order?, start?}``: rows with ``PROCESS_ID`` and ``ERROR``.
"""

from __future__ import annotations

from typing import Any

from emulator.phpquery import php_intval
from emulator.srv_core import ApiError, CallContext, Handler, MethodResult, MethodSpec
from emulator.srv_event_data import EVENT_NAMES
from emulator.srv_offline import (
    FILTER_FIELDS,
    LIST_FIELDS,
    OFFLINE_NOTICE,
    OfflineQueue,
    argument_error,
    row_filter,
    row_order,
    select,
)

LIST_LIMIT = 50
KNOWN_EVENTS = frozenset([*EVENT_NAMES, OFFLINE_NOTICE, "ONAPPINSTALL", "ONAPPUNINSTALL"])


def _app_only(ctx: CallContext) -> None:
    if not ctx.caller.app:
        raise ApiError(
            403, "WRONG_AUTH_TYPE", "Current authorization type is denied for this method"
        )


def _upper(params: dict[str, Any]) -> dict[str, Any]:
    return {str(k).upper(): v for k, v in params.items()}


def _null(name: str) -> ApiError:
    return argument_error(f"Argument '{name}' is null or empty")


def _event_type(query: dict[str, Any]) -> str:
    kind = str(query.get("EVENT_TYPE") or "").lower() or "online"
    if kind not in ("online", "offline"):
        raise argument_error("Value must be one of {online|offline}")
    return kind


def _ids(raw: Any, name: str) -> list[Any]:
    if isinstance(raw, dict):
        raw = list(raw.values())
    if not isinstance(raw, list):
        raise argument_error(f"Value must be array of {name} values")
    return raw


class EventMethods:
    def __init__(self, queue: OfflineQueue) -> None:
        self.queue = queue

    def bind(self, ctx: CallContext, params: dict[str, Any]) -> MethodResult:
        _app_only(ctx)
        query = _upper(params)
        event = str(query.get("EVENT") or "").upper()
        if not event:
            raise _null("EVENT")
        kind = _event_type(query)
        handler = str(query.get("HANDLER") or "")
        user = php_intval(query.get("AUTH_TYPE") or 0)
        if kind == "offline":
            handler, user = "", 0
        elif not handler:
            raise _null("HANDLER")
        if event not in KNOWN_EVENTS:
            raise ApiError(400, "ERROR_EVENT_NOT_FOUND", "Event not found")
        if kind == "offline" and event == OFFLINE_NOTICE:
            raise argument_error("Offline event cannot be registered for this event.")
        options = query.get("OPTIONS")
        self.queue.bind(
            event,
            handler,
            ctx.caller.connector,
            user,
            options if isinstance(options, dict) else {},
        )
        return MethodResult(True)

    def get(self, ctx: CallContext, params: dict[str, Any]) -> MethodResult:
        _app_only(ctx)
        result: list[dict[str, Any]] = []
        for b in self.queue.bindings:
            if b.offline:
                result.append({"event": b.event, "connector_id": b.connector, "offline": 1})
            else:
                result.append(
                    {
                        "event": b.event,
                        "handler": b.handler,
                        "auth_type": str(b.user),
                        "offline": 0,
                    }
                )
        return MethodResult(result)

    def unbind(self, ctx: CallContext, params: dict[str, Any]) -> MethodResult:
        _app_only(ctx)
        query = _upper(params)
        event = str(query.get("EVENT") or "").upper()
        if not event:
            raise _null("EVENT")
        handler = str(query.get("HANDLER") or "")
        if _event_type(query) == "offline":
            count = self.queue.unbind(event, "", ctx.caller.connector, None)
        elif not handler:
            raise _null("HANDLER")
        else:
            user = None if query.get("AUTH_TYPE") is None else php_intval(query["AUTH_TYPE"])
            count = self.queue.unbind(event, handler, None, user)
        return MethodResult({"count": count})

    def offline_get(self, ctx: CallContext, params: dict[str, Any]) -> MethodResult:
        _app_only(ctx)
        query = {str(k).lower(): v for k, v in params.items()}
        clear = php_intval(query.get("clear", 1)) != 0
        raw_process = query.get("process_id")
        process_id = None if raw_process is None else str(raw_process).strip()
        limit = php_intval(query["limit"]) if "limit" in query else LIST_LIMIT
        if limit <= 0:
            raise argument_error("Value must be positive integer")
        error = php_intval(query.get("error", 0)) == 1
        conditions = row_filter(query.get("filter"), FILTER_FIELDS)
        order = row_order(query.get("order"), FILTER_FIELDS, "TIMESTAMP_X")
        connector = ctx.caller.connector
        show_process = not clear or process_id is not None
        if process_id is None:
            process_id = self.queue.reserve(
                connector, error=error, limit=limit, conditions=conditions, order=order
            )
        rows = self.queue.reserved(
            process_id, connector, error=error, limit=limit, conditions=conditions, order=order
        )
        events = [row.reply(ctx.portal) for row in rows]
        if clear and rows:
            self.queue.clear(process_id, connector)
        return MethodResult(
            {"process_id": process_id if show_process else None, "events": events}, rows=len(rows)
        )

    def offline_clear(self, ctx: CallContext, params: dict[str, Any]) -> MethodResult:
        _app_only(ctx)
        query = {str(k).lower(): v for k, v in params.items()}
        if query.get("process_id") is None:
            raise _null("PROCESS_ID")
        process_id = str(query["process_id"]).strip()
        connector = ctx.caller.connector
        if "message_id" in query:
            wanted = [str(m).strip() for m in _ids(query["message_id"], "MESSAGE_ID")]
            if any(len(m) != 32 for m in wanted):
                raise argument_error("Value must be array of MESSAGE_ID values")
            self.queue.clear(process_id, connector, message_ids=wanted)
        elif "id" in query:
            numbers = [php_intval(i) for i in _ids(query["id"], "integer")]
            if any(n <= 0 for n in numbers):
                raise argument_error("Value must be array of integers")
            self.queue.clear(process_id, connector, ids=numbers)
        else:
            self.queue.clear(process_id, connector)
        return MethodResult(True)

    def offline_error(self, ctx: CallContext, params: dict[str, Any]) -> MethodResult:
        _app_only(ctx)
        query = {str(k).lower(): v for k, v in params.items()}
        if query.get("process_id") is None:
            raise _null("PROCESS_ID")
        wanted = [str(m).strip() for m in _ids(query.get("message_id"), "MESSAGE_ID")]
        if wanted:
            self.queue.mark_error(str(query["process_id"]).strip(), ctx.caller.connector, wanted)
        return MethodResult(True)

    def offline_list(self, ctx: CallContext, params: dict[str, Any]) -> MethodResult:
        _app_only(ctx)
        query = {str(k).lower(): v for k, v in params.items()}
        conditions = row_filter(query.get("filter"), LIST_FIELDS)
        order = row_order(query.get("order"), LIST_FIELDS, "ID")
        connector = ctx.caller.connector
        rows = select((r for r in self.queue.rows if r.connector == connector), conditions, order)
        start = max(0, php_intval(query.get("start", 0)))
        page = rows[start : start + LIST_LIMIT]
        after = start + len(page)
        return MethodResult(
            [r.reply(ctx.portal, full=True) for r in page],
            total=len(rows),
            next=after if after < len(rows) else None,
            rows=len(page),
        )


def event_methods(queue: OfflineQueue) -> dict[str, MethodSpec]:
    """The event methods of one server, over its offline queue."""
    m = EventMethods(queue)
    handlers: dict[str, Handler] = {
        "event.bind": m.bind,
        "event.get": m.get,
        "event.unbind": m.unbind,
        "event.offline.get": m.offline_get,
        "event.offline.clear": m.offline_clear,
        "event.offline.error": m.offline_error,
        "event.offline.list": m.offline_list,
    }
    return {name: MethodSpec(None, handler) for name, handler in handlers.items()}
