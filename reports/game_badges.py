"""Badge and streak announcements for the team chats (the badge with its card image)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import locales
from charts.render import render_badge
from charts.theme import duration_text
from kpi.common import ReportMeta
from kpi.periods import range_period
from kpi.scope import Scope
from reports.build import Report
from reports.caption import bitrix, telegram
from reports.game_texts import BADGE_TITLES, days_text, metric_title
from reports.markup import TELEGRAM_CAPTION, TELEGRAM_MESSAGE, Block, b, block, line
from reports.morning import Post
from reports.text import Fmt, plural, points

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
    span = range_period(first, last, now=fmt.now, tz=fmt.tz).label_ru
    if rule == "calls_day":
        return f"{span}: {plural(int(value), 'звонок', 'звонка', 'звонков')} за день"
    if rule == "first_deal_month":
        return f"{span}: первая выигранная сделка месяца в команде"
    if rule == "best_week":
        return f"{span}: {points(value)} — лучшая неделя за полгода"
    if rule == "plan_months":
        return f"{span}: план выполнен {plural(int(value), 'месяц', 'месяца', 'месяцев')} подряд"
    if rule == "fastest_callback":
        return f"{span}: перезванивал(а) в среднем за {duration_text(int(value))}, быстрее всех"
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
    title = BADGE_TITLES.get(rule, rule)
    blocks = [
        Block((line(b(f"🏅 Новый значок: {title}")),), keep=True),
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
    blocks = [
        Block((line(b("🔥 Личный рекорд серии!")),), keep=True),
        block(
            line(
                b(person),
                f": {days_text(days)} подряд выполнен дневной план — "
                f"{metric_title(metric).lower()}",
                f" (прежний рекорд {days_text(before)})" if before else "",
            )
        ),
    ]
    return telegram(blocks, TELEGRAM_MESSAGE), bitrix(blocks)


def broken_text(person: str, metric: str, days: int) -> Text:
    blocks = [
        Block((line(b("💔 Серия прервалась")),), keep=True),
        block(
            line(
                b(person),
                f": {days_text(days)} подряд — {metric_title(metric).lower()}. "
                "Завтра можно начать новую!",
            )
        ),
    ]
    return telegram(blocks, TELEGRAM_MESSAGE), bitrix(blocks)


def group_text(rule: str, period: str, people: list[str]) -> Text:
    """Many badges of one rule and period in one message (a first start, a good month)."""
    title = BADGE_TITLES.get(rule, rule)
    blocks = [
        Block((line(b(f"🏅 Значок «{title}» ({period})")),), keep=True),
        block(line(f"Получают {len(people)}: ", b(", ".join(people)))),
    ]
    return telegram(blocks, TELEGRAM_MESSAGE), bitrix(blocks)
