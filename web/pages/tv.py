"""``/tv/<token>``: the wall screen, and ``/tv/<token>/events``: its live updates (SSE).

The page is whole on first paint (no script needed to see it); the script then listens to
the event stream and swaps the three parts (board, side panel, wins) in place. The stream
sends the current parts on every connect, so a screen that lost the server (a restart, a
network blip) is current again as soon as the browser's EventSource reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web
from sqlmodel import Session

from locales import _, language
from web.pages import formats, texts
from web.pages.access import Opened, open_link
from web.pages.context import PagesContext
from web.pages.live import StoreWatch
from web.pages.render import html_response, not_found, part, render
from web.pages.tv_data import TvFigures, tv_figures
from web.server import CLOSING

HEARTBEAT_SECONDS = 15.0
RETRY_MS = 2000
CLOSE_CHECK_SECONDS = 0.5
PARTS = ("board", "side", "wins")


@dataclass(frozen=True)
class Freshness:
    as_of: str
    stale: str  # the banner's text; empty when fresh


def freshness(figures: TvFigures, ctx: PagesContext, now: datetime) -> Freshness:
    if figures.as_of is None:
        return Freshness(_(texts.NO_DATA), _(texts.NO_DATA))
    local = figures.as_of.astimezone(ctx.settings.tz)
    as_of = _(texts.AS_OF).format(moment=formats.moment(local))
    age = now - figures.as_of
    if age <= ctx.fresh * 2:
        return Freshness(as_of, "")
    return Freshness(as_of, _(texts.STALE).format(age=_age_text(age)))


def _age_text(age: timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 120:
        return _(texts.AGE_MINUTES).format(n=minutes)
    hours = minutes // 60
    if hours < 48:
        return _(texts.AGE_HOURS).format(n=hours)
    return _(texts.AGE_DAYS).format(n=hours // 24)


def _open(ctx: PagesContext, token: str) -> Opened | None:
    with Session(ctx.engine) as session:
        return open_link(session, ctx.settings, token, "tv", now=ctx.clock())


def _figures(ctx: PagesContext, opened: Opened) -> TvFigures:
    now = ctx.clock()
    # the figures hold their texts: one entry per language (tests switch the default)
    key = (opened.link_scope, now.astimezone(ctx.settings.tz).date(), language())

    def compute() -> TvFigures:
        with Session(ctx.engine) as session:
            return tv_figures(session, ctx.settings, opened.scope, now=now)

    return ctx.cache.get(("tv", key), compute)


def parts_of(figures: TvFigures) -> dict[str, str]:
    return {name: part("_tv_parts.html", name, figures) for name in PARTS}


def _message(figures: TvFigures, fresh: Freshness) -> bytes:
    data = json.dumps(
        {"parts": parts_of(figures), "as_of": fresh.as_of, "stale": fresh.stale},
        ensure_ascii=False,
    )
    return f"event: state\ndata: {data}\n\n".encode()


def _closing(request: web.Request) -> bool:
    """The listener is stopping: let go now, or the stop waits for this stream."""
    closing = request.app.get(CLOSING)
    return closing is not None and closing.is_set()


async def _next(watch: StoreWatch, version: int, request: web.Request) -> int:
    """The next store version, or the same after a heartbeat's time; stops early on close."""
    waited = 0.0
    while waited < HEARTBEAT_SECONDS and not _closing(request):
        new = await watch.wait(version, CLOSE_CHECK_SECONDS)
        if new != version:
            return new
        waited += CLOSE_CHECK_SECONDS
    return version


def tv_routes(ctx: PagesContext) -> list[web.RouteDef]:
    async def page(request: web.Request) -> web.Response:
        opened = await asyncio.to_thread(_open, ctx, request.match_info["token"])
        if opened is None:
            return not_found()
        figures = await asyncio.to_thread(_figures, ctx, opened)
        fresh = freshness(figures, ctx, ctx.clock())
        return html_response(render("tv.html", f=figures, fresh=fresh, parts=parts_of(figures)))

    async def events(request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        opened = await asyncio.to_thread(_open, ctx, token)
        if opened is None:
            return not_found()
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",  # a proxy in front must not hold the stream back
            }
        )
        await response.prepare(request)
        await response.write(f"retry: {RETRY_MS}\n\n".encode())
        last: bytes | None = None
        with ctx.watch.listening() as watch, contextlib.suppress(ConnectionResetError):
            # ConnectionResetError (aiohttp's own is one): the screen went away
            await watch.primed()
            version = watch.version
            while True:
                # A link revoked (or expired) while a screen shows it stops being served.
                if await asyncio.to_thread(_open, ctx, token) is None:
                    break
                figures = await asyncio.to_thread(_figures, ctx, opened)
                message = _message(figures, freshness(figures, ctx, ctx.clock()))
                await response.write(message if message != last else b": ping\n\n")
                last = message
                version = await _next(watch, version, request)
                if _closing(request):
                    break
        return response

    return [web.get("/tv/{token}", page), web.get("/tv/{token}/events", events)]
