"""Caption bodies of the sales reports: plan, funnel, conversion, lost, abc."""

from __future__ import annotations

from datetime import UTC

from kpi.abc import ABC, XYZ, AbcReport
from kpi.conversion import ConversionReport, LeadCounts
from kpi.funnel import FunnelReport
from kpi.lost import LostReport
from kpi.plan import PlanReport, PlanRow
from reports.caption_common import Ctx, first, joined, nothing
from reports.markup import Block, Line, b, block, line, listing
from reports.text import change, count, percent, plural, ratio, short, spaced

ENTITY = {"lead": "лиды", "deal": "сделки"}


def _of_plan(row: PlanRow, ctx: Ctx) -> str:
    if row.plan is None:
        return ctx.fmt.money(row.revenue)
    share = percent(ratio(row.revenue, row.plan))
    return f"{ctx.fmt.money(row.revenue)} из {ctx.fmt.money(row.plan)} ({share})"


def plan(report: PlanReport, ctx: Ctx) -> list[Block]:
    # the total of one person's scope is that person's row
    row, before = report.total, report.previous_total
    running = ctx.fmt.now.astimezone(UTC) < report.meta.period.end.astimezone(UTC)
    lines: list[Line] = [
        line(
            "Выручка ",
            b(ctx.fmt.money(row.revenue)),
            spaced(change(row.revenue, before.revenue, show=ctx.fmt.money)),
        ),
        line(
            f"План {ctx.fmt.money(row.plan)}, выполнено {percent(ratio(row.revenue, row.plan))}"
            if row.plan is not None
            else "План не задан"
        ),
    ]
    if running:
        lines.append(
            line(
                "Прогноз: по темпу ",
                b(ctx.fmt.money(row.forecast_run_rate)),
                f" ({percent(ratio(row.forecast_run_rate, row.plan))})" if row.plan else "",
                f", по воронке {ctx.fmt.money(row.forecast_pipeline)}",
            )
        )
    lines.append(line("Выиграно ", plural(row.deals_won, "сделка", "сделки", "сделок")))
    blocks = [block(*lines)]
    people = sorted(
        (r for r in report.rows if r.revenue or r.plan), key=lambda r: (-r.revenue, r.employee)
    )
    if len(report.rows) > 1 and people:
        blocks += [
            block(line("По менеджерам:")),
            listing(
                [line(f"{short(r.employee)} — {_of_plan(r, ctx)}") for r in first(people, ctx)],
                len(people),
            ),
        ]
    return blocks


def funnel(report: FunnelReport, ctx: Ctx) -> list[Block]:
    total, before = report.total, report.previous_total
    if total.deals == 0:
        return [nothing("В воронке нет сделок")]
    money = ctx.fmt.money
    blocks = [
        block(
            line(
                "В работе ",
                b(plural(total.open_deals, "сделка", "сделки", "сделок")),
                f" на {money(total.open_amount)}",
            ),
            line(
                f"Всего в воронке {count(total.deals)}",
                spaced(change(total.deals, before.deals)),
                f" на {money(total.amount)}",
            ),
        )
    ]
    for pipeline in report.pipelines:
        stages = [r for r in pipeline.rows if r.deals or ctx.long]
        if not stages:
            continue
        shown = stages if ctx.long else stages[: ctx.items + 2]
        blocks += [
            block(
                line(
                    b(short(pipeline.pipeline)),
                    f": {count(pipeline.deals)} на {money(pipeline.amount)}",
                )
            ),
            listing(
                [line(f"{short(r.stage)} — {count(r.deals)}, {money(r.amount)}") for r in shown],
                len(stages),
            ),
        ]
    return blocks


def _conversion_text(row: LeadCounts) -> str:
    return f"{plural(row.leads, 'лид', 'лида', 'лидов')}, конверсия {percent(row.conversion)}"


def conversion(report: ConversionReport, ctx: Ctx) -> list[Block]:
    total, before = report.total, report.previous_total
    if total.leads == 0:
        return [nothing("Новых лидов за период не было")]
    delta = (
        ""
        if before.conversion is None
        else change(total.conversion or 0.0, before.conversion, kind="pp")
    )
    blocks = [
        block(
            line("Лидов ", b(count(total.leads)), spaced(change(total.leads, before.leads))),
            line(
                f"Сконвертировано {count(total.converted)} ({percent(total.conversion)})",
                spaced(delta),
                f" · в сделки {count(total.to_deals)} · в продажи {count(total.to_won)}",
            ),
        ),
        block(line("По источникам:")),
        listing(
            [
                line(f"{short(r.source)} — {_conversion_text(r)}")
                for r in first(report.by_source, ctx)
            ],
            len(report.by_source),
        ),
    ]
    if ctx.long:
        blocks += [
            block(line("По типам:")),
            listing([line(f"{r.name} — {_conversion_text(r)}") for r in report.by_type]),
        ]
        people = [r for r in report.rows if r.leads]
        if len(report.rows) > 1 and people:
            blocks += [
                block(line("По сотрудникам:")),
                listing(
                    [
                        line(f"{short(r.employee)} — {_conversion_text(r)}")
                        for r in first(people, ctx)
                    ],
                    len(people),
                ),
            ]
    return blocks


def lost(report: LostReport, ctx: Ctx) -> list[Block]:
    total, before = report.total, report.previous_total
    if total.count == 0:
        return [nothing("Потерь за период нет")]
    blocks = [
        block(
            line(
                "Потеряно ",
                b(
                    joined(
                        plural(total.leads, "лид", "лида", "лидов"),
                        plural(total.deals, "сделка", "сделки", "сделок"),
                    )
                ),
                spaced(change(total.count, before.count)),
            ),
            line(f"На сумму {ctx.fmt.money(total.amount)}") if total.amount else (),
        ),
        block(line("Причины:")),
        listing(
            [
                line(
                    f"{short(r.reason)} ({ENTITY[r.entity]}) — {count(r.count)}",
                    f", {ctx.fmt.money(r.amount)}" if r.amount else "",
                )
                for r in first(report.reasons, ctx)
            ],
            len(report.reasons),
        ),
    ]
    people = sorted((r for r in report.rows if r.count), key=lambda r: (-r.count, r.employee))
    if ctx.long and len(report.rows) > 1 and people:
        blocks += [
            block(line("По сотрудникам:")),
            listing(
                [
                    line(f"{short(r.employee)} — лидов {count(r.leads)}, сделок {count(r.deals)}")
                    for r in first(people, ctx)
                ],
                len(people),
            ),
        ]
    return blocks


def abc(report: AbcReport, ctx: Ctx) -> list[Block]:
    total, before = report.total, report.previous_total
    window = f"{report.first_day:%d.%m.%Y}–{report.last_day:%d.%m.%Y}, {report.months} мес."
    if total.companies == 0:
        return [nothing(f"Нет выручки с компаниями за {window}")]
    counts = total.counts
    blocks = [
        block(
            line(f"Окно: {window}"),
            line(
                "Компаний с выручкой ",
                b(count(total.companies)),
                spaced(change(total.companies, before.companies)),
                f" на {ctx.fmt.money(total.revenue)}",
            ),
            line(
                " · ".join(f"{k}: {count(counts.get(k, 0))}" for k in ABC),
                "  |  ",
                " · ".join(f"{k}: {count(counts.get(k, 0))}" for k in XYZ),
            ),
        ),
        block(line("Крупнейшие:")),
        listing(
            [
                line(f"{r.rank}. {short(r.title)} — {ctx.fmt.money(r.revenue)}, {r.abc}{r.xyz}")
                for r in first(report.rows, ctx)
            ],
            len(report.rows),
        ),
    ]
    return blocks
