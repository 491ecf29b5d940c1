"""A hostile way to the portal: a proxy on 127.0.0.1 in front of the emulator that spoils the
replies of the requests naming a method (in the URL, or as a command inside a ``batch``).

The emulator's fault plan knows rate limits, 500s, dropped connections and the operating
limit; what a broken proxy, a half-deployed portal or a buggy REST method sends back is
made here instead, without touching the emulator:

- ``html``: HTTP 200 with an HTML page (a captive portal, a proxy's error page);
- ``truncated``: the real JSON cut in half;

(these two spoil the whole reply, so every command of a ``batch`` with the method fails), and
for the method's own commands inside a ``batch`` (or the whole reply of a direct call):

- ``error200``: HTTP 200 with an error in its place (``{"error", "error_description"}``);
- ``wrong_types``: a string where the list of rows should be;
- ``repeat``: the first page it answered, again: a page that repeats the last ids.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, web

_AFTER_ID = re.compile(r"&?filter%5B%3EID%5D=\d+", re.IGNORECASE)
MODES = ("html", "truncated", "error200", "wrong_types", "repeat")


@dataclass
class Spoil:
    mode: str
    method: str
    times: int


class HostileProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.plan: list[Spoil] = []
        self.spoiled: Counter[str] = Counter()
        self._first: dict[str, str] = {}
        self._http: ClientSession | None = None

    def spoil(self, mode: str, method: str, times: int = 1_000) -> None:
        assert mode in MODES, mode
        self.plan.append(Spoil(mode, method, times))

    def clear(self) -> None:
        self.plan.clear()

    def _take(self, said: bytes) -> Spoil | None:
        for spoil in self.plan:
            if spoil.method.encode() in said:
                spoil.times -= 1
                if spoil.times <= 0:
                    self.plan.remove(spoil)
                self.spoiled[spoil.mode] += 1
                return spoil
        return None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        assert self._http is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() == "content-type"}
        async with self._http.request(
            request.method, self.upstream + request.path_qs, data=body, headers=headers
        ) as reply:
            data, status = await reply.read(), reply.status
            kind = reply.headers.get("Content-Type", "application/json")
        spoil = self._take(request.path_qs.encode() + body)
        if spoil is None:
            return web.Response(body=data, status=status, headers={"Content-Type": kind})
        if spoil.mode == "html":
            page = b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>"
            return web.Response(body=page, status=200, content_type="text/html")
        if spoil.mode == "truncated":
            return web.Response(body=data[: len(data) // 2], status=200, content_type="text/plain")
        reply_body = json.loads(data)
        if request.path.endswith("/batch"):
            commands = json.loads(body).get("cmd", {})
            inner = reply_body["result"]
            for key, command in commands.items():
                if str(command).startswith(spoil.method + "?"):
                    self._command(spoil, inner, key, str(command))
        else:
            reply_body = self._whole(spoil, reply_body)
        return web.json_response(reply_body)

    def _command(self, spoil: Spoil, inner: dict[str, Any], key: str, command: str) -> None:
        results = inner.setdefault("result", {})
        if spoil.mode == "error200":
            results.pop(key, None)
            errors = inner.setdefault("result_error", {})
            if isinstance(errors, list):
                errors = inner["result_error"] = {}
            errors[key] = {"error": "INTERNAL_ERROR", "error_description": "Something went wrong"}
        elif spoil.mode == "wrong_types":
            results[key] = "not a list"
        elif spoil.mode == "repeat" and key in results:
            # the same listing (same select and filter) from its first page on, every time
            listing = _AFTER_ID.sub("", command)
            first = self._first.setdefault(listing, json.dumps(results[key]))
            results[key] = json.loads(first)

    def _whole(self, spoil: Spoil, reply: dict[str, Any]) -> dict[str, Any]:
        if spoil.mode == "error200":
            return {"error": "INTERNAL_ERROR", "error_description": "Something went wrong"}
        if spoil.mode == "wrong_types":
            return {**reply, "result": "not a list"}
        first = self._first.setdefault(spoil.method, json.dumps(reply))
        return dict(json.loads(first))

    async def start(self) -> None:
        self._http = ClientSession()

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()


@asynccontextmanager
async def hostile_proxy(base_url: str) -> AsyncIterator[tuple[HostileProxy, str]]:
    """A proxy to ``base_url`` on 127.0.0.1; yields it and its base URL."""
    proxy = HostileProxy(base_url)
    await proxy.start()
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", proxy.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    try:
        yield proxy, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
        await proxy.close()
