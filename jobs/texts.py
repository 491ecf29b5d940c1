"""The jobs' own short messages (alerts, digests, celebrations) in both chats' markup.

Texts are looked up in the language in force (``locales``): a job posts in the process's
language. A sentence with a bold or linked part is one message with ``{placeholders}``
(``spans`` cuts it around them), so a translation may put them where its grammar wants.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from kpi.kpiplan import Metric
from kpi.missed_live import Card
from locales import N_, _
from reports.caption import bitrix, telegram
from reports.kpi_words import kpi_word, metric_name
from reports.markup import TELEGRAM_MESSAGE, Block, Line, Span, b, block, line, link, listing
from reports.text import Fmt, number, short
from reports.text import phone as phone_text

Text = tuple[str, str]  # (Telegram HTML, Bitrix24 BB-code)
FIELD = re.compile(r"\{(\w+)\}")


def render(blocks: Sequence[Block]) -> Text:
    return telegram(blocks, TELEGRAM_MESSAGE), bitrix(blocks)


def title(text: str) -> Block:
    return Block((line(b(text)),), keep=True)


def spans(template: str, **fields: str | Span) -> tuple[str | Span, ...]:
    """A translated sentence cut around its ``{fields}``, each replaced by its text or span."""
    parts: list[str | Span] = []
    for index, piece in enumerate(FIELD.split(template)):
        value: str | Span = fields[piece] if index % 2 else piece
        if isinstance(value, str) and parts and isinstance(parts[-1], str):
            parts[-1] += value
        else:
            parts.append(value)
    return tuple(parts)


def figure(name: str, value: Decimal | None, fmt: Fmt) -> str:
    if value is None:
        return "—"
    return fmt.money(value) if name == "revenue" else number(value)


def team_name(scope_name: str) -> str:
    """'Команда «Продажи»' for a team chat's celebration."""
    return _("Команда «{team}»").format(team=kpi_word(scope_name))


def ago(delta: timedelta) -> str:
    """'45 мин', '2 ч 5 мин'."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return _("{minutes} мин").format(minutes=minutes)
    if minutes:
        return _("{hours} ч {minutes} мин").format(hours=hours, minutes=minutes)
    return _("{hours} ч").format(hours=hours)


def pace_line(name: str, m: Metric, fmt: Fmt) -> Line:
    return line(
        *spans(
            _("• {metric}: {fact} из {expected} к этому часу (план {plan})"),
            metric=metric_name(name),
            fact=b(figure(name, m.fact, fmt)),
            expected=figure(name, m.expected_by_now, fmt),
            plan=figure(name, m.plan, fmt),
        )
    )


def pace_note(
    period_text: str, at: datetime, behind: Sequence[tuple[str, Metric]], fmt: Fmt
) -> list[Block]:
    return [
        title(_("⏱ Темп на {time} · {period}").format(time=_clock(at, fmt), period=period_text)),
        block(line(_("Вы отстаёте от ожидаемого к этому времени:"))),
        listing([pace_line(name, m, fmt) for name, m in behind]),
    ]


def _clock(at: datetime, fmt: Fmt) -> str:
    """'13:00': 24-hour time in both languages."""
    return f"{fmt.local(at):%H:%M}"


def pace_summary(
    period_text: str,
    *,
    at: datetime,
    team: str,
    behind: Sequence[tuple[str, Sequence[tuple[str, Metric]]]],
    members: int,
    fmt: Fmt,
) -> list[Block]:
    lines = [
        line(
            f"• {employee}: ",
            "; ".join(
                _("{metric} {fact} из {expected}").format(
                    metric=metric_name(n).lower(),
                    fact=figure(n, m.fact, fmt),
                    expected=figure(n, m.expected_by_now, fmt),
                )
                for n, m in metrics
            ),
        )
        for employee, metrics in behind
    ]
    head = _("⏱ Темп на {time} · {team} · {period}")
    behind_line = _("Отстают от ожидаемого к этому времени: {behind} из {members}")
    return [
        title(head.format(time=_clock(at, fmt), team=team, period=period_text)),
        block(line(behind_line.format(behind=len(behind), members=members))),
        listing(lines),
    ]


def missed_alert(phone: str, at: datetime, now: datetime, fmt: Fmt) -> list[Block]:
    return [
        title(_("📵 Клиенту не перезвонили")),
        block(
            line(
                *spans(
                    _("Пропущенный звонок с {phone} в {time}"),
                    phone=b(phone_text(phone)),
                    time=fmt.when(at),
                )
            ),
            line(_("прошло {ago}: перезвоните, пожалуйста.").format(ago=ago(now - at))),
        ),
    ]


def missed_head_alert(
    employee: str | None, phone: str, at: datetime, now: datetime, fmt: Fmt
) -> list[Block]:
    """To a head: whose call it was (None: nobody took it) and how long it has waited."""
    number_span = b(phone_text(phone))
    who = (
        line(
            *spans(
                _("{employee} не перезвонил(а) на {phone}"),
                employee=b(employee),
                phone=number_span,
            )
        )  # fmt: skip
        if employee is not None
        else line(*spans(_("Звонок с {phone} никто не принял и не перезвонил"), phone=number_span))
    )
    waited = _("звонок в {time}, прошло {ago}.").format(time=fmt.when(at), ago=ago(now - at))
    return [title(_("📵 Пропущенный звонок без ответа")), block(who, line(waited))]


def overdue_digest(tasks: Sequence[tuple[str, str | None, datetime]], fmt: Fmt) -> list[Block]:
    lines = [
        line(
            *spans(
                _("• {task} — срок {deadline}"),
                task=link(task_title, url),
                deadline=fmt.when(deadline),
            )
        )
        for task_title, url, deadline in tasks
    ]
    return [title(_("⏰ Просроченные задачи: {count}").format(count=len(tasks))), listing(lines)]


def deal_won(employee: str, deal: str, amount: Decimal, fmt: Fmt) -> list[Block]:
    said = spans(
        _("{employee} закрыл(а) сделку «{deal}» на {amount}"),
        employee=b(employee),
        deal=deal,
        amount=b(fmt.money(amount)),
    )
    return [title(_("🎉 Крупная сделка!")), block(line(*said))]


def plan_met(who: str, name: str, m: Metric, period_text: str, fmt: Fmt) -> list[Block]:
    said = spans(
        _("{who}: {metric} за {period} — {fact} при плане {plan}"),
        who=b(who),
        metric=metric_name(name).lower(),
        period=period_text,
        fact=b(figure(name, m.fact, fmt)),
        plan=figure(name, m.plan, fmt),
    )
    return [title(_("🎯 План выполнен!")), block(line(*said))]


# --- live missed-call alerts (jobs.live_missed) ---------------------------------------------

CARD_KINDS = {"company": N_("Компания"), "contact": N_("Контакт"), "lead": N_("Лид")}


def _card_line(card: Card | None, in_crm: bool) -> Line:
    if card is not None:
        return line(f"{_(CARD_KINDS[card.kind])}: ", link(short(card.title), card.url))
    # a card the portal has but the store does not yet: nothing to name, nothing to claim
    return () if in_crm else line(_("Номера нет в CRM"))


def live_missed_alert(
    phone: str, at: datetime, card: Card | None, *, in_crm: bool, nobody: bool, fmt: Fmt
) -> list[Block]:
    """Right after the call: to its employee, or to a head when ``nobody`` took it."""
    head = _("📵 Никто не взял трубку") if nobody else _("📵 Пропущенный звонок")
    hint = (
        _("Перезвоните или поручите звонок сотруднику.") if nobody else _("Перезвоните клиенту.")
    )
    return [
        title(f"{head} · {fmt.when(at)}"),
        block(line(b(phone_text(phone))), _card_line(card, in_crm), line(hint)),
    ]


def after(delta: timedelta) -> str:
    """'40 с', '7 мин', '1 ч 5 мин'."""
    seconds = max(int(delta.total_seconds()), 0)
    return _("{seconds} с").format(seconds=seconds) if seconds < 60 else ago(delta)


def live_callback_note(
    phone: str, card: Card | None, delay: timedelta, by: str | None
) -> list[Block]:
    """The follow-up in the alert's dialog; ``by``: who called back, None for the reader."""
    who = _("{employee} перезвонил(а)").format(employee=by) if by else _("перезвонили")
    about = f" · {short(card.title)}" if card is not None else ""
    said = _("{who} через {delay}").format(who=who, delay=after(delay))
    return [block(line("✅ ", b(phone_text(phone)), about, f": {said}"))]
