"""Numbers and words of the captions, as a Russian reader expects them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from locales import ngettext
from reports.text import (
    change,
    count,
    currency_sign,
    number,
    percent,
    points,
    rank_change,
    short,
)
from tests.unit.chart_fixtures import NOW, TZ

T, N = "\u202f", "\u00a0"  # thin (thousands) and no-break (before a unit) spaces


def plain(text: str) -> str:
    return text.replace(T, " ").replace(N, " ")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (999, "999"),
        (1234, f"1{T}234"),
        (1234567, f"1{T}234{T}567"),
        (-5000, f"−5{T}000"),
    ],
)
def test_count_groups_thousands_with_thin_spaces(value: int, expected: str) -> None:
    assert count(value) == expected


def test_count_rounds_half_up() -> None:
    assert count(Decimal("2.5")) == "3"
    assert count(Decimal("170000.50")) == f"170{T}001"


def test_number_uses_a_decimal_comma() -> None:
    assert number(Decimal("12.50")) == "12,5"
    assert number(Decimal("12.00")) == "12"
    assert number(1234.56, 2) == f"1{T}234,56"
    assert number(Decimal("-0.5")) == "−0,5"


DEALS = (1, 3, 5, 11, 21, 112)


def test_percent_and_plural() -> None:
    assert percent(0.413) == f"41{N}%"
    assert percent(None) == "—"
    deals = [ngettext("{n}\u00a0сделка", "{n}\u00a0сделок", n).format(n=count(n)) for n in DEALS]
    assert [plain(text) for text in deals] == [
        "1 сделка",
        "3 сделки",
        "5 сделок",
        "11 сделок",
        "21 сделка",
        "112 сделок",
    ]
    assert plain(points(Decimal("42.5"))) == "42,5 балла"
    assert plain(points(Decimal("21.0"))) == "21 балл"


def test_change_arrows() -> None:
    assert plain(change(112, 100)) == "▲ 12 %"
    assert plain(change(90, 100)) == "▼ 10 %"
    assert plain(change(100, 100)) == "= 0 %"
    assert plain(change(5, 0)) == "▲ 5"  # nothing to divide by: the absolute change
    assert change(0, 0) == ""
    assert change(5, None) == ""
    assert plain(change(0.45, 0.4, kind="pp")) == "▲ 5 п.п."
    assert plain(change(3, 7, kind="abs")) == "▼ 4"
    assert rank_change(2) == "▲2" and rank_change(-1) == "▼1" and rank_change(0) == ""


def test_money_and_freshness() -> None:
    from reports.text import Fmt

    fmt = Fmt(TZ, NOW)
    assert fmt.money(Decimal("1234567.49")) == f"1{T}234{T}567{N}₽"
    assert fmt.money(None) == "—"
    assert fmt.freshness(NOW) == ("данные на 09:05", False)
    assert currency_sign("usd") == "$" and currency_sign(None) == "₽"
    assert currency_sign("CNY") == "CNY"


def test_short_names() -> None:
    assert short("  Анна   Орлова ") == "Анна Орлова"
    cut = short("А" * 100)
    assert len(cut) == 40 and cut.endswith("…")


def test_a_change_under_one_percent_is_about_the_same_not_an_arrow() -> None:
    assert change(405, Decimal("404.5")) == "≈\u00a00\u00a0%"
    assert change(450, 400) == "▲\u00a013\u00a0%"


def test_missed_calls_split_into_parts_that_add_up() -> None:
    from reports.caption_calls import callback_split

    # 22 missed: 18 called back (14 of them late, which DESIGN.md also counts as lost).
    assert callback_split(22, 18, 18) == ": перезвонили вовремя 4, позже 14, не перезвонили 4"
    assert callback_split(3, 3, 0) == ": перезвонили вовремя 3"
