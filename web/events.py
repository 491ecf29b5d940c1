"""Portal events over HTTP (the outbound webhook, or an app's online ``event.bind``).

The answer comes at once: 401 for a missing or wrong ``auth[application_token]`` (nothing
queued, the token never logged), 400 for a body that is no event, 200 for everything else,
unknown events included (a handler that fails or lags gets its events throttled by the
portal). The change itself is queued for the intake, which reads the record back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler

from crm.events import Change, EventError, decode, token_matches
from web.metrics import Metrics

log = logging.getLogger("web.events")

MAX_EVENT_BODY = 64 * 1024  # an event is a few hundred bytes; anything near this is not one


def events_handler(
    token: str,
    submit: Callable[[Change, float], None],
    metrics: Metrics,
    *,
    notice: Callable[[], None] | None = None,
) -> Handler:
    async def receive(request: web.Request) -> web.Response:
        received = time.monotonic()
        if request.content_length is not None and request.content_length > MAX_EVENT_BODY:
            metrics.events.labels("malformed").inc()
            return web.json_response({"error": "body too large"}, status=400)
        try:
            raw = await request.content.read(MAX_EVENT_BODY + 1)
            if len(raw) > MAX_EVENT_BODY:
                raise EventError("body too large")
            event = decode(raw)
        except (EventError, UnicodeDecodeError) as exc:
            metrics.events.labels("malformed").inc()
            log.warning("events: a malformed body from %s: %s", request.remote, exc)
            return web.json_response({"error": "not a portal event"}, status=400)
        if not token_matches(event.application_token, token):
            metrics.events.labels("unauthorized").inc()
            log.warning("events: %s from %s without the right token", event.name, request.remote)
            return web.json_response({"error": "unauthorized"}, status=401)
        if event.name == "ONOFFLINEEVENT" and notice is not None:
            metrics.events.labels("notice").inc()
            notice()
            return web.json_response({"ok": True})
        if event.change is None:
            metrics.events.labels("ignored").inc()
            log.debug("events: %s ignored", event.name)
            return web.json_response({"ok": True})
        metrics.events.labels("accepted").inc()
        submit(event.change, received)
        return web.json_response({"ok": True})

    return receive
