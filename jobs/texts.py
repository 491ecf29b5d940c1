"""The jobs' own short messages (alerts, digests, celebrations) in both chats' markup."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from charts.draw_kpi import METRIC_NAMES
from charts.theme import phone_text
from kpi.kpiplan import Metric
from kpi.missed_live import Card
from reports.caption import bitrix, telegram
from reports.markup import TELEGRAM_MESSAGE, Block, Line, b, block, line, link, listing
from reports.text import Fmt, number, short

Text = tuple[str, str]  # (Telegram HTML, Bitrix24 BB-code)


def render(blocks: Sequence[Block]) -> Text:
    return telegram(blocks, TELEGRAM_MESSAGE), bitrix(blocks)


def title(text: str) -> Block:
    return Block((line(b(text)),), keep=True)


def figure(name: str, value: Decimal | None, fmt: Fmt) -> str:
    if value is None:
        return "—"
    return fmt.money(value) if name == "revenue" else number(value)


def metric_name(name: str) -> str:
    return METRIC_NAMES.get(name, name)


def ago(delta: timedelta) -> str:
    """'45 мин', '2 ч 5 мин'."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} мин"
    return f"{hours} ч {minutes} мин" if minutes else f"{hours} ч"


def pace_line(name: str, m: Metric, fmt: Fmt) -> Line:
    return line(
        f"• {metric_name(name)}: ",
        b(figure(name, m.fact, fmt)),
        f" из {figure(name, m.expected_by_now, fmt)} к этому часу",
        f" (план {figure(name, m.plan, fmt)})",
    )


def pace_note(
    period_label: str, at: datetime, behind: Sequence[tuple[str, Metric]], fmt: Fmt
) -> list[Block]:
    return [
        title(f"⏱ Темп на {fmt.local(at):%H:%M} · {period_label}"),
        block(line("Вы отстаёте от ожидаемого к этому времени:")),
        listing([pace_line(name, m, fmt) for name, m in behind]),
    ]


def pace_summary(
    period_label: str,
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
                f"{metric_name(n).lower()} {figure(n, m.fact, fmt)} из "
                f"{figure(n, m.expected_by_now, fmt)}"
                for n, m in metrics
            ),
        )
        for employee, metrics in behind
    ]
    return [
        title(f"⏱ Темп на {fmt.local(at):%H:%M} · {team} · {period_label}"),
        block(line(f"Отстают от ожидаемого к этому времени: {len(behind)} из {members}")),
        listing(lines),
    ]


def missed_alert(phone: str, at: datetime, now: datetime, fmt: Fmt) -> list[Block]:
    return [
        title("📵 Клиенту не перезвонили"),
        block(
            line("Пропущенный звонок с ", b(phone_text(phone)), f" в {fmt.when(at)}"),
            line(f"прошло {ago(now - at)}: перезвоните, пожалуйста."),
        ),
    ]


def missed_head_alert(
    employee: str | None, phone: str, at: datetime, now: datetime, fmt: Fmt
) -> list[Block]:
    """To a head: whose call it was (None: nobody took it) and how long it has waited."""
    who = (
        line(b(employee), " не перезвонил(а) на ", b(phone_text(phone)))
        if employee is not None
        else line("Звонок с ", b(phone_text(phone)), " никто не принял и не перезвонил")
    )
    return [
        title("📵 Пропущенный звонок без ответа"),
        block(who, line(f"звонок в {fmt.when(at)}, прошло {ago(now - at)}.")),
    ]


def overdue_digest(tasks: Sequence[tuple[str, str | None, datetime]], fmt: Fmt) -> list[Block]:
    lines = [
        line("• ", link(task_title, url), f" — срок {fmt.when(deadline)}")
        for task_title, url, deadline in tasks
    ]
    return [title(f"⏰ Просроченные задачи: {len(tasks)}"), listing(lines)]


def deal_won(employee: str, deal: str, amount: Decimal, fmt: Fmt) -> list[Block]:
    return [
        title("🎉 Крупная сделка!"),
        block(line(b(employee), f" закрыл(а) сделку «{deal}» на ", b(fmt.money(amount)))),
    ]


def plan_met(who: str, name: str, m: Metric, period_label: str, fmt: Fmt) -> list[Block]:
    return [
        title("🎯 План выполнен!"),
        block(
            line(
                b(who),
                f": {metric_name(name).lower()} за {period_label} — ",
                b(figure(name, m.fact, fmt)),
                f" при плане {figure(name, m.plan, fmt)}",
            )
        ),
    ]


# --- live missed-call alerts (jobs.live_missed) ---------------------------------------------

CARD_KINDS = {"company": "Компания", "contact": "Контакт", "lead": "Лид"}


def _card_line(card: Card | None, in_crm: bool) -> Line:
    if card is not None:
        return line(f"{CARD_KINDS[card.kind]}: ", link(short(card.title), card.url))
    # a card the portal has but the store does not yet: nothing to name, nothing to claim
    return () if in_crm else line("Номера нет в CRM")


def live_missed_alert(
    phone: str, at: datetime, card: Card | None, *, in_crm: bool, nobody: bool, fmt: Fmt
) -> list[Block]:
    """Right after the call: to its employee, or to a head when ``nobody`` took it."""
    head = "📵 Никто не взял трубку" if nobody else "📵 Пропущенный звонок"
    hint = "Перезвоните или поручите звонок сотруднику." if nobody else "Перезвоните клиенту."
    return [
        title(f"{head} · {fmt.when(at)}"),
        block(line(b(phone_text(phone))), _card_line(card, in_crm), line(hint)),
    ]


def after(delta: timedelta) -> str:
    """'40 с', '7 мин', '1 ч 5 мин'."""
    seconds = max(int(delta.total_seconds()), 0)
    return f"{seconds} с" if seconds < 60 else ago(delta)


def live_callback_note(
    phone: str, card: Card | None, delay: timedelta, by: str | None
) -> list[Block]:
    """The follow-up in the alert's dialog; ``by``: who called back, None for the reader."""
    who = f"{by} перезвонил(а)" if by else "перезвонили"
    about = f" · {short(card.title)}" if card is not None else ""
    return [block(line("✅ ", b(phone_text(phone)), about, f": {who} через {after(delay)}"))]
