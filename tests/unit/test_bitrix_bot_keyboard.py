"""Period buttons and choice buttons: each one, sent back as a command, means what it shows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pytest

from bot.args import COMPANY, Ambiguity, Parsed, Problem, Target, parse_args
from bot.bitrix.keyboard import NEWLINE, choices_keyboard, period_keyboard, target_words
from kpi.periods import PERIOD_NAMES, parse_period
from tests.kpi_data import MSK, at

NOW: datetime = at(MSK, 2026, 3, 5, 12)
# An employee and a department that share the id 12, and a name two people share.
ANNA = Target("employee", 12, "Анна Орлова")
SALES = Target("department", 12, "Продажи")
OLGA = Target("employee", 7, "Ольга Орлова")


class Directory:
    def employees(self, text: str) -> Sequence[Target]:
        found = {"12": [ANNA], "7": [OLGA], "орлова": [ANNA, OLGA]}
        return found.get(text.lower(), [])

    def departments(self, text: str) -> Sequence[Target]:
        return [SALES] if text.lower() in ("12", "продажи") else []

    def username(self, name: str) -> Target | None:
        return None


def _parse(params: str) -> Parsed | Ambiguity:
    return parse_args(params, now=NOW, tz=MSK, directory=Directory())


def _buttons(keyboard: dict[str, object] | None) -> list[dict[str, str]]:
    assert keyboard is not None
    buttons = keyboard["BUTTONS"]
    assert isinstance(buttons, list)
    return [b for b in buttons if b != NEWLINE]


@pytest.mark.parametrize("target", [COMPANY, ANNA, SALES])
def test_every_period_button_reads_back_as_its_period_and_target(target: Target) -> None:
    shown = parse_period("month", now=NOW, tz=MSK)
    buttons = _buttons(period_keyboard("calls", shown, target))
    assert [b["COMMAND"] for b in buttons] == ["calls"] * len(PERIOD_NAMES)
    for name, button in zip(PERIOD_NAMES, buttons, strict=True):
        parsed = _parse(button["COMMAND_PARAMS"])
        assert isinstance(parsed, Parsed), button
        assert parsed.period is not None and parsed.period.name == name
        assert parsed.target == (COMPANY if target is COMPANY else target)


def test_the_period_shown_is_marked_and_rows_hold_four() -> None:
    shown = parse_period("week", now=NOW, tz=MSK)
    keyboard = period_keyboard("rating", shown, COMPANY)
    items = keyboard["BUTTONS"]
    assert [n for n, b in enumerate(items) if b == NEWLINE] == [4]
    marked = [b for b in _buttons(keyboard) if b["TEXT"].startswith("• ")]
    assert [b["TEXT"] for b in marked] == ["• Неделя"]
    assert marked[0]["BG_COLOR_TOKEN"] == "primary"


def test_target_words_name_one_target_even_when_ids_collide() -> None:
    assert target_words(SALES) == "отдел 12"
    assert target_words(ANNA) == "сотрудник 12"
    assert target_words(COMPANY) == "все"
    # what the words avoid: a bare id that fits an employee and a department at once
    assert isinstance(_parse("12"), Ambiguity)


def test_choice_buttons_redo_the_command_with_each_choice() -> None:
    ambiguity = _parse("Орлова неделя")
    assert isinstance(ambiguity, Ambiguity) and ambiguity.problem is Problem.AMBIGUOUS
    month = parse_period("month", now=NOW, tz=MSK)
    buttons = _buttons(choices_keyboard("calls", ambiguity, month, COMPANY))
    assert [b["TEXT"] for b in buttons] == ["Анна Орлова", "Ольга Орлова"]
    for button, person in zip(buttons, (ANNA, OLGA), strict=True):
        parsed = _parse(button["COMMAND_PARAMS"])
        assert isinstance(parsed, Parsed)
        assert parsed.target == person
        assert parsed.period is not None and parsed.period.name == "week"  # as understood


def test_an_unknown_word_offers_the_named_periods() -> None:
    """The words said nobody: the buttons ask about the asker's default target."""
    ambiguity = _parse("позавчера")
    assert isinstance(ambiguity, Ambiguity) and ambiguity.problem is Problem.UNKNOWN
    month = parse_period("month", now=NOW, tz=MSK)
    buttons = _buttons(choices_keyboard("calls", ambiguity, month, ANNA))
    assert [b["COMMAND_PARAMS"] for b in buttons] == [f"{n} сотрудник 12" for n in PERIOD_NAMES]
    assert choices_keyboard("calls", ambiguity, month, None) is None
