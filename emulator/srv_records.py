"""Test hooks that change the portal's records over HTTP, and the outbound webhook's state.

For tests that run ``crm-pulse`` in a subprocess and the emulator elsewhere: every change made
here goes through ``Portal.add`` / ``update`` / ``delete``, so it fires the same events a change
on the portal would. The routes are listed in ``srv_tools``' docstring.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from aiohttp import web

from emulator.data import TABLES
from emulator.live_calls import KINDS, CallKind, add_call
from emulator.portal import WRITER, Portal
from emulator.srv_events import EventSender
from emulator.srv_offline import OfflineQueue


def _json(body: Any, status: int = 200) -> web.Response:
    text = json.dumps(body, ensure_ascii=False, default=str)
    return web.Response(status=status, text=text, content_type="application/json")


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message}, status)


async def _object(request: web.Request) -> dict[str, Any] | None:
    try:
        data = await request.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _target(request: web.Request) -> tuple[str, int | None] | web.Response:
    table = request.match_info["table"]
    if table not in TABLES:
        return _error(404, f"no table {table!r}; tables: {', '.join(TABLES)}")
    raw = request.match_info.get("id")
    if raw is None:
        return table, None
    if not raw.isdigit():
        return _error(400, f"the record id must be a number, not {raw!r}")
    return table, int(raw)


def _call_args(body: dict[str, Any] | None) -> tuple[str, int | None, CallKind, int | None]:
    """The hook's JSON as ``add_call`` arguments; ``ValueError`` says what is wrong."""
    if body is None:
        msg = 'the body must be a JSON object: {"phone", "user_id", "kind", "duration"?}'
        raise ValueError(msg)
    kind, user, duration = body.get("kind"), body.get("user_id"), body.get("duration")
    if kind not in KINDS:
        msg = f"kind must be one of {', '.join(KINDS)}"
        raise ValueError(msg)
    if user is not None and not str(user).isdigit():
        msg = "user_id must be a user's id, or null when nobody took the call"
        raise ValueError(msg)
    if duration is not None and not str(duration).isdigit():
        msg = "duration must be a whole number of seconds"
        raise ValueError(msg)
    return (
        str(body.get("phone") or ""),
        None if user is None else int(str(user)),
        cast(CallKind, kind),
        None if duration is None else int(str(duration)),
    )


@contextmanager
def _writer(request: web.Request) -> Iterator[None]:
    """``?auth_connector=X``: the change is the application's own, made under connector X."""
    connector = request.rel_url.query.get("auth_connector")
    token = WRITER.set(connector)
    try:
        yield
    finally:
        WRITER.reset(token)


def record_routes(portal: Portal, sender: EventSender, queue: OfflineQueue) -> list[web.RouteDef]:
    async def add(request: web.Request) -> web.Response:
        target = _target(request)
        if isinstance(target, web.Response):
            return target
        row = await _object(request)
        if row is None:
            return _error(400, "the body must be a JSON object: the record's fields")
        try:
            with _writer(request):
                record_id = portal.add(target[0], row)
        except ValueError as exc:
            return _error(409, str(exc))
        return _json({"id": record_id})

    async def update(request: web.Request) -> web.Response:
        target = _target(request)
        if isinstance(target, web.Response):
            return target
        fields = await _object(request)
        if fields is None:
            return _error(400, "the body must be a JSON object: the fields to change")
        table, record_id = target
        assert record_id is not None
        try:
            with _writer(request):
                row = portal.update(table, record_id, **fields)
        except KeyError:
            return _error(404, f"{table} has no id {record_id}")
        return _json({"id": record_id, "row": row})

    async def delete(request: web.Request) -> web.Response:
        target = _target(request)
        if isinstance(target, web.Response):
            return target
        table, record_id = target
        assert record_id is not None
        try:
            with _writer(request):
                portal.delete(table, record_id)
        except KeyError:
            return _error(404, f"{table} has no id {record_id}")
        return _json({"id": record_id, "deleted": True})

    async def call(request: web.Request) -> web.Response:
        body = await _object(request)
        try:
            phone, user, kind, duration = _call_args(body)
            with _writer(request):
                row = add_call(portal, phone, user, kind, duration)
        except LookupError as exc:
            return _error(404, str(exc))
        except ValueError as exc:
            return _error(400, str(exc))
        return _json(row)

    async def offline(request: web.Request) -> web.Response:
        return _json(queue.state())

    async def events(request: web.Request) -> web.Response:
        return _json(sender.state())

    async def events_target(request: web.Request) -> web.Response:
        body = await _object(request)
        if body is None or not body.get("to") or not body.get("token"):
            return _error(400, 'the body must be {"to": URL, "token": T, "delay"?: [MIN, MAX]}')
        delay = body.get("delay")
        try:
            sender.target(str(body["to"]), str(body["token"]), None if delay is None else delay)
        except (TypeError, ValueError) as exc:
            return _error(400, str(exc))
        return _json(sender.state())

    async def events_off(request: web.Request) -> web.Response:
        sender.target(None, None)
        return _json(sender.state())

    return [
        web.post("/_emulator/records/{table}", add),
        web.patch("/_emulator/records/{table}/{id}", update),
        web.delete("/_emulator/records/{table}/{id}", delete),
        web.post("/_emulator/calls", call),
        web.get("/_emulator/offline", offline),
        web.get("/_emulator/events", events),
        web.post("/_emulator/events", events_target),
        web.delete("/_emulator/events", events_off),
    ]
