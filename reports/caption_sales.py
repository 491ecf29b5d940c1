"""Caption bodies of the sales reports: plan, funnel, conversion, lost, abc."""

from __future__ import annotations

from datetime import UTC

from kpi.abc import ABC, XYZ, AbcReport
from kpi.conversion import ConversionReport, LeadCounts
from kpi.funnel import FunnelReport
from kpi.lost import LostReport
from kpi.plan import PlanReport, PlanRow
from locales import N_, _, ngettext
from reports.caption_common import Ctx, first, joined, name, nothing
from reports.markup import Block, Line, b, block, line, listing, phrase
from reports.text import change, count, day, percent, ratio, short, spaced

ENTITY = {"lead": N_("лиды"), "deal": N_("сделки")}


def _deals(n: int) -> str:
    return ngettext("{n}\u00a0сделка", "{n}\u00a0сделок", n).format(n=count(n))


def _leads(n: int) -> str:
    return ngettext("{n}\u00a0лид", "{n}\u00a0лидов", n).format(n=count(n))


def _of_plan(row: PlanRow, ctx: Ctx) -> str:
    if row.plan is None:
        return ctx.fmt.money(row.revenue)
    share = percent(ratio(row.revenue, row.plan))
    return _("{revenue} из {plan} ({share})").format(
        revenue=ctx.fmt.money(row.revenue), plan=ctx.fmt.money(row.plan), share=share
    )


def _forecast(row: PlanRow, ctx: Ctx) -> Line:
    share = f" ({percent(ratio(row.forecast_run_rate, row.plan))})" if row.plan else ""
    return phrase(
        _("Прогноз: по темпу {run_rate}{share}, по воронке {pipeline}"),
        run_rate=b(ctx.fmt.money(row.forecast_run_rate)),
        share=share,
        pipeline=ctx.fmt.money(row.forecast_pipeline),
    )


def plan(report: PlanReport, ctx: Ctx) -> list[Block]:
    # the total of one person's scope is that person's row
    row, before = report.total, report.previous_total
    running = ctx.fmt.now.astimezone(UTC) < report.meta.period.end.astimezone(UTC)
    target = (
        _("План {plan}, выполнено {share}").format(
            plan=ctx.fmt.money(row.plan), share=percent(ratio(row.revenue, row.plan))
        )
        if row.plan is not None
        else _("План не задан")
    )
    lines: list[Line] = [
        phrase(
            _("Выручка {revenue}{change}"),
            revenue=b(ctx.fmt.money(row.revenue)),
            change=spaced(change(row.revenue, before.revenue, show=ctx.fmt.money)),
        ),
        line(target),
    ]
    if running:
        lines.append(_forecast(row, ctx))
    lines.append(line(_("Выиграно {deals}").format(deals=_deals(row.deals_won))))
    blocks = [block(*lines)]
    people = sorted(
        (r for r in report.rows if r.revenue or r.plan), key=lambda r: (-r.revenue, r.employee)
    )
    if len(report.rows) > 1 and people:
        blocks += [
            block(line(_("По менеджерам:"))),
            listing(
                [line(f"{name(r.employee)} — {_of_plan(r, ctx)}") for r in first(people, ctx)],
                len(people),
            ),
        ]
    return blocks


def funnel(report: FunnelReport, ctx: Ctx) -> list[Block]:
    total, before = report.total, report.previous_total
    if total.deals == 0:
        return [nothing(_("В воронке нет сделок"))]
    money = ctx.fmt.money
    blocks = [
        block(
            phrase(
                _("В работе {deals} на {money}"),
                deals=b(_deals(total.open_deals)),
                money=money(total.open_amount),
            ),
            line(
                _("Всего в воронке {n}{change} на {money}").format(
                    n=count(total.deals),
                    change=spaced(change(total.deals, before.deals)),
                    money=money(total.amount),
                )
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
                phrase(
                    _("{pipeline}: {n} на {money}"),
                    pipeline=b(short(pipeline.pipeline)),
                    n=count(pipeline.deals),
                    money=money(pipeline.amount),
                )
            ),
            listing(
                [line(f"{short(r.stage)} — {count(r.deals)}, {money(r.amount)}") for r in shown],
                len(stages),
            ),
        ]
    return blocks


def _conversion_text(row: LeadCounts) -> str:
    return _("{leads}, конверсия {share}").format(
        leads=_leads(row.leads), share=percent(row.conversion)
    )


def _conversion_head(report: ConversionReport) -> Block:
    total, before = report.total, report.previous_total
    delta = (
        ""
        if before.conversion is None
        else change(total.conversion or 0.0, before.conversion, kind="pp")
    )
    converted = _("Сконвертировано {n} ({share}){change} · в сделки {deals} · в продажи {won}")
    return block(
        phrase(
            _("Лидов {n}{change}"),
            n=b(count(total.leads)),
            change=spaced(change(total.leads, before.leads)),
        ),
        line(
            converted.format(
                n=count(total.converted),
                share=percent(total.conversion),
                change=spaced(delta),
                deals=count(total.to_deals),
                won=count(total.to_won),
            )
        ),
    )


def conversion(report: ConversionReport, ctx: Ctx) -> list[Block]:
    if report.total.leads == 0:
        return [nothing(_("Новых лидов за период не было"))]
    blocks = [
        _conversion_head(report),
        block(line(_("По источникам:"))),
        listing(
            [
                line(f"{name(r.source)} — {_conversion_text(r)}")
                for r in first(report.by_source, ctx)
            ],
            len(report.by_source),
        ),
    ]
    if ctx.long:
        blocks += [
            block(line(_("По типам:"))),
            listing([line(f"{name(r.name)} — {_conversion_text(r)}") for r in report.by_type]),
        ]
        people = [r for r in report.rows if r.leads]
        if len(report.rows) > 1 and people:
            blocks += [
                block(line(_("По сотрудникам:"))),
                listing(
                    [
                        line(f"{name(r.employee)} — {_conversion_text(r)}")
                        for r in first(people, ctx)
                    ],
                    len(people),
                ),
            ]
    return blocks


def lost(report: LostReport, ctx: Ctx) -> list[Block]:
    total, before = report.total, report.previous_total
    if total.count == 0:
        return [nothing(_("Потерь за период нет"))]
    blocks = [
        block(
            phrase(
                _("Потеряно {what}{change}"),
                what=b(joined(_leads(total.leads), _deals(total.deals))),
                change=spaced(change(total.count, before.count)),
            ),
            line(_("На сумму {money}").format(money=ctx.fmt.money(total.amount)))
            if total.amount
            else (),
        ),
        block(line(_("Причины:"))),
        listing(
            [
                line(
                    f"{short(r.reason)} ({_(ENTITY[r.entity])}) — {count(r.count)}",
                    f", {ctx.fmt.money(r.amount)}" if r.amount else "",
                )
                for r in first(report.reasons, ctx)
            ],
            len(report.reasons),
        ),
    ]
    people = sorted((r for r in report.rows if r.count), key=lambda r: (-r.count, r.employee))
    if ctx.long and len(report.rows) > 1 and people:
        each = _("{name} — лидов {leads}, сделок {deals}")
        blocks += [
            block(line(_("По сотрудникам:"))),
            listing(
                [
                    line(
                        each.format(
                            name=name(r.employee), leads=count(r.leads), deals=count(r.deals)
                        )
                    )
                    for r in first(people, ctx)
                ],
                len(people),
            ),
        ]
    return blocks


def abc(report: AbcReport, ctx: Ctx) -> list[Block]:
    total, before = report.total, report.previous_total
    window = _("{first}–{last}, {months} мес.").format(
        first=day(report.first_day), last=day(report.last_day), months=report.months
    )
    if total.companies == 0:
        return [nothing(_("Нет выручки с компаниями за {window}").format(window=window))]
    counts = total.counts
    blocks = [
        block(
            line(_("Окно: {window}").format(window=window)),
            phrase(
                _("Компаний с выручкой {n}{change} на {money}"),
                n=b(count(total.companies)),
                change=spaced(change(total.companies, before.companies)),
                money=ctx.fmt.money(total.revenue),
            ),
            line(
                " · ".join(f"{k}: {count(counts.get(k, 0))}" for k in ABC),
                "  |  ",
                " · ".join(f"{k}: {count(counts.get(k, 0))}" for k in XYZ),
            ),
        ),
        block(line(_("Крупнейшие:"))),
        listing(
            [
                line(f"{r.rank}. {short(r.title)} — {ctx.fmt.money(r.revenue)}, {r.abc}{r.xyz}")
                for r in first(report.rows, ctx)
            ],
            len(report.rows),
        ),
    ]
    return blocks
