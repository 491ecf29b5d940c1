"""A user's command in a Bitrix24 dialog to the reply it gets, with the Telegram bot's rules.

The portal tells us who wrote, so the asker is simply that portal user: no linking. Their
role comes from the department tree and the config (``bot.access``), their words are read by
``bot.args``, and a report is built by ``bot.reporting``, exactly as in Telegram.
Synchronous (a DB session, SQL, matplotlib): the bot runs ``answer`` in a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import client_calls, reporting
from bot.access import Viewer, default_target, may_see, resolve_viewer
from bot.args import Ambiguity, Parsed, Problem, Target, parse_args
from bot.bitrix import texts
from bot.bitrix.contest import contest_reply
from bot.bitrix.events import ChatEvent
from bot.bitrix.keyboard import choices_keyboard, period_keyboard
from bot.bitrix.plan_set_reply import plan_set_reply
from bot.bitrix.settings import BitrixChatSettings
from bot.bitrix.weblinks import web_link_text
from bot.contests import ContestRules
from bot.game_me import game_lines
from bot.lookup import StoreDirectory
from bot.plan_set import is_plan_set
from bot.settings import BotSettings, Role
from bot.weblinks import COMMANDS as WEB_LINK_COMMANDS
from crm.client import BitrixClient
from kpi.periods import Period, PeriodError, parse_period
from kpi.scope import ScopeError
from kpi.settings import KpiSettings
from reports.build import Report
from reports.kpi_words import period_label
from reports.markup import bb_text
from store.models import Department

log = logging.getLogger(__name__)

# Reports whose natural question is about today; the others default to this month
# (the same defaults as the Telegram bot).
TODAY_REPORTS = frozenset({"missed"})


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class BitrixDeps:
    """Everything the Bitrix24 front end is given by ``app``."""

    settings: BitrixChatSettings
    people: BotSettings  # the [[people]] entries and their roles, shared with Telegram
    kpi: KpiSettings
    engine: Engine
    client: BitrixClient
    build_report: Callable[..., Report]  # reports.build.build_report
    report_xlsx: Callable[[Report], bytes]  # reports.build.report_xlsx
    report_names: tuple[str, ...] = reporting.REPORT_NAMES
    clock: Callable[[], datetime] = field(default=utc_now)
    web_url: str = "http://127.0.0.1:8080"  # where /tv and /dashboard links point ([web])
    contests: ContestRules = ContestRules()  # [contests] for /contest


@dataclass(frozen=True)
class Reply:
    """What to post back: a text (BB-code), a report, or a file, with buttons."""

    text: str = ""
    keyboard: dict[str, Any] | None = None
    report: Report | None = None
    file: tuple[str, bytes] | None = None


def default_period(report: str, deps: BitrixDeps, now: datetime) -> Period:
    word = "today" if report in TODAY_REPORTS else "month"
    return parse_period(word, now=now, tz=deps.kpi.tz)


def answer(deps: BitrixDeps, event: ChatEvent, now: datetime) -> Reply | None:
    """The reply to one event; None when the bot should stay silent (chatter in a group)."""
    command = event.command
    if command is None:
        return Reply(texts.say(texts.NOT_A_COMMAND)) if event.private else None
    static = {"help": texts.HELP, "start": texts.HELP, "link": texts.LINK}
    if command in static:
        return Reply(texts.say(static[command]))
    with Session(deps.engine) as session:
        person = deps.people.person_by_bitrix(event.user_id)
        turn = _Turn(session, deps, resolve_viewer(session, person, event.user_id), now)
        if command in WEB_LINK_COMMANDS and turn.viewer.known:
            return Reply(
                web_link_text(
                    session,
                    deps.kpi,
                    turn.viewer,
                    command,
                    event.params,
                    private=event.private,
                    base_url=deps.web_url,
                    now=now,
                    user_id=event.user_id,
                )
            )
        return turn.answer(command, event.params)


@dataclass(frozen=True)
class _Turn:
    """One command being answered: the session, the asker and the time it is asked at."""

    session: Session
    deps: BitrixDeps
    viewer: Viewer
    now: datetime

    def answer(self, command: str, params: str) -> Reply:
        game = self.game(command, params)
        if game is not None:
            return game
        if not self.viewer.known:
            return Reply(texts.say(texts.STRANGER))
        if command == "export":
            return self.export(params)
        special = self.plans_and_clients(command, params)
        if special is not None:
            return special
        if command not in self.deps.report_names:
            return Reply(texts.fill(texts.UNKNOWN_COMMAND, command=command))
        return self.report(command, params)

    def plans_and_clients(self, command: str, params: str) -> Reply | None:
        """/plan set (bot.plan_set) and /calls клиент NAME (bot.client_calls)."""
        if command == "calls" and client_calls.is_client_query(params):
            text = client_calls.answer(self.session, self.deps.kpi, self.viewer, params, self.now)
            return Reply(bb_text(text))
        if command == "plan" and is_plan_set(params):
            text, keyboard = plan_set_reply(
                self.session,
                self.deps.kpi,
                self.viewer,
                params,
                self.now,
                keyboards=self.deps.settings.keyboards,
            )
            return Reply(text, keyboard=keyboard)
        return None

    def game(self, command: str, params: str) -> Reply | None:
        """/me with streaks, contest places and badges; /contest (bot.bitrix.contest)."""
        if command == "me":
            extra: list[str] = []
            if self.viewer.known and self.viewer.user_id is not None:
                extra = game_lines(self.session, self.deps.kpi, self.viewer.user_id, now=self.now)
            return Reply("\n".join([_me(self.session, self.viewer), *map(bb_text, extra)]))
        if command == "contest":
            text, keyboard = contest_reply(
                self.session, self.deps.kpi, self.deps.contests, self.viewer, params, now=self.now
            )
            return Reply(text, keyboard=keyboard if self.deps.settings.keyboards else None)
        return None

    def report(self, name: str, params: str) -> Reply:
        parsed = self.parse(params)
        if isinstance(parsed, Reply):
            return parsed
        if isinstance(parsed, Ambiguity):
            return self.ambiguity(name, parsed)
        checked = self.checked(name, parsed)
        if isinstance(checked, Reply):
            return checked
        period, target = checked
        built = self.build(name, period, target, render=True)
        if isinstance(built, Reply):
            return built
        keyboard = period_keyboard(name, period, target) if self.deps.settings.keyboards else None
        return Reply(report=built, keyboard=keyboard)

    def export(self, params: str) -> Reply:
        parsed = self.parse(params, reports=self.deps.report_names)
        if isinstance(parsed, Reply):
            return parsed
        if isinstance(parsed, Ambiguity):
            return self.ambiguity("export", parsed)
        name = parsed.report
        if name is None:
            return Reply(texts.fill(texts.ERROR, reason=texts.say(texts.EXPORT_WHICH)))
        checked = self.checked(name, parsed)
        if isinstance(checked, Reply):
            return checked
        built = self.build(name, *checked, render=False)  # Excel needs no chart
        if isinstance(built, Reply):
            return built
        content = self.deps.report_xlsx(built)
        return Reply(text=built.caption_bb, file=(f"{built.filename}.xlsx", content))

    def build(self, name: str, period: Period, target: Target, *, render: bool) -> Report | Reply:
        try:
            built = reporting.build(
                self.session,
                self.deps.kpi,
                self.deps.build_report,
                name,
                period,
                target,
                now=self.now,
                render=render,
            )
        except (ScopeError, PeriodError) as exc:
            return Reply(texts.fill(texts.ERROR, reason=str(exc)))
        assert isinstance(built, Report)  # deps.build_report is reports.build.build_report
        return built

    def parse(self, params: str, *, reports: tuple[str, ...] = ()) -> Parsed | Ambiguity | Reply:
        directory = StoreDirectory(self.session, self.deps.kpi)
        try:
            return parse_args(
                params, now=self.now, tz=self.deps.kpi.tz, directory=directory, reports=reports
            )
        except PeriodError as exc:
            return Reply(texts.fill(texts.ERROR, reason=str(exc)))

    def checked(self, name: str, parsed: Parsed) -> tuple[Period, Target] | Reply:
        """The period and target to build for, or the refusal."""
        viewer = self.viewer
        target = parsed.target or default_target(self.session, viewer, name)
        if target is None:
            return Reply(texts.say(texts.STRANGER))
        if not may_see(self.session, viewer, name, target):
            log.info(
                "Bitrix24: refused %s about %s %s to user %s",
                name,
                target.kind,
                target.id,
                viewer.user_id,
            )
            what = target.name or f"{target.kind} {target.id}"
            more = texts.say(texts.DENIED_HEAD_MORE) if viewer.role is Role.HEAD else ""
            return Reply(texts.fill(texts.DENIED, what=what, more=more))
        return parsed.period or default_period(name, self.deps, self.now), target

    def ambiguity(self, name: str, ambiguity: Ambiguity) -> Reply:
        template = {
            Problem.AMBIGUOUS: texts.AMBIGUOUS,
            Problem.UNKNOWN: texts.UNKNOWN_WORDS,
            Problem.CONFLICT: texts.CONFLICT,
        }[ambiguity.problem]
        words = ", ".join(ambiguity.words)
        text = texts.fill(template, words=words, understood=_understood(ambiguity.understood))
        report = ambiguity.understood.report or name
        if report == "export" or not self.deps.settings.keyboards:
            return Reply(text)
        period = ambiguity.understood.period or default_period(report, self.deps, self.now)
        target = ambiguity.understood.target or default_target(self.session, self.viewer, report)
        return Reply(text, keyboard=choices_keyboard(report, ambiguity, period, target))


def _understood(parsed: Parsed) -> str:
    parts = []
    if parsed.report:
        parts.append(texts.say(texts.PART_REPORT).format(report=parsed.report))
    if parsed.period:
        parts.append(texts.say(texts.PART_PERIOD).format(period=period_label(parsed.period)))
    if parsed.target:
        parts.append(parsed.target.name or texts.say(texts.COMPANY))
    return ", ".join(parts) or texts.say(texts.NOTHING)


def _me(session: Session, viewer: Viewer) -> str:
    if not viewer.known:
        return texts.say(texts.STRANGER)
    if viewer.role is Role.ADMIN:
        sees = texts.say(texts.SEES_ALL)
    elif viewer.role is Role.HEAD:
        names = [
            dept.name
            for dept_id in viewer.roots
            if (dept := session.get(Department, dept_id)) is not None
        ]
        sees = texts.fill(texts.SEES_HEAD, departments=", ".join(names) or "—")
    else:
        sees = texts.say(texts.SEES_SELF)
    role = texts.say(texts.ROLES.get(viewer.role.value, viewer.role.value))
    return texts.say(texts.ME).format(name=bb_text(viewer.name), role=role, sees=sees)
