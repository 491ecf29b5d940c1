"""Free-order command arguments: what is understood, and what comes back as a question."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest

from bot.args import COMPANY, Ambiguity, Parsed, Problem, Target, parse_args
from kpi.periods import PeriodError
from tests.kpi_data import MSK, at

NOW = at(MSK, 2026, 3, 6, 12)
ANNA = Target("employee", 10, "Anna Orlova")
ANNA_P = Target("employee", 15, "Anna Petrova")
BORIS = Target("employee", 11, "Boris Petrov")
SALES = Target("department", 1, "Продажи")
MOSCOW = Target("department", 2, "Продажи Москва")


class Directory:
    """A tiny directory with the matching rules of kpi.scope (exact name first, then parts)."""

    people: tuple[Target, ...] = (ANNA, ANNA_P, BORIS)
    depts: tuple[Target, ...] = (SALES, MOSCOW)

    def employees(self, text: str) -> Sequence[Target]:
        return _match(self.people, text)

    def departments(self, text: str) -> Sequence[Target]:
        return _match(self.depts, text)

    def username(self, name: str) -> Target | None:
        return {"anna": ANNA, "boris": BORIS}.get(name.lower())


def _match(pool: Sequence[Target], text: str) -> list[Target]:
    wanted = text.lower()
    if wanted.isdigit():
        return [t for t in pool if t.id == int(wanted)]
    exact = [t for t in pool if t.name.lower() == wanted]
    return exact or [t for t in pool if all(p in t.name.lower() for p in wanted.split())]


def parse(text: str, reports: Sequence[str] = ()) -> Parsed | Ambiguity:
    return parse_args(text, now=NOW, tz=MSK, directory=Directory(), reports=reports)


def days(parsed: Parsed | Ambiguity) -> tuple[date, date]:
    assert isinstance(parsed, Parsed)
    assert parsed.period is not None
    return parsed.period.start.date(), parsed.period.end.date()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("month", "month"),
        ("за месяц", "month"),
        ("прошлая неделя", "last_week"),
        ("за прошлую неделю", "last_week"),
        ("last week", "last_week"),
        ("this month", "month"),
        ("вчера", "yesterday"),
        ("Квартал", "quarter"),
        ("2026-03-01..2026-03-15", "2026-03-01..2026-03-15"),
        ("01.03.2026-15.03.2026", "2026-03-01..2026-03-15"),
        ("2026-03-01 2026-03-15", "2026-03-01..2026-03-15"),
        ("05.03.2026", "2026-03-05..2026-03-05"),
    ],
)
def test_period_words_and_ranges(text: str, name: str) -> None:
    parsed = parse(text)
    assert isinstance(parsed, Parsed)
    assert parsed.period is not None
    assert parsed.period.name == name
    assert parsed.target is None


def test_free_order_period_and_person() -> None:
    for text in ("Orlova week", "week Orlova", "Anna week Orlova", "за неделю Anna Orlova"):
        parsed = parse(text)
        assert isinstance(parsed, Parsed), text
        assert parsed.target == ANNA, text
        assert parsed.period is not None
        assert parsed.period.name == "week"


def target(text: str) -> Target | None:
    parsed = parse(text)
    assert isinstance(parsed, Parsed), parsed
    return parsed.target


def test_usernames_ids_departments_and_company() -> None:
    yesterday = parse("вчера")
    assert isinstance(yesterday, Parsed)
    assert parse("@Boris вчера") == Parsed(period=yesterday.period, target=BORIS)
    assert target("отдел Москва") == MOSCOW
    assert target("Продажи") == SALES  # the exact name beats the part
    assert target("все") == COMPANY
    assert target("all month") == COMPANY
    assert target("11") == BORIS
    # the English replies say "rep", so a rep is understood as one
    assert target("rep Boris") == target("сотрудник Boris") == target("employee Boris") == BORIS


def test_a_name_that_fits_several_is_asked_about() -> None:
    asked = parse("Anna month")
    assert isinstance(asked, Ambiguity)
    assert asked.problem is Problem.AMBIGUOUS
    assert asked.words == ("Anna",)
    assert [c.target for c in asked.choices] == [ANNA, ANNA_P]
    assert asked.understood.period is not None and asked.understood.period.name == "month"


def test_an_id_that_is_both_a_person_and_a_department_is_asked_about() -> None:
    assert target("2") == MOSCOW
    store = Directory()
    store.depts = (SALES, MOSCOW, Target("department", 11, "Склад"))
    asked = parse_args("11", now=NOW, tz=MSK, directory=store)
    assert isinstance(asked, Ambiguity)
    assert asked.problem is Problem.AMBIGUOUS
    assert [c.label for c in asked.choices] == ["Boris Petrov", "🏢 Склад"]


def test_unknown_words_offer_periods_when_no_period_was_understood() -> None:
    asked = parse("mnth")
    assert isinstance(asked, Ambiguity)
    assert asked.problem is Problem.UNKNOWN
    assert asked.words == ("mnth",)
    assert [c.period.name for c in asked.choices if c.period] == [
        "today",
        "yesterday",
        "week",
        "last_week",
        "month",
        "last_month",
        "quarter",
        "year",
    ]


def test_unknown_words_beside_a_period_offer_what_was_understood() -> None:
    asked = parse("@nobody week")
    assert isinstance(asked, Ambiguity)
    assert asked.problem is Problem.UNKNOWN
    assert asked.words == ("@nobody",)
    assert len(asked.choices) == 1
    assert asked.choices[0].period is not None and asked.choices[0].period.name == "week"


def test_two_periods_or_two_people_conflict() -> None:
    asked = parse("week month")
    assert isinstance(asked, Ambiguity)
    assert asked.problem is Problem.CONFLICT
    assert [c.period.name for c in asked.choices if c.period] == ["week", "month"]
    same = parse("week неделя")
    assert isinstance(same, Parsed)  # the same period twice is no conflict
    both = parse("@anna Boris")
    assert isinstance(both, Ambiguity)
    assert both.problem is Problem.CONFLICT
    assert {c.target for c in both.choices} == {ANNA, BORIS}


def test_a_malformed_range_says_why_instead_of_unknown_word() -> None:
    with pytest.raises(PeriodError, match="starts after it ends"):
        parse("2026-03-15..2026-03-01")
    with pytest.raises(PeriodError, match="starts after it ends"):
        parse("15.03.2026-01.03.2026")
    with pytest.raises(PeriodError, match="not a date"):
        parse("2026-02-30")


def test_report_names_for_export() -> None:
    parsed = parse("calls month Orlova", reports=("calls", "rating"))
    assert isinstance(parsed, Parsed)
    assert (parsed.report, parsed.target) == ("calls", ANNA)
    twice = parse("calls rating", reports=("calls", "rating"))
    assert isinstance(twice, Ambiguity)
    assert twice.words == ("rating",)


def test_nothing_given_is_nothing_understood() -> None:
    assert parse("") == Parsed()
    assert parse("  ,  ") == Parsed()
    assert days(parse("2026-03-05")) == (date(2026, 3, 5), date(2026, 3, 6))
