"""Contest posts for the team chats: the start, the standings, a new leader, the result.

Each is built once and handed to every chat it goes to (``jobs.contests`` decides which and
when). The result carries the podium chart as a one-report post, so both front ends send
it the way they send any post: the summary, then the image.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import locales
from charts.draw_page import Header
from charts.draw_podium import Place
from charts.render import render_podium
from kpi.common import ReportMeta
from kpi.contests import Standing, Standings
from reports.build import Report
from reports.caption import bitrix, telegram
from reports.game_texts import KIND_TITLES, metric_title, value_text
from reports.markup import TELEGRAM_CAPTION, TELEGRAM_MESSAGE, Block, b, block, i, line, listing
from reports.morning import Post
from reports.text import Fmt, number, plural, short

Text = tuple[str, str]  # (Telegram HTML, Bitrix24 BB-code)
SHOWN = 5


def render_text(blocks: list[Block]) -> Text:
    return telegram(blocks, TELEGRAM_MESSAGE), bitrix(blocks)


def _day(day: date) -> str:
    return day.strftime("%d.%m")


def _head(icon: str, text: str, st: Standings) -> Block:
    c = st.contest
    what = f"{metric_title(c.metric)} · {KIND_TITLES.get(c.kind, c.kind)}"
    return Block(
        (
            line(b(f"{icon} {text} «{c.name}»")),
            line(f"{what} · {_day(c.start_day)}–{_day(c.end_day)} · {short(st.scope.name)}"),
        ),
        keep=True,
    )


def _row_line(st: Standings, row: Standing, fmt: Fmt) -> tuple[str, ...]:
    target = st.target
    value = value_text(st.contest.metric, row.value, fmt)
    tail = ""
    if target is not None:
        missing = row.distance(target)
        reached = row.reached(target)
        tail = (
            " ✅"
            if reached
            else f" (до цели {_short(st.contest.metric, missing or Decimal(0), fmt)})"
        )
    return (f"{row.rank}. ", short(row.name), f" — {value}{tail}")


def _short(metric: str, value: Decimal, fmt: Fmt) -> str:
    """A distance without its unit (the line already says it): '20', '150 000 ₽'."""
    return fmt.money(value) if metric == "revenue" else number(value)


def standings_blocks(st: Standings, fmt: Fmt, *, shown: int = SHOWN) -> list[Block]:
    """The first rows of the standings, each with its value (and distance in a race)."""
    if not st.rows or st.leader is None:
        return [block(line(i("Пока ни у кого нет результата")))]
    lines = []
    for row in st.rows[:shown]:
        number, name, rest = _row_line(st, row, fmt)
        lines.append(line(number, b(name) if row.rank == 1 else name, rest))
    return [listing(lines, len(st.rows))]


def _prize(st: Standings) -> list[Block]:
    return [block(line("🎁 Приз: ", b(st.contest.prize)))] if st.contest.prize else []


def start_text(st: Standings, fmt: Fmt) -> Text:
    c = st.contest
    running = st.status == "running"
    blocks = [_head("🚀", "Стартовал конкурс" if running else "Объявлен конкурс", st)]
    if not running:
        blocks.append(block(line("Старт ", b(_day(c.start_day)), f", финиш {_day(c.end_day)}.")))
    if c.kind == "target" and st.target is not None:
        goal = value_text(c.metric, st.target, fmt)
        blocks.append(block(line("Цель: ", b(goal), ". Побеждает тот, кто дойдёт первым.")))
    elif c.kind == "teams":
        mode = "в среднем на сотрудника" if c.team_mode == "average" else "сумма по команде"
        blocks.append(block(line(f"Команды — отделы; считается {mode}.")))
    blocks += _prize(st)
    if st.status == "running":
        blocks += standings_blocks(st, fmt)
    return render_text(blocks)


def standings_text(st: Standings, fmt: Fmt, *, new_leader: bool) -> Text:
    head = "Новый лидер в конкурсе" if new_leader else "Положение в конкурсе"
    return render_text([_head("🔄" if new_leader else "🏁", head, st), *standings_blocks(st, fmt)])


def winner_text(st: Standings, row: Standing, fmt: Fmt) -> Text:
    value = value_text(st.contest.metric, row.value, fmt)
    blocks = [
        _head("🏁", "Цель взята в конкурсе", st),
        block(line("Первым дошёл до цели: ", b(row.name), f" — {value}")),
        *_prize(st),
    ]
    return render_text(blocks)


def nudge_text(st: Standings, row: Standing, above: Standing, fmt: Fmt) -> Text:
    """'2 успешных звонка — и вы обойдёте Ивана' for the one below someone."""
    metric = st.contest.metric
    step = Decimal(1) if metric not in ("revenue", "talk_minutes", "points") else Decimal("0.1")
    if metric == "revenue":
        step = Decimal("0.01")
    need = above.value - row.value + step
    blocks = [
        block(line(b(f"🏁 «{st.contest.name}»"), f": вы на {row.rank}-м месте")),
        block(
            line(
                "Ещё ",
                b(value_text(metric, need, fmt)),
                f" — и вы будете выше, чем {short(above.name)} (сейчас {above.rank}-е место).",
            )
        ),
    ]
    return render_text(blocks)


def result_post(st: Standings, fmt: Fmt, *, now: datetime, render: bool = True) -> Post:
    """The result: text with the winners and the podium chart of the first three."""
    c = st.contest
    metric = c.metric
    winners = [r for r in st.rows[:3] if r.value > 0]
    blocks = [_head("🏆", "Итоги конкурса", st)]
    if winners:
        medals = ("🥇", "🥈", "🥉")
        blocks.append(
            listing(
                [
                    line(
                        f"{medals[n]} ", b(short(r.name)), f" — {value_text(metric, r.value, fmt)}"
                    )
                    for n, r in enumerate(winners)
                ]
            )
        )
    else:
        blocks.append(block(line(i("Никто не набрал результата"))))
    blocks += _prize(st)
    png = _podium(st, winners, fmt) if render and winners else None
    meta = ReportMeta("contest", st.scope, st.period, st.period, None)
    caption = [Block((line(b(f"🏆 Итоги конкурса «{c.name}»")),), keep=True)]
    report = Report(
        name="contest",
        title=f"🏆 Итоги «{c.name}»",
        figures=st,
        meta=meta,
        png=png,
        caption_html=telegram(caption, TELEGRAM_CAPTION),
        caption_bb=bitrix(caption),
        text_html=telegram(blocks, TELEGRAM_MESSAGE),
        text_bb=bitrix(blocks),
        lists={},
        built_at=now,
    )
    return Post(
        key=f"contest:{c.id}:result",
        kind="morning",
        reports=(report,),
        caption_html=telegram(blocks, TELEGRAM_CAPTION),
        caption_bb=bitrix(blocks),
    )


def _podium(st: Standings, winners: list[Standing], fmt: Fmt) -> bytes:
    c = st.contest
    header = Header(
        f"Итоги конкурса «{c.name}»",
        f"{metric_title(c.metric)} · {st.period.label_ru} · {st.scope.name}",
        f"итоги на {fmt.when(fmt.now)}",
    )
    rest = len(st.rows) - len(winners)
    note = ""
    if rest > 0 and len(st.rows) > 3:
        fourth = st.rows[3]
        others = (
            plural(rest, "команда", "команды", "команд")
            if st.teams
            else plural(rest, "участник", "участника", "участников")
        )
        note = f"ещё {others}; 4-е место: {fourth.name}, ".replace("\u00a0", " ")
        note += value_text(c.metric, fourth.value, fmt).replace("\u00a0", " ")
    places = [Place(r.name, value_text(c.metric, r.value, fmt)) for r in winners]
    prize = f"Приз: {c.prize}" if c.prize else ""
    return render_podium(header, places, words=locales.words(), note=note, prize=prize)
