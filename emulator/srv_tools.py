"""``/_emulator/*``: what a benchmark or an out-of-process test asks the emulator directly.

- ``GET /_emulator/stats``: requests, per method (batch commands included), per status, 503s,
  injected faults; ``POST /_emulator/stats/reset`` zeroes the counters.
- ``GET /_emulator/chat``: calls, messages, notifications, files and bots the chat side holds;
  ``POST /_emulator/chat/message`` ``{"text", "user_id", "dialog_id"?, "bot"?}`` simulates a user
  writing to a bot.
- ``POST /_emulator/faults`` ``{"kind", "method"?, "times"?}`` adds a fault;
  ``DELETE /_emulator/faults`` clears them.
- ``GET /_emulator/files/{id}``: a stored file's bytes (the download URL of uploads).
- ``POST /_emulator/limits/reset``: a fresh bucket and operating meter (``server``).

Records (``srv_records``; each change fires the portal's events, see below):

- ``POST /_emulator/records/{table}`` with a JSON row adds it (the next id unless the row has
  one) and answers ``{"id"}``; ``PATCH /_emulator/records/{table}/{id}`` with JSON fields
  changes them (the modified stamp moves to now) and answers ``{"id", "row"}``;
  ``DELETE /_emulator/records/{table}/{id}`` answers ``{"id", "deleted": true}``. Tables:
  users, departments, companies, contacts, activities, calls, deals, leads, statuses,
  deal_categories, tasks. Unknown table or id: 404; an id already taken: 409.
- ``POST /_emulator/calls`` ``{"phone", "user_id" (null: nobody took it), "kind": "missed" |
  "incoming" | "outgoing", "duration"?}`` adds a call that ends now on the portal clock, with
  a fresh ``CALL_ID``; when the number is on a contact, company or lead card, the call's CRM
  activity is added first and the row carries its ``CRM_ACTIVITY_ID``. Answers the
  statistic row (``live_calls.add_call`` does the same in process).

The outbound webhook (``srv_events``):

- ``GET /_emulator/events``: ``{"active", "to", "delay", "pending", "deliveries": [{"event",
  "table", "record_id", "status" (HTTP status or exception name), "delay", "planned",
  "changed_at", "sent_at"}]}``; wait for ``pending`` 0 to know every event so far was delivered.
- ``POST /_emulator/events`` ``{"to": URL, "token": T, "delay"?: [MIN, MAX]}`` switches it on
  for later changes; ``DELETE /_emulator/events`` switches it off. Deliveries to the
  application's own ``event.bind`` handlers are listed here too.

The application (``srv_oauth``, ``srv_offline``):

- ``POST /_emulator/oauth/expire`` ends every access token now (the next call gets 401
  ``expired_token``); ``POST /_emulator/oauth/revoke`` kills every refresh token (the next
  refresh gets ``invalid_grant``); ``GET /_emulator/oauth`` counts codes and tokens.
- ``GET /_emulator/offline``: ``{"bindings": [{"id", "event", "handler", "offline",
  "connector"}], "rows": [{"ID", "TIMESTAMP_X", "EVENT_NAME", "EVENT_DATA",
  "EVENT_ADDITIONAL", "MESSAGE_ID", "PROCESS_ID", "ERROR", "CONNECTOR_ID"}]}``.
- The record and call hooks take ``?auth_connector=X``: the change counts as the
  application's own under connector X (its offline queue for X does not get it).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from aiohttp import web

from emulator.portal import Portal
from emulator.srv_faults import FaultKind, FaultPlan


def _json(body: Any, status: int = 200) -> web.Response:
    text = json.dumps(body, ensure_ascii=False, default=str)
    return web.Response(status=status, text=text, content_type="application/json")


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def stats_body(portal: Portal, faults: FaultPlan) -> dict[str, Any]:
    stats = portal.stats
    return {
        "requests": stats.requests,
        "per_method": dict(stats.per_method),
        "per_status": {str(k): v for k, v in stats.per_status.items()},
        "http_503": stats.http_503,
        "faults_injected": dict(faults.injected),
        "faults_pending": faults.pending,
    }


def tool_routes(portal: Portal, faults: FaultPlan) -> list[web.RouteDef]:
    chat = portal.chat

    async def stats(request: web.Request) -> web.Response:
        return _json(stats_body(portal, faults))

    async def reset(request: web.Request) -> web.Response:
        portal.stats.reset()
        faults.injected.clear()
        return _json(stats_body(portal, faults))

    async def chat_state(request: web.Request) -> web.Response:
        files = [
            {k: v for k, v in asdict(f).items() if k != "content"} | {"size": f.size}
            for f in chat.files
        ]
        return _json(
            {
                "calls": chat.calls,
                "messages": [asdict(m) for m in chat.messages()],
                "notifications": [asdict(n) for n in chat.notifications()],
                "files": files,
                "bots": [asdict(b) for b in chat.bots.values()],
                "deliveries": chat.deliveries,
            }
        )

    async def user_message(request: web.Request) -> web.Response:
        body = await _body(request)
        if not body.get("text") or not str(body.get("user_id", "")).isdigit():
            return _json({"error": "text and user_id are required"}, 400)
        raw = body.get("bot")
        bot = raw if isinstance(raw, int) else int(str(raw)) if str(raw).isdigit() else raw
        try:
            events = chat.user_message(
                str(body["text"]),
                user_id=int(body["user_id"]),
                dialog_id=body.get("dialog_id"),
                bot=None if bot is None else bot if isinstance(bot, int) else str(bot),
            )
        except KeyError as exc:
            return _json({"error": str(exc)}, 404)
        return _json({"events": [asdict(e) for e in events]})

    async def add_fault(request: web.Request) -> web.Response:
        body = await _body(request)
        try:
            faults.add(
                FaultKind(str(body.get("kind"))),
                str(body.get("method") or "*"),
                int(str(body.get("times") or 1)),
            )
        except ValueError as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"pending": faults.pending})

    async def clear_faults(request: web.Request) -> web.Response:
        faults.clear()
        return _json({"pending": 0})

    async def download(request: web.Request) -> web.Response:
        info = request.match_info["id"]
        stored = chat.file(int(info)) if info.isdigit() else None
        if stored is None:
            return _json({"error": "no such file"}, 404)
        return web.Response(body=stored.content, content_type="application/octet-stream")

    return [
        web.get("/_emulator/stats", stats),
        web.post("/_emulator/stats/reset", reset),
        web.get("/_emulator/chat", chat_state),
        web.post("/_emulator/chat/message", user_message),
        web.post("/_emulator/faults", add_fault),
        web.delete("/_emulator/faults", clear_faults),
        web.get("/_emulator/files/{id}", download),
    ]
