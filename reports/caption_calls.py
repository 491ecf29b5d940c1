"""Caption bodies of the telephony reports: calls and missed calls."""

from __future__ import annotations

from kpi.calls import CallsReport, CallsRow
from kpi.missed import MissedReport
from locales import _, ngettext
from reports.caption_channels import client_blocks
from reports.caption_common import Ctx, first, items_block, joined, name, nothing
from reports.markup import Block, Line, b, block, line, listing, phrase
from reports.text import change, count, duration, spaced


def callback_split(missed: int, called_back: int, lost: int) -> str:
    """': перезвонили вовремя 4, позже 14, не перезвонили 4'.

    DESIGN.md counts a late callback both as called back and as lost, so "перезвонили 18,
    потеряно 18" of 22 reads like a mistake; the three disjoint parts add up.
    """
    on_time = missed - lost
    parts = [_("перезвонили вовремя {n}").format(n=count(on_time))]
    if called_back - on_time:
        parts.append(_("позже {n}").format(n=count(called_back - on_time)))
    if missed - called_back:
        parts.append(_("не перезвонили {n}").format(n=count(missed - called_back)))
    return ": " + ", ".join(parts)


def _missed_line(total: CallsRow, before: int) -> Line:
    average = (
        ""
        if total.avg_callback_seconds is None
        else _(", перезвон в среднем за {time}").format(time=duration(total.avg_callback_seconds))
    )
    return phrase(
        _("Пропущено {n}{change}{split}{average}"),
        n=b(count(total.missed)),
        change=spaced(change(total.missed, before)),
        split=callback_split(total.missed, total.missed_called_back, total.missed_lost),
        average=average,
    )


def _peak(report: CallsReport) -> list[Block]:
    if not sum(report.by_hour):
        return []
    peak = max(range(24), key=lambda h: (report.by_hour[h], -h))
    calls = report.by_hour[peak]
    text = _("Пик: {hours}, {calls}").format(
        hours=f"{peak:02d}:00–{(peak + 1) % 24:02d}:00",
        calls=ngettext("{n}\u00a0звонок", "{n}\u00a0звонков", calls).format(n=count(calls)),
    )
    return [block(line(text))]


def calls(report: CallsReport, ctx: Ctx) -> list[Block]:
    total, before = report.total, report.previous_total
    if total.calls == 0 and before.calls == 0:
        return [nothing(_("Звонков за период не было"))]
    directions = joined(
        _("входящих {n}").format(n=count(total.incoming)),
        _("исходящих {n}").format(n=count(total.outgoing)),
    )
    blocks = [
        block(
            phrase(
                _("Звонков {n}{change} · {directions}"),
                n=b(count(total.calls)),
                change=spaced(change(total.calls, before.calls)),
                directions=directions,
            ),
            phrase(
                _("Успешных {n}{change} · в разговорах {time}"),
                n=b(count(total.successful)),
                change=spaced(change(total.successful, before.successful)),
                time=duration(total.talk_seconds),
            ),
            _missed_line(total, before.missed) if total.missed or before.missed else (),
        ),
        *_peak(report),
    ]
    people = sorted(
        (r for r in report.rows if r.employee_id is not None and r.calls),
        key=lambda r: (-r.successful, -r.calls, r.employee),
    )
    if len(people) > 1 or (ctx.long and people):
        lines = [
            line(
                _("{name} — успешных {n} из {calls}").format(
                    name=name(r.employee), n=count(r.successful), calls=count(r.calls)
                ),
                f", {duration(r.talk_seconds)}" if ctx.long else "",
                _(", пропущено {n}").format(n=count(r.missed)) if ctx.long and r.missed else "",
            )
            for r in first(people, ctx)
        ]
        blocks += [block(line(_("Больше всего успешных:"))), listing(lines, len(people))]
    return blocks + client_blocks(report, ctx)


def missed(report: MissedReport, ctx: Ctx) -> list[Block]:
    total, before = report.total, report.previous_total
    if total.missed == 0:
        if before.missed:
            return [
                nothing(
                    _("Пропущенных звонков не было (в прошлом периоде: {n})").format(
                        n=count(before.missed)
                    )
                )
            ]
        return [nothing(_("Пропущенных звонков не было"))]
    blocks = [
        block(
            phrase(
                _("Пропущено {n}{change}{split}"),
                n=b(count(total.missed)),
                change=spaced(change(total.missed, before.missed)),
                split=callback_split(total.missed, total.missed_called_back, total.missed_lost),
            ),
            line(
                _("Перезванивают в среднем за {time}").format(
                    time=duration(total.avg_callback_seconds)
                )
            )
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
                _("{name} — пропущено {n}").format(name=name(r.employee), n=count(r.missed)),
                _(", потеряно {n}").format(n=count(r.missed_lost)),
            )
            for r in first(people, ctx)
        ]
        blocks += [block(line(_("По сотрудникам:"))), listing(lines, len(people))]
    opened = ctx.lists.get("open_missed", ())
    if opened:
        blocks += [
            block(phrase(_("Не перезвонили: {n}"), n=b(count(len(opened))))),
            items_block(opened, ctx),
        ]
    return blocks
