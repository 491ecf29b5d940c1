"""The jobs' own short messages (alerts, digests, celebrations) in both chats' markup."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from charts.draw_kpi import METRIC_NAMES
from charts.theme import phone_text
from kpi.kpiplan import Metric
from reports.caption import bitrix, telegram
from reports.markup import TELEGRAM_MESSAGE, Block, Line, b, block, line, link, listing
from reports.text import Fmt, number

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
