"""The streaks report's caption body and its table (registered beside the others)."""

from __future__ import annotations

from kpi.streaks import StreaksReport
from reports.caption_common import Ctx, first, nothing
from reports.game_texts import days_text, metric_title
from reports.markup import Block, b, block, line, listing
from reports.text import short


def streaks(report: StreaksReport, ctx: Ctx) -> list[Block]:
    running = [row for row in report.rows if row.current > 0]
    if not report.rows:
        return [nothing("Нет планов на месяц: серий нет")]
    if not running:
        return [block(line("Сейчас ни у кого нет серии: план дня никто не выполнил"))]
    shown = first(running, ctx)
    lines = [
        line(
            "🔥 ",
            b(short(row.employee)),
            f" — {days_text(row.current)}, {metric_title(row.metric).lower()}",
            " (рекорд!)"
            if row.current > row.previous_best and row.current > 1
            else f" (рекорд {row.best})",
        )
        for row in shown
    ]
    return [listing(lines, len(running))]
