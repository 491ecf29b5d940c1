"""The streaks report's caption body and its table (registered beside the others)."""

from __future__ import annotations

from kpi.streaks import StreakRow, StreaksReport
from locales import _
from reports.caption_common import Ctx, first, nothing
from reports.game_texts import days_text
from reports.kpi_words import metric_name
from reports.markup import Block, Line, Span, b, block, line, listing, phrase
from reports.text import short


def streaks(report: StreaksReport, ctx: Ctx) -> list[Block]:
    running = [row for row in report.rows if row.current > 0]
    if not report.rows:
        return [nothing(_("Нет планов на месяц: серий нет"))]
    if not running:
        return [block(line(_("Сейчас ни у кого нет серии: план дня никто не выполнил")))]
    return [listing([_streak_line(row) for row in first(running, ctx)], len(running))]


def _streak_line(row: StreakRow) -> Line:
    """'🔥 Анна — 5 дней, звонки (рекорд 7)', or '(рекорд!)' when this is the best one."""
    values: dict[str, str | Span] = {
        "name": b(short(row.employee)),
        "days": days_text(row.current),
        "metric": metric_name(row.metric).lower(),
    }
    if row.current > row.previous_best and row.current > 1:
        return phrase(_("🔥 {name} — {days}, {metric} (рекорд!)"), **values)
    return phrase(_("🔥 {name} — {days}, {metric} (рекорд {best})"), **values, best=str(row.best))
