"""HTTP plumbing of the emulator: reading parameters the way PHP does, writing JSON replies."""

from __future__ import annotations

import base64
import json
from typing import Any

from aiohttp import web

from emulator.phpquery import parse_pairs, parse_str
from emulator.srv_core import ApiError

MAX_BODY = 64 * 1024 * 1024  # base64 chart uploads travel in JSON bodies


def encode(body: Any) -> bytes:
    # ensure_ascii=False: Cyrillic rows are half the size and encode faster. No ``default``
    # on the hot path (it costs a fifth of the time); rows only hold JSON types anyway.
    try:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    except TypeError:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)
    return text.encode()


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status, body=encode(body), content_type="application/json", headers=headers
    )


def rate_limited() -> ApiError:
    return ApiError(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")


class DroppedReply(web.Response):
    """Stands for no reply: the connection was aborted before it could be written."""


async def read_params(request: web.Request) -> dict[str, Any]:
    """Query string, then the body on top of it (form, multipart or JSON)."""
    params = parse_str(request.rel_url.raw_query_string)
    if not request.body_exists:
        return params
    if request.content_type == "application/json":
        try:
            data = json.loads(await request.read() or b"null")
        except ValueError:
            raise ApiError(400, "INVALID_REQUEST", "Invalid JSON in the request body") from None
        if isinstance(data, dict):
            params.update(data)
    elif request.content_type == "multipart/form-data":
        form = await request.post()
        pairs: list[tuple[str, Any]] = []
        for name, value in form.items():
            if isinstance(value, web.FileField):
                content = base64.b64encode(value.file.read()).decode()
                pairs.append((name, [value.filename, content]))
            else:
                pairs.append((name, value))
        params.update(parse_pairs(pairs))
    else:
        params.update(parse_str((await request.read()).decode("utf-8", "replace")))
    return params
