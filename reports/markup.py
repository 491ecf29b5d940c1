"""One caption, two chats: a tiny document model rendered as Telegram HTML and Bitrix24 BB-code.

A caption is a sequence of blocks of lines of spans. Writing the content once and rendering
it twice keeps the two chats saying the same thing, and lets ``fit`` cut it to a chat's
limit by structure (lists lose items and say "и ещё N") instead of by characters, which
could split a tag or an entity.

Telegram counts a caption's length after entity parsing, so the HTML is measured by its
visible text in UTF-16 code units (what Telegram counts; never fewer than characters).
Bitrix24 counts the message as sent, tags included.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from locales import _

Style = Literal["", "b", "i", "code"]

TELEGRAM_CAPTION = 1024
TELEGRAM_MESSAGE = 4096
# Bitrix24 rejects messages over 20 000 characters; the margin covers its own rewriting.
BITRIX_MESSAGE = 19_000
# Span lengths tried, longest first, when cutting lists was not enough.
_SPAN_CAPS = (80, 40, 20, 10)


@dataclass(frozen=True)
class Span:
    text: str
    style: Style = ""
    url: str | None = None


Line = tuple[Span, ...]


@dataclass(frozen=True)
class Block:
    """Lines shown together. A list (``total`` set) shows its first lines out of ``total``
    items and may lose more from its end, saying how many are left out."""

    lines: tuple[Line, ...]
    total: int | None = None
    keep: bool = False  # the title and the freshness line: never dropped


def line(*parts: str | Span) -> Line:
    return tuple(Span(p) if isinstance(p, str) else p for p in parts if p != "")


def b(text: str) -> Span:
    return Span(text, "b")


def i(text: str) -> Span:
    return Span(text, "i")


def code(text: str) -> Span:
    return Span(text, "code")


def link(text: str, url: str | None, style: Style = "") -> Span:
    """A link only to a web address: Telegram refuses a message with a relative href."""
    usable = url is not None and url.startswith(("https://", "http://"))
    return Span(text, style, url if usable else None)


def block(*lines: Line) -> Block:
    return Block(tuple(ln for ln in lines if ln))


def listing(lines: Sequence[Line], total: int | None = None) -> Block:
    """A list of which ``lines`` are the first items; ``total`` items in all."""
    return Block(tuple(lines), total=len(lines) if total is None else total)


def more_line(hidden: int) -> Line:
    return (Span(_("… и ещё {n}").format(n=hidden), "i"),)


_FIELD = re.compile(r"\{(\w+)\}")


def phrase(template: str, **values: str | Span) -> Line:
    """A translated sentence whose fields may be styled spans ('Звонков {n}', n=b('42')).

    A translation may move a bold figure within its sentence; the words stay one message
    instead of pieces glued together in Russian word order. Plain text next to plain text
    becomes one span, as an f-string would have made it.
    """
    parts: list[str | Span] = []
    at = 0
    for field in _FIELD.finditer(template):
        parts += [template[at : field.start()], values[field[1]]]
        at = field.end()
    parts.append(template[at:])
    merged: list[str | Span] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return line(*merged)


# --- rendering ---------------------------------------------------------------------------


def _html_span(span: Span) -> str:
    text = html.escape(span.text, quote=False)
    if span.style:
        text = f"<{span.style}>{text}</{span.style}>"
    if span.url:
        text = f'<a href="{html.escape(span.url, quote=True)}">{text}</a>'
    return text


def bb_text(text: str) -> str:
    """User text made inert for BB-code: brackets become parentheses, so '[b]' in a
    company title is shown, not applied."""
    return text.replace("[", "(").replace("]", ")")


def _bb_url(url: str) -> str:
    return url.replace("[", "%5B").replace("]", "%5D").replace(" ", "%20")


def _bb_span(span: Span) -> str:
    text = bb_text(span.text)
    if span.style in ("b", "i"):
        text = f"[{span.style}]{text}[/{span.style}]"
    if span.url:
        text = f"[url={_bb_url(span.url)}]{text}[/url]"
    return text


def html_line(ln: Line) -> str:
    return "".join(_html_span(s) for s in ln)


def bb_line(ln: Line) -> str:
    return "".join(_bb_span(s) for s in ln)


def visible_len(ln: Line) -> int:
    """Telegram's length of a line: its text in UTF-16 code units."""
    return sum(len(s.text.encode("utf-16-le")) // 2 for s in ln)


def _lines(blocks: Sequence[Block]) -> list[Line]:
    out: list[Line] = []
    for blk in blocks:
        out.extend(blk.lines)
        if blk.total is not None and blk.total > len(blk.lines):
            out.append(more_line(blk.total - len(blk.lines)))
    return out


def to_html(blocks: Sequence[Block]) -> str:
    return "\n".join(html_line(ln) for ln in _lines(blocks))


def to_bb(blocks: Sequence[Block]) -> str:
    return "\n".join(bb_line(ln) for ln in _lines(blocks))


def measure(blocks: Sequence[Block], line_len: Callable[[Line], int]) -> int:
    lines = _lines(blocks)
    return sum(line_len(ln) for ln in lines) + max(len(lines) - 1, 0)


# --- fitting to a limit --------------------------------------------------------------------


def fit(blocks: Sequence[Block], limit: int, line_len: Callable[[Line], int]) -> list[Block]:
    """The blocks cut to ``limit``: lists lose items from their ends (the longest list
    first), then long texts are shortened, then blocks not marked ``keep`` are dropped
    from the end."""
    current = list(blocks)
    if measure(current, line_len) <= limit:
        return current
    current = _cut_lists(current, limit, line_len)
    for cap in _SPAN_CAPS:
        if measure(current, line_len) <= limit:
            return current
        current = [
            replace(blk, lines=tuple(_short(ln, cap) for ln in blk.lines)) for blk in current
        ]
    while measure(current, line_len) > limit:
        droppable = [n for n, blk in enumerate(current) if not blk.keep]
        if not droppable:
            return _hard_cut(current, limit, line_len)
        del current[droppable[-1]]
    return current


def _cut_lists(blocks: list[Block], limit: int, line_len: Callable[[Line], int]) -> list[Block]:
    shown = [len(blk.lines) if blk.total is not None else 0 for blk in blocks]
    size = measure(blocks, line_len)
    while size > limit and any(shown):
        # the list showing most items gives one up; on a tie the later list (less important)
        n = max(range(len(blocks)), key=lambda k: (shown[k], k))
        blk = blocks[n]
        before = measure([blk], line_len)
        shown[n] -= 1
        blocks[n] = replace(blk, lines=blk.lines[: shown[n]])
        size += measure([blocks[n]], line_len) - before
    return blocks


def _short(ln: Line, cap: int) -> Line:
    return tuple(
        replace(s, text=s.text[: cap - 1].rstrip() + "…") if len(s.text) > cap else s for s in ln
    )


def _hard_cut(blocks: list[Block], limit: int, line_len: Callable[[Line], int]) -> list[Block]:
    """Kept lines only, as many as fit; the last resort when even the title is too long."""
    kept: list[Line] = []
    for ln in _lines(blocks):
        if measure([Block((*kept, ln))], line_len) > limit:
            break
        kept.append(ln)
    return [Block(tuple(kept), keep=True)]
