"""Caption bodies of the reports about people: rating, coverage, kpi, tasks."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

from kpi.coverage import CoverageReport
from kpi.kpiplan import KpiReport, Metric
from kpi.rating import RatingReport, RatingRow
from kpi.tasks import TasksReport
from locales import N_, _, ngettext, pgettext
from reports.caption_common import Ctx, first, items_block, joined, name, nothing, with_change
from reports.kpi_words import metric_name
from reports.markup import Block, Line, b, block, line, listing, phrase
from reports.text import change, count, number, percent, points, rank_change, ratio, spaced

# Shown as ``status_word``; tables.py reads the marks and translates the words itself.
STATUS = MappingProxyType(
    {
        "met": ("✅", "выполнено"),  # a plan met, not a task done: see status_word
        "on_track": ("🟢", N_("в графике")),
        "behind": ("🟠", N_("отстаёт")),
        "missed": ("🔴", N_("не выполнено")),
    }
)


def status_word(status: str) -> str:
    """'behind' -> 'отстаёт' / 'behind'; an unknown status as it is."""
    if status == "met":
        return pgettext("plan", "выполнено")
    found = STATUS.get(status)
    return status if found is None else _(found[1])


def _deals(n: int) -> str:
    return ngettext("{n}\u00a0сделка", "{n}\u00a0сделок", n).format(n=count(n))


def _rating_details(row: RatingRow, ctx: Ctx) -> str:
    calls, emails = row.successful_calls, row.emails
    meetings, deals = row.meetings, row.deals_won
    return joined(
        ngettext("звонки {n}", "звонки {n}", calls).format(n=count(calls)) if calls else "",
        ngettext("письма {n}", "письма {n}", emails).format(n=count(emails)) if emails else "",
        ngettext("встречи {n}", "встречи {n}", meetings).format(n=count(meetings))
        if meetings
        else "",
        ngettext("сделки {n}", "сделки {n}", deals).format(n=count(deals)) if deals else "",
        ctx.fmt.money(row.revenue) if row.revenue else "",
    )


def _rating_line(row: RatingRow, ctx: Ctx, streaks: Mapping[int, str]) -> Line:
    head = line(
        f"{row.rank}. ", b(name(row.employee)) if row.rank == 1 else name(row.employee), " — "
    ) + line(with_change(points(row.points), rank_change(row.rank_change)))
    streak = streaks.get(row.employee_id or 0)
    if streak:
        head += line(f" 🔥{streak}")
    if not ctx.long:
        return head
    details = _rating_details(row, ctx)
    return head + line(f" ({details})") if details else head


def rating(report: RatingReport, ctx: Ctx) -> list[Block]:
    if not report.rows:
        return [nothing(_("Нет сотрудников в выборке"))]
    rows = report.rows
    shown = first(rows, ctx)
    # "🔥 N": the leaders' running streaks, when the rating was built with them
    streaks: Mapping[int, str] = getattr(report, "streaks", {})
    blocks = [listing([_rating_line(row, ctx, streaks) for row in shown], len(shown))]
    if len(rows) > len(shown):
        last = rows[-1]
        closing = _("Замыкает: {name} — {points}")
        blocks.append(
            block(line(closing.format(name=name(last.employee), points=points(last.points))))
        )
    total, before = report.total, report.previous_total
    blocks.append(
        block(
            phrase(
                _("Всего: {points}{change} · {deals}"),
                points=b(points(total.points)),
                change=spaced(change(total.points, before.points)),
                deals=joined(_deals(total.deals_won), ctx.fmt.money(total.revenue)),
            )
        )
    )
    return blocks


def _part(part: int, whole: int) -> str:
    return _("{part} из {whole}").format(part=count(part), whole=count(whole))


def coverage(report: CoverageReport, ctx: Ctx) -> list[Block]:
    total, before = report.total, report.previous_total
    if total.clients == 0:
        return [nothing(_("У сотрудников нет закреплённых клиентов"))]
    delta = (
        ""
        if before.coverage is None
        else change(total.coverage or 0.0, before.coverage, kind="pp")
    )
    blocks = [
        block(
            phrase(
                _("Охвачено {covered} клиентов ({share}){change}"),
                covered=b(_part(total.covered, total.clients)),
                share=percent(total.coverage),
                change=spaced(delta),
            ),
            line(
                _("Ключевые: {covered}").format(
                    covered=_part(total.key_covered, total.key_clients)
                )
            )
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
                f"{name(r.employee)} — {percent(r.coverage)}", f" ({_part(r.covered, r.clients)})"
            )
            for r in first(ranked, ctx)
        ]
        blocks += [block(line(_("Меньше всего охвачено:"))), listing(lines, len(ranked))]
    uncovered = ctx.lists.get("uncovered", ())
    if uncovered:
        blocks += [
            block(line(_("Без внимания ({n}):").format(n=count(len(uncovered))))),
            items_block(uncovered, ctx),
        ]
    return blocks


def _metric_line(key: str, m: Metric, before: Metric, ctx: Ctx) -> Line:
    def show(value: Decimal | None) -> str:
        if key == "revenue":
            return ctx.fmt.money(value)
        return "—" if value is None else number(value)

    delta = change(m.fact, before.fact, show=show)
    tail = f" · {delta}" if delta else ""
    if m.plan is None or m.status is None:
        text = _("{metric}: {fact} (без плана)").format(metric=metric_name(key), fact=show(m.fact))
        return line(f"▫️ {text}{tail}")
    mark = STATUS.get(m.status, ("▫️", m.status))[0]
    share = percent(ratio(m.fact, m.plan))
    return phrase(
        f"{mark} " + _("{metric}: {fact} из {plan} ({share}), {status}") + "{tail}",
        metric=metric_name(key),
        fact=b(show(m.fact)),
        plan=show(m.plan),
        share=share,
        status=status_word(m.status),
        tail=tail,
    )


def _behind(report: KpiReport, ctx: Ctx) -> list[Block]:
    behind = [
        (
            r,
            [
                metric_name(n).lower()
                for n, m in r.metrics.items()
                if m.status in ("behind", "missed")
            ],
        )
        for r in report.rows
    ]
    behind = [(r, names) for r, names in behind if names]
    if len(report.rows) <= 1 or not behind:
        return []
    people = len(report.rows)
    head = ngettext(
        "Отстают: {behind} из {n}\u00a0сотрудника",
        "Отстают: {behind} из {n}\u00a0сотрудников",
        people,
    ).format(behind=count(len(behind)), n=count(people))
    lines = [line(f"{name(r.employee)}: {', '.join(names)}") for r, names in first(behind, ctx)]
    return [block(line(head)), listing(lines, len(behind))]


def kpi(report: KpiReport, ctx: Ctx) -> list[Block]:
    # the total of one person's scope is that person's row
    row, previous = report.total, report.previous_total.metrics
    metrics = [(n, m) for n, m in row.metrics.items() if ctx.long or m.plan is not None]
    if not metrics:
        metrics = list(row.metrics.items())
    blocks = [block(*(_metric_line(n, m, previous.get(n, m), ctx) for n, m in metrics))]
    return blocks + _behind(report, ctx)


def tasks(report: TasksReport, ctx: Ctx) -> list[Block]:
    total, before = report.total, report.previous_total
    blocks = [
        block(
            phrase(
                _("Выполнено {done}{done_change} · просрочено {overdue}{overdue_change}"),
                done=b(count(total.completed)),
                done_change=spaced(change(total.completed, before.completed)),
                overdue=b(count(total.overdue)),
                overdue_change=spaced(change(total.overdue, before.overdue)),
            )
        )
    ]
    late = sorted((r for r in report.rows if r.overdue), key=lambda r: (-r.overdue, r.employee))
    if len(report.rows) > 1 and late:
        lines = [
            line(
                _("{name} — просрочено {n}").format(name=name(r.employee), n=count(r.overdue)),
                _(", выполнено {n}").format(n=count(r.completed)),
            )
            for r in first(late, ctx)
        ]
        blocks += [block(line(_("Больше всего просрочено:"))), listing(lines, len(late))]
    overdue = ctx.lists.get("overdue", ())
    if overdue:
        blocks += [block(line(_("Просрочены:"))), items_block(overdue, ctx)]
    return blocks
