"""What the caption of every report shares: its context, title line, footer, list lines."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from kpi.common import ReportMeta
from locales import _
from reports.kpi_words import kpi_word, period_label
from reports.lists import ListItem
from reports.markup import Block, Line, Span, b, block, i, line, link, listing
from reports.text import Fmt, short

T = TypeVar("T")

# How many list items a short caption and a long text show before "и ещё N".
SHORT_ITEMS = 3
LONG_ITEMS = 40


@dataclass(frozen=True)
class Ctx:
    """What a body function gets besides the figures."""

    fmt: Fmt
    long: bool
    lists: Mapping[str, tuple[ListItem, ...]]

    @property
    def items(self) -> int:
        return LONG_ITEMS if self.long else SHORT_ITEMS


Body = Callable[[Any, Ctx], list[Block]]


def head(title: str, meta: ReportMeta) -> Block:
    """'<b>🏆 Рейтинг</b> · ноябрь 2026 · Отдел продаж' (the company scope goes unsaid)."""
    parts: list[str | Span] = [b(title), f" · {period_label(meta.period)}"]
    if meta.scope.kind != "company":
        parts.append(f" · {name(meta.scope.name)}")
    return Block((line(*parts),), keep=True)


def foot(meta: ReportMeta, fmt: Fmt) -> Block:
    text, warning = fmt.freshness(meta.data_as_of)
    return Block((line(b(text) if warning else i(text)),), keep=True)


def first(rows: Sequence[T], ctx: Ctx) -> tuple[T, ...]:
    return tuple(rows[: ctx.items])


def items_block(items: Sequence[ListItem], ctx: Ctx) -> Block:
    """'• <a href=card>ООО Ромашка</a> — Анна Орлова, нет контактов', first items only."""
    return listing([item_line(item) for item in first(items, ctx)], len(items))


def item_line(item: ListItem) -> Line:
    star = "★ " if item.key else ""
    return line(f"• {star}", link(short(item.title), item.url), f" — {item.detail}")


def joined(*parts: str) -> str:
    """Parts of one line joined by a middle dot, empty ones dropped."""
    return " · ".join(p for p in parts if p)


def with_change(text: str, delta: str) -> str:
    return f"{text} {delta}" if delta else text


def nothing(text: str | None = None) -> Block:
    """An italic 'nothing to show' line; ``text`` already in the reader's language."""
    return block(line(i(_("Нет данных за период") if text is None else text)))


def name(text: str) -> str:
    """A row's name for a caption: kpi's own words ('Итого') translated, then shortened."""
    return short(kpi_word(text))
