"""Report commands (/rating ... /tasks) and /export, for people we know."""

from __future__ import annotations

import asyncio
from datetime import datetime

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from sqlmodel import Session

from bot.access import Viewer, default_target, may_see
from bot.args import Ambiguity, Parsed, Problem, Target, parse_args
from bot.lookup import StoreDirectory
from bot.reporting import REPORT_NAMES
from bot.telegram.deps import TelegramDeps
from bot.telegram.filters import KnownViewer
from bot.telegram.keyboards import choices_keyboard, export_keyboard
from bot.telegram.present import (
    Ask,
    allowed,
    complete,
    default_period,
    keyboard,
    make,
    reply,
    send_report,
    target_name,
    thread_of,
    understood,
)
from bot.telegram.texts import raw, say


async def cmd_report(
    message: Message,
    *,
    command: CommandObject,
    bot: Bot,
    deps: TelegramDeps,
    session: Session,
    viewer: Viewer,
) -> None:
    """A report as a chart with period and list buttons."""
    name = command.command.lower()
    now = deps.clock()
    parsed = await _parse(session, deps, command.args or "", now)
    if isinstance(parsed, Ambiguity):
        await _offer_choices(
            message,
            deps=deps,
            session=session,
            viewer=viewer,
            report=name,
            ambiguity=parsed,
            now=now,
        )
        return
    ask = await asyncio.to_thread(complete, session, deps, viewer, name, parsed)
    if ask is None or not await allowed(session, viewer, ask):
        await _forbid(message, ask)
        return
    report = await make(deps, session, ask)
    await send_report(bot, message.chat.id, thread_of(message), report, keyboard(ask, report))


async def cmd_export(
    message: Message,
    *,
    command: CommandObject,
    deps: TelegramDeps,
    session: Session,
    viewer: Viewer,
) -> None:
    """A report as an Excel file: `/export calls month Anna`."""
    now = deps.clock()
    parsed = await _parse(session, deps, command.args or "", now, reports=deps.report_names)
    if isinstance(parsed, Ambiguity):
        if parsed.understood.report is None:
            # choices need a report to redo; with two questions open, ask for the name first
            await reply(message, raw("export_usage"))
            return
        name = parsed.understood.report
        await _offer_choices(
            message,
            deps=deps,
            session=session,
            viewer=viewer,
            report=name,
            ambiguity=parsed,
            now=now,
            export=True,
        )
        return
    if parsed.report is None:
        targets = await asyncio.to_thread(_visible_targets, session, deps, viewer, parsed)
        period = parsed.period or default_period("month", deps, now)
        markup = export_keyboard(deps.report_names, period, targets)
        await reply(message, raw("export_which"), reply_markup=markup)
        return
    ask = await asyncio.to_thread(complete, session, deps, viewer, parsed.report, parsed)
    if ask is None or not await allowed(session, viewer, ask):
        await _forbid(message, ask)
        return
    await send_export(message, deps, session, ask)


async def send_export(message: Message, deps: TelegramDeps, session: Session, ask: Ask) -> None:
    report = await make(deps, session, ask, render=False)
    data = await asyncio.to_thread(deps.report_xlsx, report)
    document = BufferedInputFile(data, filename=f"{ask.report}-{ask.period.name}.xlsx")
    await message.answer_document(document)


async def _parse(
    session: Session,
    deps: TelegramDeps,
    text: str,
    now: datetime,
    *,
    reports: tuple[str, ...] = (),
) -> Parsed | Ambiguity:
    def run() -> Parsed | Ambiguity:
        directory = StoreDirectory(session, deps.kpi)
        return parse_args(text, now=now, tz=deps.kpi.tz, directory=directory, reports=reports)

    return await asyncio.to_thread(run)


async def _offer_choices(
    message: Message,
    *,
    deps: TelegramDeps,
    session: Session,
    viewer: Viewer,
    report: str,
    ambiguity: Ambiguity,
    now: datetime,
    export: bool = False,
) -> None:
    """Say what was understood and what was not, with one button per way out."""
    fallback = await asyncio.to_thread(
        complete, session, deps, viewer, report, ambiguity.understood
    )
    words = " ".join(ambiguity.words)
    if ambiguity.problem is Problem.AMBIGUOUS:
        problem = say("ambiguous", words=words)
    elif ambiguity.problem is Problem.CONFLICT:
        problem = say("conflict", words=words)
    elif ambiguity.understood.period is None:
        problem = say("unknown_period", words=words)
    else:
        problem = say("unknown_other", words=words)
    period = fallback.period if fallback else default_period(report, deps, now)
    target = fallback.target if fallback else None
    markup = choices_keyboard(report, ambiguity, period, target, export=export)
    await reply(
        message,
        "\n".join(filter(None, (understood(ambiguity.understood), problem))),
        reply_markup=markup,
    )


async def _forbid(message: Message, ask: Ask | None) -> None:
    who = target_name(ask.target) if ask else raw("nothing")
    await reply(message, say("forbidden", target=who))


def _visible_targets(
    session: Session, deps: TelegramDeps, viewer: Viewer, parsed: Parsed
) -> dict[str, Target]:
    targets = {}
    for name in deps.report_names:
        target = parsed.target or default_target(session, viewer, name)
        if target is not None and may_see(session, viewer, name, target):
            targets[name] = target
    return targets


def make_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(KnownViewer())
    router.message.register(cmd_report, Command(*REPORT_NAMES))
    router.message.register(cmd_export, Command("export"))
    return router
