"""``/d/<token>/``: every report for the link's scope, with period and scope selectors.

The figures are ``reports.build``'s (the code path of ``crm-pulse report --json``), shown
as a table whose cells carry the JSON values; the chart is the chat's PNG; the workbook is
``/export``'s. A scope outside the link's answers 404 like a wrong token.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiMapping
from sqlmodel import Session

from kpi.periods import Period, PeriodError, parse_period
from locales import _
from reports.build import REPORT_NAMES, Report, build_report, report_json, report_xlsx
from reports.kpi_words import kpi_word, period_label
from reports.registry import SPECS
from web.pages import formats, texts
from web.pages.access import Choice, Opened, choices, open_link, pick
from web.pages.context import PagesContext
from web.pages.dash_table import table_of
from web.pages.render import SECURITY_HEADERS, html_response, not_found, render


@dataclass(frozen=True)
class Ask:
    opened: Opened
    report: str
    scope_key: str
    choices: tuple[Choice, ...]
    period_word: str  # the selector's value: a named period or "custom"
    first: str  # custom range, YYYY-MM-DD
    last: str
    period: Period | None
    problem: str  # why the period was not understood
    query: str  # report, period and scope as a query string, for the chart and downloads


def _ask(ctx: PagesContext, token: str, query: MultiMapping[str]) -> tuple[Ask, Any] | None:
    now = ctx.clock()
    with Session(ctx.engine) as session:
        opened = open_link(session, ctx.settings, token, "dashboard", now=now)
        if opened is None:
            return None
        report = query.get("report", "rating")
        if report not in REPORT_NAMES:
            return None
        picked = pick(session, ctx.settings, opened, query.get("scope"))
        if picked is None:
            return None
        scope_key, scope = picked
        word = query.get("period", "month")
        first, last = query.get("from", ""), query.get("to", "")
        text = f"{first}..{last}" if word == "custom" else word
        period, problem = None, ""
        try:
            period = parse_period(text, now=now, tz=ctx.settings.tz)
        except PeriodError as exc:
            problem = _(texts.BAD_PERIOD).format(reason=exc)
        params = {"report": report, "period": word, "scope": scope_key}
        if word == "custom":
            params |= {"from": first, "to": last}
        ask = Ask(
            opened,
            report,
            scope_key,
            tuple(choices(session, ctx.settings, opened)),
            word,
            first,
            last,
            period,
            problem,
            urlencode(params),
        )
        return ask, scope


def _build(ctx: PagesContext, ask: Ask, scope: Any, *, render_png: bool) -> Report:
    assert ask.period is not None
    with Session(ctx.engine) as session:
        return build_report(
            session,
            ctx.settings,
            ask.report,
            ask.period,
            scope,
            now=ctx.clock(),
            render=render_png,
        )


def plain_title(title: str) -> str:
    """A report's title without its leading emoji: a wall or office PC may have no emoji
    font, and a blank square helps nobody."""
    head, _, rest = title.partition(" ")
    return rest if rest and not any(c.isalnum() for c in head) else title


@dataclass(frozen=True)
class Heading:
    """The report's heading line and meta line, as text in the language in force."""

    scope: str
    period: str
    previous: str
    as_of: str  # empty when the store was never synced


def heading(report: Report) -> Heading:
    meta = report.meta
    as_of = meta.data_as_of
    return Heading(
        scope=kpi_word(meta.scope.name),
        period=period_label(meta.period),
        previous=period_label(meta.previous),
        as_of="" if as_of is None else formats.moment(as_of.astimezone(meta.period.tz), year=True),
    )


def _page(ctx: PagesContext, ask: Ask, report: Report | None) -> str:
    tabs = []
    for name in REPORT_NAMES:
        params = {"report": name, "period": ask.period_word, "scope": ask.scope_key}
        if ask.period_word == "custom":
            params |= {"from": ask.first, "to": ask.last}
        tabs.append((name, plain_title(SPECS[name].label), urlencode(params)))
    expires = ask.opened.expires_at
    return render(
        "dashboard.html",
        ask=ask,
        tabs=tabs,
        report=report,
        title=plain_title(report.title) if report is not None else "",
        table=table_of(report.data) if report is not None else None,
        head=heading(report) if report is not None else None,
        expires=None if expires is None else formats.full_day(expires.astimezone(ctx.settings.tz)),
        periods={word: _(label) for word, label in texts.PERIODS.items()},
    )


def dashboard_routes(ctx: PagesContext) -> list[web.RouteDef]:
    async def asked(request: web.Request) -> tuple[Ask, Any] | None:
        return await asyncio.to_thread(_ask, ctx, request.match_info["token"], request.query)

    async def page(request: web.Request) -> web.Response:
        found = await asked(request)
        if found is None:
            return not_found()
        ask, scope = found
        if ask.period is None:
            return html_response(await asyncio.to_thread(_page, ctx, ask, None), status=400)

        def work() -> str:
            return _page(ctx, ask, _build(ctx, ask, scope, render_png=False))

        return html_response(await asyncio.to_thread(work))

    async def download(request: web.Request) -> web.Response:
        found = await asked(request)
        if found is None or found[0].period is None:
            return not_found()
        ask, scope = found
        kind = request.match_info["kind"]
        report = await asyncio.to_thread(_build, ctx, ask, scope, render_png=kind == "png")
        headers = dict(SECURITY_HEADERS)
        if kind == "png":
            if report.png is None:
                return not_found()
            return web.Response(body=report.png, content_type="image/png", headers=headers)
        if kind == "json":
            return web.Response(
                text=report_json(report), content_type="application/json", headers=headers
            )
        data = await asyncio.to_thread(report_xlsx, report)
        headers["Content-Disposition"] = f'attachment; filename="{report.filename}.xlsx"'
        return web.Response(
            body=data,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers=headers,
        )

    async def bare(request: web.Request) -> web.Response:
        return await page(request)

    return [
        web.get("/d/{token}/", page),
        web.get("/d/{token}", bare),
        web.get(r"/d/{token}/report.{kind:png|json|xlsx}", download),
    ]
