"""Caption bodies of the reports about people: rating, coverage, kpi, tasks."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

from charts.draw_kpi import METRIC_NAMES
from kpi.coverage import CoverageReport
from kpi.kpiplan import KpiReport, Metric
from kpi.rating import RatingReport, RatingRow
from kpi.tasks import TasksReport
from reports.caption_common import Ctx, first, items_block, joined, nothing, with_change
from reports.markup import Block, Line, b, block, line, listing
from reports.text import (
    change,
    count,
    number,
    percent,
    plural,
    points,
    rank_change,
    ratio,
    short,
    spaced,
)

STATUS = MappingProxyType(
    {
        "met": ("✅", "выполнено"),
        "on_track": ("🟢", "в графике"),
        "behind": ("🟠", "отстаёт"),
        "missed": ("🔴", "не выполнено"),
    }
)


def _rating_line(row: RatingRow, ctx: Ctx, streaks: Mapping[int, str]) -> Line:
    head = line(
        f"{row.rank}. ", b(short(row.employee)) if row.rank == 1 else short(row.employee), " — "
    ) + line(with_change(points(row.points), rank_change(row.rank_change)))
    streak = streaks.get(row.employee_id or 0)
    if streak:
        head += line(f" 🔥{streak}")
    if not ctx.long:
        return head
    details = joined(
        f"звонки {count(row.successful_calls)}" if row.successful_calls else "",
        f"письма {count(row.emails)}" if row.emails else "",
        f"встречи {count(row.meetings)}" if row.meetings else "",
        f"сделки {count(row.deals_won)}" if row.deals_won else "",
        ctx.fmt.money(row.revenue) if row.revenue else "",
    )
    return head + line(f" ({details})") if details else head


def rating(report: RatingReport, ctx: Ctx) -> list[Block]:
    if not report.rows:
        return [nothing("Нет сотрудников в выборке")]
    rows = report.rows
    shown = first(rows, ctx)
    # "🔥 N": the leaders' running streaks, when the rating was built with them
    streaks: Mapping[int, str] = getattr(report, "streaks", {})
    blocks = [listing([_rating_line(row, ctx, streaks) for row in shown], len(shown))]
    if len(rows) > len(shown):
        last = rows[-1]
        blocks.append(block(line(f"Замыкает: {short(last.employee)} — {points(last.points)}")))
    total, before = report.total, report.previous_total
    blocks.append(
        block(
            line(
                "Всего: ",
                b(points(total.points)),
                spaced(change(total.points, before.points)),
                " · ",
                joined(
                    plural(total.deals_won, "сделка", "сделки", "сделок"),
                    ctx.fmt.money(total.revenue),
                ),
            )
        )
    )
    return blocks


def coverage(report: CoverageReport, ctx: Ctx) -> list[Block]:
    total, before = report.total, report.previous_total
    if total.clients == 0:
        return [nothing("У сотрудников нет закреплённых клиентов")]
    delta = (
        ""
        if before.coverage is None
        else change(total.coverage or 0.0, before.coverage, kind="pp")
    )
    blocks = [
        block(
            line(
                "Охвачено ",
                b(f"{count(total.covered)} из {count(total.clients)}"),
                f" клиентов ({percent(total.coverage)})",
                spaced(delta),
            ),
            line(f"Ключевые: {count(total.key_covered)} из {count(total.key_clients)}")
            if total.key_clients
            else (),
        )
    ]
    ranked = sorted(
        (r for r in report.rows if r.coverage is not None),
        key=lambda r: (r.coverage, r.employee),
    )
    if len(ranked) > 1:
        lines = [
            line(
                f"{short(r.employee)} — {percent(r.coverage)}",
                f" ({count(r.covered)} из {count(r.clients)})",
            )
            for r in first(ranked, ctx)
        ]
        blocks += [block(line("Меньше всего охвачено:")), listing(lines, len(ranked))]
    uncovered = ctx.lists.get("uncovered", ())
    if uncovered:
        blocks += [
            block(line(f"Без внимания ({count(len(uncovered))}):")),
            items_block(uncovered, ctx),
        ]
    return blocks


def _metric_line(name: str, m: Metric, before: Metric, ctx: Ctx) -> Line:
    def show(value: Decimal | None) -> str:
        if name == "revenue":
            return ctx.fmt.money(value)
        return "—" if value is None else number(value)

    delta = change(m.fact, before.fact, show=show)
    tail = f" · {delta}" if delta else ""
    if m.plan is None or m.status is None:
        return line(f"▫️ {METRIC_NAMES[name]}: {show(m.fact)} (без плана){tail}")
    mark, word = STATUS.get(m.status, ("▫️", m.status))
    share = percent(ratio(m.fact, m.plan))
    return line(
        f"{mark} {METRIC_NAMES[name]}: ",
        b(show(m.fact)),
        f" из {show(m.plan)} ({share}), {word}{tail}",
    )


def kpi(report: KpiReport, ctx: Ctx) -> list[Block]:
    # the total of one person's scope is that person's row
    row, previous = report.total, report.previous_total.metrics
    metrics = [(n, m) for n, m in row.metrics.items() if ctx.long or m.plan is not None]
    if not metrics:
        metrics = list(row.metrics.items())
    blocks = [block(*(_metric_line(n, m, previous.get(n, m), ctx) for n, m in metrics))]
    behind = [
        (
            r,
            [
                METRIC_NAMES[n].lower()
                for n, m in r.metrics.items()
                if m.status in ("behind", "missed")
            ],
        )
        for r in report.rows
    ]
    behind = [(r, names) for r, names in behind if names]
    if len(report.rows) > 1 and behind:
        blocks.append(
            block(
                line(
                    f"Отстают: {count(len(behind))} из "
                    + plural(len(report.rows), "сотрудника", "сотрудников", "сотрудников")
                )
            )
        )
        lines = [
            line(f"{short(r.employee)}: {', '.join(names)}") for r, names in first(behind, ctx)
        ]
        blocks.append(listing(lines, len(behind)))
    return blocks


def tasks(report: TasksReport, ctx: Ctx) -> list[Block]:
    total, before = report.total, report.previous_total
    blocks = [
        block(
            line(
                "Выполнено ",
                b(count(total.completed)),
                spaced(change(total.completed, before.completed)),
                " · просрочено ",
                b(count(total.overdue)),
                spaced(change(total.overdue, before.overdue)),
            )
        )
    ]
    late = sorted((r for r in report.rows if r.overdue), key=lambda r: (-r.overdue, r.employee))
    if len(report.rows) > 1 and late:
        lines = [
            line(
                f"{short(r.employee)} — просрочено {count(r.overdue)}",
                f", выполнено {count(r.completed)}",
            )
            for r in first(late, ctx)
        ]
        blocks += [block(line("Больше всего просрочено:")), listing(lines, len(late))]
    overdue = ctx.lists.get("overdue", ())
    if overdue:
        blocks += [block(line("Просрочены:")), items_block(overdue, ctx)]
    return blocks
