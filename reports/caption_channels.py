"""The channels report's caption body and its Excel sheet (registered beside the others),
and the calls report's top clients (figures of ``kpi.calls_clients``)."""

from __future__ import annotations

from decimal import Decimal

from charts.theme import duration_text
from kpi.calls import CallsReport
from kpi.calls_clients import TOP_CLIENTS
from kpi.channels import ChannelRow, ChannelsReport
from reports.caption_common import Ctx, first, joined, nothing
from reports.markup import Block, b, block, line, link, listing
from reports.tables import Col, Table, table
from reports.text import change, count, number, plural, short, spaced


def _spend(value: Decimal | None) -> str:
    return "" if value is None else f"окупаемость {number(value)}×"


def _row_text(row: ChannelRow, ctx: Ctx) -> str:
    return joined(
        f"лидов {count(row.leads)}",
        f"продаж {count(row.deals_won)} на {ctx.fmt.money(row.revenue)}",
        "" if row.cost_per_lead is None else f"лид {ctx.fmt.money(row.cost_per_lead)}",
        "" if row.cost_per_won is None else f"продажа {ctx.fmt.money(row.cost_per_won)}",
        _spend(row.return_on_spend),
    )


def channels(report: ChannelsReport, ctx: Ctx) -> list[Block]:
    total, before = report.total, report.previous_total
    if not report.rows:
        return [nothing("Нет лидов и продаж за период")]
    cost = "расходы не заданы" if total.cost is None else f"расходы {ctx.fmt.money(total.cost)}"
    blocks = [
        block(
            line("Лидов ", b(count(total.leads)), spaced(change(total.leads, before.leads))),
            line(
                f"Продаж {count(total.deals_won)} на ",
                b(ctx.fmt.money(total.revenue)),
                f" · {cost}",
            ),
        ),
        listing(
            [line(b(short(r.source)), f" — {_row_text(r, ctx)}") for r in first(report.rows, ctx)],
            len(report.rows),
        ),
    ]
    return blocks


def channels_tables(report: ChannelsReport) -> list[Table]:
    cols: list[Col] = [
        ("source", "Источник", "text"),
        ("source_id", "Код", "text"),
        ("leads", "Лиды", "int"),
        ("deals_won", "Продажи", "int"),
        ("revenue", "Выручка", "money"),
        ("cost", "Расходы", "money"),
        ("cost_per_lead", "Цена лида", "money"),
        ("cost_per_won", "Цена продажи", "money"),
        ("return_on_spend", "Окупаемость", "number"),
    ]
    return [table("Каналы", cols, report.rows, report.total)]


def weekly_blocks(report: ChannelsReport, ctx: Ctx) -> list[Block]:
    """The weekly summary's channels line: leads, the best source, cost per lead if known."""
    total, before = report.total, report.previous_total
    if not total.leads and not total.deals_won:
        return []
    best = max(report.rows, key=lambda r: (r.deals_won, r.revenue, r.leads))
    parts = [
        f"Лидов {count(total.leads)}{spaced(change(total.leads, before.leads))}",
        f"лучший канал {short(best.source)} "
        f"({plural(best.deals_won, 'продажа', 'продажи', 'продаж')})",
        "" if total.cost_per_lead is None else f"лид {ctx.fmt.money(total.cost_per_lead)}",
    ]
    return [block(line("📣 ", joined(*parts)))]


def client_blocks(report: CallsReport, ctx: Ctx) -> list[Block]:
    """The calls report's top clients by talk time (the long text only: a caption is short)."""
    if not ctx.long or not report.clients:
        return []
    shown = report.clients[:TOP_CLIENTS]
    lines = [
        line(
            link(short(c.title), c.url) if c.url else short(c.title),
            f" — {duration_text(c.talk_seconds)}, "
            f"{plural(c.calls, 'звонок', 'звонка', 'звонков')}",
        )
        for c in shown
    ]
    return [block(line("Клиенты по времени разговоров:")), listing(lines, len(report.clients))]
