"""A badge card: a small image for the team chat when someone earns a badge.

Small on purpose (800 x 400): a chat shows it as a card, not a report. Words come in as
arguments; the drawing knows a symbol, a colour and three lines of text.
"""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch

from charts.theme import DPI, FONT, INK, MUTED, WHITE, fit, pt

CARD_W, CARD_H = 800, 400
# Glyphs DejaVu Sans has (no colour emoji in matplotlib): one per rule, a star otherwise.
SYMBOLS = {
    "first_deal_month": "★",
    "calls_day": "☎",
    "best_week": "▲",
    "plan_months": "✓",
    "fastest_callback": "⚡",
}
COLORS = {
    "first_deal_month": "#e0a82e",
    "calls_day": "#3a78c3",
    "best_week": "#2f9e5a",
    "plan_months": "#7b4fc9",
    "fastest_callback": "#d64541",
}


def badge_figure(rule: str, title: str, person: str, detail: str) -> Figure:
    color = COLORS.get(rule, "#e0a82e")
    fig = Figure(figsize=(CARD_W / DPI, CARD_H / DPI), dpi=DPI, facecolor=WHITE)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, CARD_W)
    ax.set_ylim(0, CARD_H)
    ax.axis("off")
    ax.add_patch(
        FancyBboxPatch(
            (14, 14),
            CARD_W - 28,
            CARD_H - 28,
            boxstyle="round,pad=0,rounding_size=24",
            facecolor=WHITE,
            edgecolor=color,
            linewidth=6,
        )
    )
    cx, cy = 170, CARD_H / 2
    ax.add_patch(Circle((cx, cy), 112, facecolor=color, edgecolor="none"))
    ax.add_patch(Circle((cx, cy), 92, facecolor="none", edgecolor=WHITE, linewidth=4))
    _text(ax, cx, cy - 4, SYMBOLS.get(rule, "★"), size=96, color=WHITE, ha="center", va="center")
    left, width = 320, CARD_W - 320 - 44
    heads = _wrap(title, width, 32)[:2]
    details = _wrap(detail, width, 22)[:3]
    lines = [(h, 32, INK, True) for h in heads] + [(fit(person, width, 28), 28, color, True)]
    lines += [(d, 22, MUTED, False) for d in details]
    gaps = [14 if n in (len(heads), len(heads) + 1) else 8 for n in range(len(lines))]
    height = sum(size for _, size, _, _ in lines) + sum(gaps[1:])
    y = cy + height / 2
    for n, (part, size, shade, bold) in enumerate(lines):
        y -= size + (gaps[n] if n else 0)
        _text(ax, left, y, part, size=size, color=shade, bold=bold)
    return fig


def _text(
    ax: object,
    x: float,
    y: float,
    text: str,
    *,
    size: float,
    color: str,
    bold: bool = False,
    ha: str = "left",
    va: str = "baseline",
) -> None:
    ax.text(  # type: ignore[attr-defined]
        x,
        y,
        text,
        fontsize=pt(size),
        fontfamily=FONT,
        color=color,
        ha=ha,
        va=va,
        fontweight="bold" if bold else "normal",
    )


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Words onto lines that fit ``width`` px (the last line cut if it must be)."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and fit(candidate, width, size) == candidate:
            lines[-1] = candidate
        else:
            lines.append(word)
    return [fit(line, width, size) for line in lines]
