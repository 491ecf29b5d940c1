"""Contest posts for the team chats: the start, the standings, a new leader, the result.

Each is built once and handed to every chat it goes to (``jobs.contests`` decides which and
when). The result carries the podium chart as a one-report post, so both front ends send
it the way they send any post: the summary, then the image. Texts are in the language in
force when a post is built (the chat's, or the process default).
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
from locales import _, ngettext
from reports.build import Report
from reports.caption import bitrix, telegram
from reports.game_texts import kind_title, quoted, value_text
from reports.kpi_words import kpi_word, metric_name, period_label
from reports.markup import (
    TELEGRAM_CAPTION,
    TELEGRAM_MESSAGE,
    Block,
    b,
    block,
    i,
    line,
    listing,
    phrase,
)
from reports.morning import Post
from reports.text import Fmt, count, day, number, short

Text = tuple[str, str]  # (Telegram HTML, Bitrix24 BB-code)
SHOWN = 5


def render_text(blocks: list[Block]) -> Text:
    return telegram(blocks, TELEGRAM_MESSAGE), bitrix(blocks)


def _day(value: date) -> str:
    return day(value, year=False)


def _head(icon: str, title: str, st: Standings) -> Block:
    """The post's bold title ('🚀 Стартовал конкурс «Рывок»') and what the contest is."""
    c = st.contest
    what = f"{metric_name(c.metric)} · {kind_title(c.kind)}"
    scope = short(kpi_word(st.scope.name))
    return Block(
        (
            line(b(f"{icon} {title}")),
            line(f"{what} · {_day(c.start_day)}–{_day(c.end_day)} · {scope}"),
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
        left = _short(st.contest.metric, missing or Decimal(0), fmt)
        tail = " ✅" if reached else " (" + _("до цели {left}").format(left=left) + ")"
    return (f"{row.rank}. ", short(row.name), f" — {value}{tail}")


def _short(metric: str, value: Decimal, fmt: Fmt) -> str:
    """A distance without its unit (the line already says it): '20', '150 000 ₽'."""
    return fmt.money(value) if metric == "revenue" else number(value)


def standings_blocks(st: Standings, fmt: Fmt, *, shown: int = SHOWN) -> list[Block]:
    """The first rows of the standings, each with its value (and distance in a race)."""
    if not st.rows or st.leader is None:
        return [block(line(i(_("Пока ни у кого нет результата"))))]
    lines = []
    for row in st.rows[:shown]:
        number, name, rest = _row_line(st, row, fmt)
        lines.append(line(number, b(name) if row.rank == 1 else name, rest))
    return [listing(lines, len(st.rows))]


def _prize(st: Standings) -> list[Block]:
    if not st.contest.prize:
        return []
    return [block(phrase(_("🎁 Приз: {prize}"), prize=b(st.contest.prize)))]


def start_text(st: Standings, fmt: Fmt) -> Text:
    c = st.contest
    running = st.status == "running"
    name = quoted(c.name)
    title = _("Стартовал конкурс {name}") if running else _("Объявлен конкурс {name}")
    blocks = [_head("🚀", title.format(name=name), st)]
    if not running:
        dates = phrase(
            _("Старт {start}, финиш {end}."), start=b(_day(c.start_day)), end=_day(c.end_day)
        )
        blocks.append(block(dates))
    if c.kind == "target" and st.target is not None:
        goal = b(value_text(c.metric, st.target, fmt))
        blocks.append(
            block(phrase(_("Цель: {goal}. Побеждает тот, кто дойдёт первым."), goal=goal))
        )
    elif c.kind == "teams":
        mode = (
            _("Команды — отделы; считается в среднем на сотрудника.")
            if c.team_mode == "average"
            else _("Команды — отделы; считается сумма по команде.")
        )
        blocks.append(block(line(mode)))
    blocks += _prize(st)
    if st.status == "running":
        blocks += standings_blocks(st, fmt)
    return render_text(blocks)


def standings_text(st: Standings, fmt: Fmt, *, new_leader: bool) -> Text:
    head = _("Новый лидер в конкурсе {name}") if new_leader else _("Положение в конкурсе {name}")
    title = head.format(name=quoted(st.contest.name))
    return render_text(
        [_head("🔄" if new_leader else "🏁", title, st), *standings_blocks(st, fmt)]
    )


def winner_text(st: Standings, row: Standing, fmt: Fmt) -> Text:
    value = value_text(st.contest.metric, row.value, fmt)
    blocks = [
        _head("🏁", _("Цель взята в конкурсе {name}").format(name=quoted(st.contest.name)), st),
        block(phrase(_("Первым дошёл до цели: {name} — {value}"), name=b(row.name), value=value)),
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
    contest = b("🏁 " + quoted(st.contest.name))
    blocks = [
        block(phrase(_("{contest}: вы на {rank}-м месте"), contest=contest, rank=str(row.rank))),
        block(
            phrase(
                _("Ещё {need} — и вы будете выше, чем {name} (сейчас {rank}-е место)."),
                need=b(value_text(metric, need, fmt)),
                name=short(above.name),
                rank=str(above.rank),
            )
        ),
    ]
    return render_text(blocks)


def result_post(st: Standings, fmt: Fmt, *, now: datetime, render: bool = True) -> Post:
    """The result: text with the winners and the podium chart of the first three."""
    c = st.contest
    metric = c.metric
    winners = [r for r in st.rows[:3] if r.value > 0]
    results = _("Итоги конкурса {name}").format(name=quoted(c.name))
    blocks = [_head("🏆", results, st)]
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
        blocks.append(block(line(i(_("Никто не набрал результата")))))
    blocks += _prize(st)
    png = _podium(st, winners, fmt) if render and winners else None
    meta = ReportMeta("contest", st.scope, st.period, st.period, None)
    caption = [Block((line(b(f"🏆 {results}")),), keep=True)]
    report = Report(
        name="contest",
        title=_("🏆 Итоги {name}").format(name=quoted(c.name)),
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
        _("Итоги конкурса {name}").format(name=quoted(c.name)),
        f"{metric_name(c.metric)} · {period_label(st.period)} · {kpi_word(st.scope.name)}",
        _("итоги на {when}").format(when=fmt.when(fmt.now)),
    )
    places = [Place(r.name, value_text(c.metric, r.value, fmt)) for r in winners]
    prize = _("Приз: {prize}").format(prize=c.prize) if c.prize else ""
    note = _podium_note(st, winners, fmt)
    return render_podium(header, places, words=locales.words(), note=note, prize=prize)


def _podium_note(st: Standings, winners: list[Standing], fmt: Fmt) -> str:
    """Who is left off the podium: 'ещё 5 участников; 4-е место: Анна, 12 звонков'."""
    rest = len(st.rows) - len(winners)
    if rest <= 0 or len(st.rows) <= 3:
        return ""
    fourth = st.rows[3]
    if st.teams:
        others = ngettext("{n}\u00a0команда", "{n}\u00a0команд", rest)
    else:
        others = ngettext("{n}\u00a0участник", "{n}\u00a0участников", rest)
    note = _("ещё {others}; 4-е место: {name}, {value}").format(
        others=others.format(n=count(rest)),
        name=fourth.name,
        value=value_text(st.contest.metric, fourth.value, fmt),
    )
    return note.replace("\u00a0", " ")
