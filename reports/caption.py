"""A report's captions: a short one for under the chart, a long one for a text reply.

Each is rendered for Telegram (HTML, the caption <= 1024 visible characters, the text <=
4096) and for Bitrix24 (BB-code, under its 20 000-character message limit), cut to fit by
``reports.markup.fit``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from kpi.common import ReportMeta
from reports import caption_calls, caption_game, caption_people, caption_sales
from reports.caption_channels import channels as channels_body
from reports.caption_common import Body, Ctx, foot, head
from reports.lists import ListItem
from reports.markup import (
    BITRIX_MESSAGE,
    TELEGRAM_CAPTION,
    TELEGRAM_MESSAGE,
    Block,
    bb_line,
    fit,
    to_bb,
    to_html,
    visible_len,
)
from reports.text import Fmt

BODIES: Mapping[str, Body] = MappingProxyType(
    {
        "rating": caption_people.rating,
        "coverage": caption_people.coverage,
        "calls": caption_calls.calls,
        "missed": caption_calls.missed,
        "kpi": caption_people.kpi,
        "plan": caption_sales.plan,
        "funnel": caption_sales.funnel,
        "conversion": caption_sales.conversion,
        "lost": caption_sales.lost,
        "abc": caption_sales.abc,
        "tasks": caption_people.tasks,
        "streaks": caption_game.streaks,
        "channels": channels_body,
    }
)


@dataclass(frozen=True)
class Captions:
    caption_html: str  # under a photo: <= 1024 visible characters
    caption_bb: str
    text_html: str  # a text message: <= 4096 visible characters
    text_bb: str


def telegram(blocks: Sequence[Block], limit: int) -> str:
    return to_html(fit(blocks, limit, visible_len))


def bitrix(blocks: Sequence[Block], limit: int = BITRIX_MESSAGE) -> str:
    return to_bb(fit(blocks, limit, lambda ln: len(bb_line(ln))))


def render(short: Sequence[Block], long: Sequence[Block]) -> Captions:
    """Both versions for both chats. Bitrix24 has no separate caption limit, but a message
    under the chart reads best short there too."""
    return Captions(
        caption_html=telegram(short, TELEGRAM_CAPTION),
        caption_bb=bitrix(short),
        text_html=telegram(long, TELEGRAM_MESSAGE),
        text_bb=bitrix(long),
    )


def report_blocks(
    name: str,
    title: str,
    figures: Any,
    fmt: Fmt,
    lists: Mapping[str, tuple[ListItem, ...]],
    *,
    long: bool,
) -> list[Block]:
    """Title, body and freshness of one report, before fitting."""
    meta: ReportMeta = figures.meta
    body = BODIES[name](figures, Ctx(fmt, long, lists))
    return [head(title, meta), *body, foot(meta, fmt)]


def captions(
    name: str, title: str, figures: Any, fmt: Fmt, lists: Mapping[str, tuple[ListItem, ...]]
) -> Captions:
    return render(
        report_blocks(name, title, figures, fmt, lists, long=False),
        report_blocks(name, title, figures, fmt, lists, long=True),
    )
