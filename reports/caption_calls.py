"""Caption bodies of the telephony reports: calls and missed calls."""

from __future__ import annotations

from charts.theme import duration_text
from kpi.calls import CallsReport, CallsRow
from kpi.missed import MissedReport
from reports.caption_channels import client_blocks
from reports.caption_common import Ctx, first, items_block, joined, nothing
from reports.markup import Block, Line, b, block, line, listing
from reports.text import change, count, plural, short, spaced


def callback_split(missed: int, called_back: int, lost: int) -> str:
    """': перезвонили вовремя 4, позже 14, не перезвонили 4'.

    DESIGN.md counts a late callback both as called back and as lost, so "перезвонили 18,
    потеряно 18" of 22 reads like a mistake; the three disjoint parts add up.
    """
    on_time = missed - lost
    parts = [f"перезвонили вовремя {count(on_time)}"]
    if called_back - on_time:
        parts.append(f"позже {count(called_back - on_time)}")
    if missed - called_back:
        parts.append(f"не перезвонили {count(missed - called_back)}")
    return ": " + ", ".join(parts)


def _missed_line(total: CallsRow, before: int) -> Line:
    return line(
        "Пропущено ",
        b(count(total.missed)),
        spaced(change(total.missed, before)),
        callback_split(total.missed, total.missed_called_back, total.missed_lost),
        ""
        if total.avg_callback_seconds is None
        else f", перезвон в среднем за {duration_text(total.avg_callback_seconds)}",
    )


def calls(report: CallsReport, ctx: Ctx) -> list[Block]:
    total, before = report.total, report.previous_total
    if total.calls == 0 and before.calls == 0:
        return [nothing("Звонков за период не было")]
    blocks = [
        block(
            line(
                "Звонков ",
                b(count(total.calls)),
                spaced(change(total.calls, before.calls)),
                " · ",
                joined(f"входящих {count(total.incoming)}", f"исходящих {count(total.outgoing)}"),
            ),
            line(
                "Успешных ",
                b(count(total.successful)),
                spaced(change(total.successful, before.successful)),
                f" · в разговорах {duration_text(total.talk_seconds)}",
            ),
            _missed_line(total, before.missed) if total.missed or before.missed else (),
        )
    ]
    if sum(report.by_hour):
        peak = max(range(24), key=lambda h: (report.by_hour[h], -h))
        blocks.append(
            block(
                line(
                    f"Пик: {peak:02d}:00–{(peak + 1) % 24:02d}:00, "
                    + plural(report.by_hour[peak], "звонок", "звонка", "звонков")
                )
            )
        )
    people = sorted(
        (r for r in report.rows if r.employee_id is not None and r.calls),
        key=lambda r: (-r.successful, -r.calls, r.employee),
    )
    if len(people) > 1 or (ctx.long and people):
        lines = [
            line(
                f"{short(r.employee)} — успешных {count(r.successful)} из {count(r.calls)}",
                f", {duration_text(r.talk_seconds)}" if ctx.long else "",
                f", пропущено {count(r.missed)}" if ctx.long and r.missed else "",
            )
            for r in first(people, ctx)
        ]
        blocks += [block(line("Больше всего успешных:")), listing(lines, len(people))]
    return blocks + client_blocks(report, ctx)


def missed(report: MissedReport, ctx: Ctx) -> list[Block]:
    total, before = report.total, report.previous_total
    if total.missed == 0:
        text = "Пропущенных звонков не было"
        if before.missed:
            text += f" (в прошлом периоде: {count(before.missed)})"
        return [nothing(text)]
    blocks = [
        block(
            line(
                "Пропущено ",
                b(count(total.missed)),
                spaced(change(total.missed, before.missed)),
                callback_split(total.missed, total.missed_called_back, total.missed_lost),
            ),
            line(f"Перезванивают в среднем за {duration_text(total.avg_callback_seconds)}")
            if total.avg_callback_seconds is not None
            else (),
        )
    ]
    people = sorted(
        (r for r in report.rows if r.missed),
        key=lambda r: (-r.missed_lost, -r.missed, r.employee),
    )
    if len(people) > 1 or (ctx.long and people):
        lines = [
            line(
                f"{short(r.employee)} — пропущено {count(r.missed)}",
                f", потеряно {count(r.missed_lost)}",
            )
            for r in first(people, ctx)
        ]
        blocks += [block(line("По сотрудникам:")), listing(lines, len(people))]
    opened = ctx.lists.get("open_missed", ())
    if opened:
        blocks += [
            block(line("Не перезвонили: ", b(count(len(opened))))),
            items_block(opened, ctx),
        ]
    return blocks
