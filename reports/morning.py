"""The scheduled team posts: the working-day morning post and the weekly summary.

Morning (working days): the leaderboard of the previous working day, its missed calls
nobody has called back yet, and the month's revenue to date against plan with forecasts.
"The previous working day" reaches back over the days off in between, so Tuesday after a
holiday Monday still reports Friday's figures together with the weekend's missed calls.

Weekly (on the first working day of the week, instead of the morning post): last week
against the week before: leaderboard, calls, revenue and client coverage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlmodel import Session

from kpi.calendar import WorkCalendar
from kpi.calls import CallsReport
from kpi.channels import channels_report
from kpi.coverage import CoverageReport
from kpi.missed import MissedReport
from kpi.periods import Period, parse_period, range_period
from kpi.plan import PlanReport
from kpi.rating import RatingReport
from kpi.scope import Scope
from kpi.settings import KpiSettings
from locales import _, ngettext
from reports.build import Report, build_report, fmt_for
from reports.caption import bitrix, telegram
from reports.caption_channels import weekly_blocks as channels_weekly
from reports.caption_common import Ctx, foot, item_line, joined, name
from reports.game_morning import contest_blocks
from reports.kpi_words import period_label
from reports.markup import TELEGRAM_CAPTION, Block, b, block, line, listing, phrase
from reports.text import Fmt, change, count, percent, points, ratio, spaced

PostKind = Literal["morning", "weekly"]
# How many leaders and unanswered calls the post itself names.
POST_ITEMS = 3


@dataclass(frozen=True)
class Post:
    key: str  # the delivery slot: "morning:2026-11-24", "weekly:2026-11-23"
    kind: PostKind
    reports: tuple[Report, ...]
    caption_html: str  # the summary, <= 1024 visible characters (fits under a photo)
    caption_bb: str


def is_weekly_day(calendar: WorkCalendar, day: date) -> bool:
    """The first working day of its ISO week (Monday, or later after days off)."""
    monday = day - timedelta(days=day.weekday())
    earlier = (monday + timedelta(days=n) for n in range(day.weekday()))
    return calendar.is_working_day(day) and not any(calendar.is_working_day(d) for d in earlier)


def previous_workday_period(settings: KpiSettings, *, now: datetime) -> Period:
    """From the last working day before today up to today's start ("yesterday" usually)."""
    today = now.astimezone(settings.tz).date()
    first = today - timedelta(days=1)
    # a calendar with no working day at all must not loop forever: a fortnight is plenty
    for _day in range(14):
        if settings.calendar.is_working_day(first):
            break
        first -= timedelta(days=1)
    else:
        first = today - timedelta(days=1)
    if first == today - timedelta(days=1):
        return parse_period("yesterday", now=now, tz=settings.tz)
    return range_period(first, today - timedelta(days=1), now=now, tz=settings.tz)


def morning_post(
    session: Session, settings: KpiSettings, scope: Scope, *, now: datetime, render: bool = True
) -> Post:
    """The morning post, or on the week's first working day the weekly summary instead."""
    today = now.astimezone(settings.tz).date()
    if is_weekly_day(settings.calendar, today):
        return weekly_post(session, settings, scope, now=now, render=render)
    day = previous_workday_period(settings, now=now)
    month = parse_period("month", now=now, tz=settings.tz)
    reports = (
        build_report(session, settings, "rating", day, scope, now=now, render=render),
        build_report(session, settings, "missed", day, scope, now=now, render=render),
        build_report(session, settings, "plan", month, scope, now=now, render=render),
    )
    blocks = _morning_blocks(reports, day, settings, now)
    blocks[-1:-1] = contest_blocks(session, settings, scope, fmt_for(settings, now), now=now)
    return _post("morning", today, reports, blocks)


def weekly_post(
    session: Session, settings: KpiSettings, scope: Scope, *, now: datetime, render: bool = True
) -> Post:
    """Last week against the week before."""
    today = now.astimezone(settings.tz).date()
    week = parse_period("last_week", now=now, tz=settings.tz)
    reports = tuple(
        build_report(session, settings, name, week, scope, now=now, render=render)
        for name in ("rating", "calls", "plan", "coverage")
    )
    blocks = _weekly_blocks(reports, week, settings, now)
    blocks[-1:-1] = contest_blocks(session, settings, scope, fmt_for(settings, now), now=now)
    channels = channels_report(session, scope, week, settings, now=now)
    blocks[-1:-1] = channels_weekly(channels, Ctx(fmt_for(settings, now), False, {}))
    return _post("weekly", today, reports, blocks)


def _post(kind: PostKind, today: date, reports: tuple[Report, ...], blocks: list[Block]) -> Post:
    return Post(
        key=f"{kind}:{today.isoformat()}",
        kind=kind,
        reports=reports,
        caption_html=telegram(blocks, TELEGRAM_CAPTION),
        caption_bb=bitrix(blocks),
    )


def _leaders(rating: RatingReport) -> list[Block]:
    if not rating.rows:
        return []
    if rating.rows[0].points <= 0:
        return [block(line("🏆 " + _("Баллов никто не набрал")))]
    lines = [
        line(
            f"{row.rank}. ",
            b(name(row.employee)) if row.rank == 1 else name(row.employee),
            f" — {points(row.points)}",
        )
        for row in rating.rows[:POST_ITEMS]
    ]
    return [block(line("🏆 " + _("Лидеры:"))), listing(lines)]


def _morning_blocks(
    reports: Sequence[Report], day: Period, settings: KpiSettings, now: datetime
) -> list[Block]:
    rating, missed, plan = (r.figures for r in reports)
    assert isinstance(rating, RatingReport)
    assert isinstance(missed, MissedReport)
    assert isinstance(plan, PlanReport)
    fmt = fmt_for(settings, now)
    greeting = phrase(
        _("{hello} Итоги: {period}"),
        hello=b("☀️ " + _("Доброе утро!")),
        period=period_label(day),
    )
    blocks = [Block((greeting,), keep=True)]
    blocks += _leaders(rating)
    opened = reports[1].lists.get("open_missed", ())
    total = missed.total
    if total.missed:
        of_missed = ngettext(
            "Не перезвонили: {n} из {missed}\u00a0пропущенного",
            "Не перезвонили: {n} из {missed}\u00a0пропущенных",
            total.missed,
        )
        blocks.append(
            block(phrase("📵 " + of_missed, n=b(count(len(opened))), missed=count(total.missed)))
        )
        blocks.append(listing([item_line(x) for x in opened[:POST_ITEMS]], len(opened)))
    else:
        blocks.append(block(line("📵 " + _("Пропущенных звонков не было"))))
    blocks.append(_revenue_block(plan, fmt))
    blocks.append(foot(rating.meta, fmt))
    return blocks


def _revenue_block(plan: PlanReport, fmt: Fmt) -> Block:
    row = plan.total
    revenue = (
        _("Выручка, {period}: {revenue} из {plan} ({share})")
        if row.plan is not None
        else _("Выручка, {period}: {revenue}")
    )
    forecast = _("Прогноз: по темпу {run_rate}, по воронке {pipeline}").format(
        run_rate=fmt.money(row.forecast_run_rate), pipeline=fmt.money(row.forecast_pipeline)
    )
    return block(
        phrase(
            "💰 " + revenue,
            period=period_label(plan.meta.period),
            revenue=b(fmt.money(row.revenue)),
            plan=fmt.money(row.plan),
            share=percent(ratio(row.revenue, row.plan)),
        ),
        line(forecast),
    )


def _days(period: Period) -> str:
    """'2–8 марта 2026': the days themselves, without 'прошлая неделя' or 'неделя'."""
    first = period.start.astimezone(period.tz).date()
    last = (period.end - timedelta(microseconds=1)).astimezone(period.tz).date()
    return period_label(range_period(first, max(first, last), now=period.end, tz=period.tz))


def _weekly_blocks(
    reports: Sequence[Report], week: Period, settings: KpiSettings, now: datetime
) -> list[Block]:
    rating, calls, plan, coverage = (r.figures for r in reports)
    assert isinstance(rating, RatingReport)
    assert isinstance(calls, CallsReport)
    assert isinstance(plan, PlanReport)
    assert isinstance(coverage, CoverageReport)
    fmt = fmt_for(settings, now)
    head = phrase(
        _("{title} (к {before})"),
        title=b("📅 " + _("Итоги недели {days}").format(days=_days(week))),
        before=_days(rating.meta.previous),
    )
    blocks = [Block((head,), keep=True), *_leaders(rating)]
    c, cb = calls.total, calls.previous_total
    money, before = plan.total, plan.previous_total
    cov, cov_before = coverage.total, coverage.previous_total
    cov_change = (
        ""
        if cov_before.coverage is None
        else change(cov.coverage or 0.0, cov_before.coverage, kind="pp")
    )
    blocks.append(
        block(
            line(
                "📞 ",
                joined(
                    _("Звонков {n}{change}").format(
                        n=count(c.calls), change=spaced(change(c.calls, cb.calls))
                    ),
                    _("успешных {n}{change}").format(
                        n=count(c.successful), change=spaced(change(c.successful, cb.successful))
                    ),
                    _("пропущено {n}{change}").format(
                        n=count(c.missed), change=spaced(change(c.missed, cb.missed))
                    ),
                ),
            ),
            phrase(
                "💰 " + _("Выручка {revenue}{change} · {deals}{deals_change}"),
                revenue=b(fmt.money(money.revenue)),
                change=spaced(change(money.revenue, before.revenue, show=fmt.money)),
                deals=ngettext("{n}\u00a0сделка", "{n}\u00a0сделок", money.deals_won).format(
                    n=count(money.deals_won)
                ),
                deals_change=spaced(change(money.deals_won, before.deals_won)),
            ),
            line(
                "👥 "
                + _("Охват клиентов {share}{change}").format(
                    share=percent(cov.coverage), change=spaced(cov_change)
                )
            )
            if cov.clients
            else (),
        )
    )
    blocks.append(foot(rating.meta, fmt))
    return blocks
