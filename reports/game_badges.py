"""Badge and streak announcements for the team chats (the badge with its card image).

Texts are in the language in force when a post is built; a badge's detail line is written
once (``badge_detail``, stored with the award) in the language of that moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import locales
from charts.render import render_badge
from kpi.common import ReportMeta
from kpi.periods import range_period
from kpi.scope import Scope
from locales import _, ngettext
from reports.build import Report
from reports.caption import bitrix, telegram
from reports.game_texts import badge_title, days_text, quoted, value_text
from reports.kpi_words import metric_name, period_label
from reports.markup import TELEGRAM_CAPTION, TELEGRAM_MESSAGE, Block, Span, b, block, line, phrase
from reports.morning import Post
from reports.text import Fmt, count, duration, points

Text = tuple[str, str]


@dataclass(frozen=True)
class BadgeFigures:
    """What a badge post is about (its table, when the card could not be sent)."""

    rule: str
    title: str
    person: str
    detail: str


def badge_detail(rule: str, value: Decimal, first: date, last: date, fmt: Fmt) -> str:
    """What earned it, in words: '3 декабря: 104 звонка', 'неделя 23–29 ноября: 87,5 балла'."""
    span = period_label(range_period(first, last, now=fmt.now, tz=fmt.tz))
    if rule == "calls_day":
        calls = value_text("calls", Decimal(int(value)), fmt)
        return _("{span}: {calls} за день").format(span=span, calls=calls)
    if rule == "first_deal_month":
        return _("{span}: первая выигранная сделка месяца в команде").format(span=span)
    if rule == "best_week":
        return _("{span}: {points} — лучшая неделя за полгода").format(
            span=span, points=points(value)
        )
    if rule == "plan_months":
        months = ngettext("{n}\u00a0месяц", "{n}\u00a0месяцев", int(value))
        return _("{span}: план выполнен {months} подряд").format(
            span=span, months=months.format(n=count(int(value)))
        )
    if rule == "fastest_callback":
        return _("{span}: перезванивал(а) в среднем за {time}, быстрее всех").format(
            span=span, time=duration(int(value))
        )
    return span


def badge_post(
    key: str,
    rule: str,
    person: str,
    detail: str,
    scope: Scope,
    *,
    now: datetime,
    scope_tz: ZoneInfo,
    render: bool,
) -> Post:
    title = badge_title(rule)
    blocks = [
        Block((line(b(_("🏅 Новый значок: {title}").format(title=title))),), keep=True),
        block(line(b(person), f" — {detail}")),
    ]
    png = render_badge(rule, title, person, detail, words=locales.words()) if render else None
    day = now.astimezone(scope_tz).date()
    period = range_period(day, day, now=now, tz=scope_tz)
    caption = [Block((line(b(f"🏅 {title}: {person}")),), keep=True)]
    report = Report(
        name="badge",
        title=f"🏅 {title}",
        figures=BadgeFigures(rule, title, person, detail),
        meta=ReportMeta("badge", scope, period, period, None),
        png=png,
        caption_html=telegram(caption, TELEGRAM_CAPTION),
        caption_bb=bitrix(caption),
        text_html=telegram(blocks, TELEGRAM_MESSAGE),
        text_bb=bitrix(blocks),
        lists={},
        built_at=now,
    )
    return Post(key, "morning", (report,), telegram(blocks, TELEGRAM_CAPTION), bitrix(blocks))


def record_text(person: str, metric: str, days: int, before: int) -> Text:
    values: dict[str, str | Span] = {
        "person": b(person),
        "days": days_text(days),
        "metric": metric_name(metric).lower(),
    }
    text = (
        phrase(
            _(
                "{person}: {days} подряд выполнен дневной план — {metric} "
                "(прежний рекорд {before})"
            ),
            **values,
            before=days_text(before),
        )
        if before
        else phrase(_("{person}: {days} подряд выполнен дневной план — {metric}"), **values)
    )
    blocks = [Block((line(b(_("🔥 Личный рекорд серии!"))),), keep=True), block(text)]
    return telegram(blocks, TELEGRAM_MESSAGE), bitrix(blocks)


def broken_text(person: str, metric: str, days: int) -> Text:
    text = phrase(
        _("{person}: {days} подряд — {metric}. Завтра можно начать новую!"),
        person=b(person),
        days=days_text(days),
        metric=metric_name(metric).lower(),
    )
    blocks = [Block((line(b(_("💔 Серия прервалась"))),), keep=True), block(text)]
    return telegram(blocks, TELEGRAM_MESSAGE), bitrix(blocks)


def group_text(rule: str, period: str, people: list[str]) -> Text:
    """Many badges of one rule and period in one message (a first start, a good month)."""
    head = _("🏅 Значок {title} ({period})").format(title=quoted(badge_title(rule)), period=period)
    who = phrase(_("Получают {n}: {people}"), n=str(len(people)), people=b(", ".join(people)))
    blocks = [Block((line(b(head)),), keep=True), block(who)]
    return telegram(blocks, TELEGRAM_MESSAGE), bitrix(blocks)
