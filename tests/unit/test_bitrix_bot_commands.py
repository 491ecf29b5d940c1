"""What the Bitrix24 bot answers, with the same access rules as Telegram, without a portal.

The store is ``tests.unit.reports_fixtures``: department 1 "Продажи" with sub-department 2
"Продажи Москва"; Anna (10, dept 1), Boris (11, dept 2), Vera (12, dept 2), Gleb (13,
accounting), Dina (14, fired). The portal client is never asked anything here: answers are
computed from the store, posting them is the messenger's job.
"""

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from io import BytesIO

import httpx
import pytest
from sqlalchemy.engine import Engine

from bot.bitrix import texts
from bot.bitrix.commands import BitrixDeps, Reply, answer
from bot.bitrix.events import ChatEvent
from bot.bitrix.keyboard import NEWLINE
from bot.bitrix.settings import BitrixChatSettings
from bot.settings import BotSettings, Person, Role
from crm.client import BitrixClient
from reports.build import Report, build_report, report_xlsx
from tests.unit import reports_fixtures as rf

ANNA, BORIS, VERA, GLEB, DINA = 10, 11, 12, 13, 14
PEOPLE = BotSettings(people=(Person(BORIS, role=Role.HEAD), Person(GLEB, role=Role.ADMIN)))


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = rf.open_store(tmp_path_factory.mktemp("bitrix") / "store.db")
    yield engine
    engine.dispose()


@pytest.fixture
async def deps(engine: Engine) -> AsyncIterator[BitrixDeps]:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"the portal was asked {request.url.path}")

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
        yield BitrixDeps(
            settings=BitrixChatSettings(enabled=True),
            people=PEOPLE,
            kpi=rf.settings(),
            engine=engine,
            client=BitrixClient(http, "https://example.bitrix24.ru/rest/1/code123/"),
            build_report=build_report,
            report_xlsx=report_xlsx,
            clock=lambda: rf.NOW,
        )


def ask(deps: BitrixDeps, user: int, text: str, dialog: str = "chat5") -> Reply | None:
    word, _, rest = text.partition(" ")
    command = word[1:] if word.startswith("/") else None
    event = ChatEvent(
        type="ONIMBOTV2COMMANDADD" if command else "ONIMBOTV2MESSAGEADD",
        dialog_id=dialog,
        user_id=user,
        text=text,
        command=command,
        params=rest if command else text,
        context="textarea",
    )
    return answer(deps, event, rf.NOW)


def report_of(reply: Reply | None) -> Report:
    assert reply is not None and reply.report is not None, reply
    return reply.report


def denied(reply: Reply | None) -> bool:
    return reply is not None and reply.report is None and "не видны" in reply.text


def test_a_head_sees_their_department_by_default_with_period_buttons(deps: BitrixDeps) -> None:
    reply = ask(deps, BORIS, "/calls")
    report = report_of(reply)
    assert (report.meta.scope.kind, report.meta.scope.id) == ("department", 2)
    assert report.meta.period.name == "month"
    assert report.png is not None and report.png.startswith(b"\x89PNG")
    assert reply is not None and reply.keyboard is not None
    buttons = [b for b in reply.keyboard["BUTTONS"] if b != NEWLINE]
    assert {b["COMMAND"] for b in buttons} == {"calls"}
    assert "week отдел 2" in {b["COMMAND_PARAMS"] for b in buttons}


def test_a_head_is_refused_a_department_above_theirs(deps: BitrixDeps) -> None:
    assert denied(ask(deps, BORIS, "/calls отдел Продажи"))
    assert denied(ask(deps, BORIS, "/coverage Anna"))
    assert report_of(ask(deps, BORIS, "/calls Vera неделя")).meta.scope.id == VERA


def test_an_employee_sees_themselves_and_the_rating_only(deps: BitrixDeps) -> None:
    own = report_of(ask(deps, ANNA, "/calls неделя"))
    assert (own.meta.scope.kind, own.meta.scope.id) == ("employee", ANNA)
    assert denied(ask(deps, ANNA, "/calls Vera"))
    assert denied(ask(deps, ANNA, "/kpi отдел 2"))
    assert report_of(ask(deps, ANNA, "/rating отдел 2 неделя")).meta.scope.id == 2


def test_an_admin_sees_the_company(deps: BitrixDeps) -> None:
    report = report_of(ask(deps, GLEB, "/tasks"))
    assert report.meta.scope.kind == "company"


@pytest.mark.parametrize("user", [DINA, 99])
def test_strangers_and_former_staff_get_nothing(deps: BitrixDeps, user: int) -> None:
    for text in ("/rating", "/calls", "/export calls"):
        reply = ask(deps, user, text)
        assert reply == Reply(texts.STRANGER)


def test_export_is_an_excel_file_under_the_same_rules(deps: BitrixDeps) -> None:
    reply = ask(deps, BORIS, "/export calls неделя")
    assert reply is not None and reply.file is not None
    name, content = reply.file
    assert name == "calls_week.xlsx"
    assert zipfile.is_zipfile(BytesIO(content))
    assert denied(ask(deps, ANNA, "/export calls Vera"))
    missing = ask(deps, BORIS, "/export неделя")
    assert missing is not None and "укажите отчёт" in missing.text


def test_words_that_fit_several_people_offer_buttons(deps: BitrixDeps) -> None:
    reply = ask(deps, GLEB, "/calls ova")  # Orlova and Sidorova
    assert reply is not None and reply.report is None
    assert reply.text.startswith("Уточните")
    assert reply.keyboard is not None
    params = {b["COMMAND_PARAMS"] for b in reply.keyboard["BUTTONS"] if b != NEWLINE}
    assert params == {"month сотрудник 12", "month сотрудник 10"}


def test_mistakes_are_explained(deps: BitrixDeps) -> None:
    bad_range = ask(deps, ANNA, "/calls 2026-03-10..2026-03-01")
    assert bad_range is not None and bad_range.text.startswith("Не получилось")
    unknown = ask(deps, ANNA, "/frobnicate")
    assert unknown is not None and "/frobnicate" in unknown.text


def test_help_link_and_me_need_no_figures(deps: BitrixDeps) -> None:
    assert ask(deps, 99, "/help") == Reply(texts.HELP)
    assert ask(deps, 99, "/link a@b.c") == Reply(texts.LINK)
    me = ask(deps, BORIS, "/me")
    assert me is not None and "руководитель" in me.text and "Продажи Москва" in me.text
    assert ask(deps, 99, "/me") == Reply(texts.STRANGER)


def test_chatter_is_ignored_in_groups_and_hinted_at_in_private(deps: BitrixDeps) -> None:
    assert ask(deps, ANNA, "всем привет", dialog="chat5") is None
    assert ask(deps, ANNA, "привет", dialog=str(ANNA)) == Reply(texts.NOT_A_COMMAND)


def test_without_keyboards_there_are_no_buttons(deps: BitrixDeps) -> None:
    plain = replace(deps, settings=BitrixChatSettings(enabled=True, keyboards=False))
    reply = ask(plain, BORIS, "/calls")
    assert reply is not None and reply.report is not None and reply.keyboard is None
