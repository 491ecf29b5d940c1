"""The channels report's caption body and its Excel sheet (registered beside the others),
and the calls report's top clients (figures of ``kpi.calls_clients``)."""

from __future__ import annotations

from decimal import Decimal

from kpi.calls import CallsReport
from kpi.calls_clients import TOP_CLIENTS
from kpi.channels import ChannelRow, ChannelsReport
from locales import _, ngettext
from reports.caption_common import Ctx, first, joined, name, nothing
from reports.markup import Block, b, block, line, link, listing, phrase
from reports.tables import Col, Table, table
from reports.text import change, count, duration, number, short, spaced


def _spend(value: Decimal | None) -> str:
    return "" if value is None else _("окупаемость {times}×").format(times=number(value))


def _row_text(row: ChannelRow, ctx: Ctx) -> str:
    money = ctx.fmt.money
    return joined(
        ngettext("лидов {n}", "лидов {n}", row.leads).format(n=count(row.leads)),
        ngettext("продаж {n} на {money}", "продаж {n} на {money}", row.deals_won).format(
            n=count(row.deals_won), money=money(row.revenue)
        ),
        ""
        if row.cost_per_lead is None
        else _("лид {money}").format(money=money(row.cost_per_lead)),
        ""
        if row.cost_per_won is None
        else _("продажа {money}").format(money=money(row.cost_per_won)),
        _spend(row.return_on_spend),
    )


def channels(report: ChannelsReport, ctx: Ctx) -> list[Block]:
    total, before = report.total, report.previous_total
    if not report.rows:
        return [nothing(_("Нет лидов и продаж за период"))]
    cost = (
        _("расходы не заданы")
        if total.cost is None
        else _("расходы {money}").format(money=ctx.fmt.money(total.cost))
    )
    blocks = [
        block(
            phrase(
                _("Лидов {n}{change}"),
                n=b(count(total.leads)),
                change=spaced(change(total.leads, before.leads)),
            ),
            phrase(
                ngettext(
                    "Продаж {n} на {money} · {cost}",
                    "Продаж {n} на {money} · {cost}",
                    total.deals_won,
                ),
                n=count(total.deals_won),
                money=b(ctx.fmt.money(total.revenue)),
                cost=cost,
            ),
        ),
        listing(
            [line(b(name(r.source)), f" — {_row_text(r, ctx)}") for r in first(report.rows, ctx)],
            len(report.rows),
        ),
    ]
    return blocks


def channels_tables(report: ChannelsReport) -> list[Table]:
    cols: list[Col] = [
        ("source", _("Источник"), "text"),
        ("source_id", _("Код"), "text"),
        ("leads", _("Лиды"), "int"),
        ("deals_won", _("Продажи"), "int"),
        ("revenue", _("Выручка"), "money"),
        ("cost", _("Расходы"), "money"),
        ("cost_per_lead", _("Цена лида"), "money"),
        ("cost_per_won", _("Цена продажи"), "money"),
        ("return_on_spend", _("Окупаемость"), "number"),
    ]
    return [table(_("Каналы"), cols, report.rows, report.total)]


def weekly_blocks(report: ChannelsReport, ctx: Ctx) -> list[Block]:
    """The weekly summary's channels line: leads, the best source, cost per lead if known."""
    total, before = report.total, report.previous_total
    if not total.leads and not total.deals_won:
        return []
    best = max(report.rows, key=lambda r: (r.deals_won, r.revenue, r.leads))
    sales = ngettext("{n}\u00a0продажа", "{n}\u00a0продаж", best.deals_won)
    parts = [
        _("Лидов {n}{change}").format(
            n=count(total.leads), change=spaced(change(total.leads, before.leads))
        ),
        _("лучший канал {source} ({sales})").format(
            source=name(best.source), sales=sales.format(n=count(best.deals_won))
        ),
        ""
        if total.cost_per_lead is None
        else _("лид {money}").format(money=ctx.fmt.money(total.cost_per_lead)),
    ]
    return [block(line("📣 ", joined(*parts)))]


def _calls(calls: int) -> str:
    return ngettext("{n}\u00a0звонок", "{n}\u00a0звонков", calls).format(n=count(calls))


def client_blocks(report: CallsReport, ctx: Ctx) -> list[Block]:
    """The calls report's top clients by talk time (the long text only: a caption is short)."""
    if not ctx.long or not report.clients:
        return []
    shown = report.clients[:TOP_CLIENTS]
    lines = [
        line(
            link(short(c.title), c.url) if c.url else short(c.title),
            f" — {duration(c.talk_seconds)}, {_calls(c.calls)}",
        )
        for c in shown
    ]
    return [
        block(line(_("Клиенты по времени разговоров:"))),
        listing(lines, len(report.clients)),
    ]
