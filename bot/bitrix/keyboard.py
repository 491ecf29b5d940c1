"""Bitrix24 ``KEYBOARD`` blocks as pure functions: period buttons and choices.

A ``COMMAND`` button raises the bot's command event with ``COMMAND_PARAMS`` as its arguments
(reference §8.3), so each button is simply the command written out in full: the period word
and who, in words ``bot.args`` reads back unambiguously ("отдел 12", "сотрудник 7", "все").
Only a bot's own registered commands can answer a button, so only a bot sends these.
"""

from __future__ import annotations

from typing import Any

from bot.args import Ambiguity, Problem, Target
from bot.bitrix.texts import AS_UNDERSTOOD, say
from kpi.periods import Period, period_choices
from reports.kpi_words import period_label

PERIODS_PER_ROW = 4
NEWLINE: dict[str, str] = {"TYPE": "NEWLINE"}


def target_words(target: Target) -> str:
    """Arguments naming exactly this target, whatever else shares its name or id."""
    if target.kind == "company" or target.id is None:
        return "все"
    if target.kind == "department":
        return f"отдел {target.id}"
    return f"сотрудник {target.id}"


def command_params(period: Period | str, target: Target | None) -> str:
    word = period if isinstance(period, str) else period.name
    who = target_words(target) if target is not None else ""
    return f"{word} {who}".strip()


def button(text: str, command: str, params: str, *, current: bool = False) -> dict[str, Any]:
    return {
        "TEXT": text,
        "COMMAND": command,
        "COMMAND_PARAMS": params,
        "DISPLAY": "LINE",
        "BG_COLOR_TOKEN": "primary" if current else "secondary",
    }


def rows(buttons: list[dict[str, Any]], per_row: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n, item in enumerate(buttons):
        if n and n % per_row == 0:
            out.append(NEWLINE)
        out.append(item)
    return out


def period_keyboard(report: str, period: Period, target: Target) -> dict[str, Any]:
    """Every named period for the same report and target; the one shown is marked."""
    buttons = [
        button(
            f"• {period_label(choice)}" if choice.name == period.name else period_label(choice),
            report,
            command_params(choice.name, target),
            current=choice.name == period.name,
        )
        for choice in period_choices()
    ]
    return {"BUTTONS": rows(buttons, PERIODS_PER_ROW)}


def choices_keyboard(
    report: str, ambiguity: Ambiguity, period: Period, target: Target | None
) -> dict[str, Any] | None:
    """One button per way out of an ambiguity; each redoes the command with it."""
    buttons = []
    for choice in ambiguity.choices:
        chosen = choice.target or ambiguity.understood.target or target
        when = choice.period or ambiguity.understood.period or period
        if chosen is None:
            continue
        label = choice.label
        if choice.period is not None and choice.target is None:
            label = period_label(choice.period)
        buttons.append(button(label or say(AS_UNDERSTOOD), report, command_params(when, chosen)))
    if not buttons:
        return None
    per_row = PERIODS_PER_ROW if ambiguity.problem is Problem.UNKNOWN else 1
    return {"BUTTONS": rows(buttons, per_row)}
