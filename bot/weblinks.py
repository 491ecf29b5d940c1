"""/tv and /dashboard in both chats: a personal link to the office TV or the dashboard.

Heads and admins get links for what they may see (their department trees; admins the
whole team), naming a department or an employee like any report command; an employee's
/dashboard shows only themselves, and /tv is for heads and admins. Links are handed out
in private chats only: a dashboard link in a group chat would open its figures to all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.access import Viewer, default_target, may_see
from bot.args import Ambiguity, Target, parse_args
from bot.lookup import StoreDirectory, scope_of
from bot.settings import Role
from kpi.periods import PeriodError
from kpi.scope import ScopeError
from kpi.settings import KpiSettings
from locales import N_, _
from reports.text import day
from store.web_models import LinkScope, create_link

WebKind = Literal["tv", "dashboard"]
COMMANDS: tuple[WebKind, ...] = ("tv", "dashboard")
DASHBOARD_DAYS = 30
# The kpi report is not public: asking may_see about it applies the head's department rule.
_PRIVATE_REPORT = "kpi"


class Outcome(StrEnum):
    MADE = "made"
    NOT_PRIVATE = "not_private"
    FORBIDDEN = "forbidden"
    NOT_UNDERSTOOD = "not_understood"
    GONE = "gone"


@dataclass(frozen=True)
class WebLinkAnswer:
    outcome: Outcome
    url: str = ""
    what: str = ""  # whom the link shows, as a name
    expires: datetime | None = None


# Message ids, translated where the answer is written (``answer_text``).
TEXTS = {
    "tv": N_(
        "📺 Ссылка на экран рейтинга ({what}). Откройте её на телевизоре в полный экран:\n{url}"
    ),
    "dashboard": N_("📊 Ссылка на дашборд ({what}), действует до {until}:\n{url}"),
    "keep": N_("Ссылка личная: не пересылайте её. Отозвать: crm-pulse link revoke URL."),
    Outcome.NOT_PRIVATE: N_("Ссылки выдаю только в личных сообщениях: напишите мне напрямую."),
    Outcome.FORBIDDEN: N_(
        "Эта ссылка вам недоступна ({what}). Экран рейтинга — для "
        "руководителей и администраторов; дашборд сотрудника показывает только его самого."
    ),
    Outcome.NOT_UNDERSTOOD: N_(
        "Не понял, для кого ссылка: {what}. Пример: /dashboard Отдел продаж"
    ),
    Outcome.GONE: N_("Не нашёл {what}: обновите данные (/sync) или назовите иначе."),
}
COMPANY_NAME = N_("вся команда")


def web_link(
    session: Session,
    kpi: KpiSettings,
    viewer: Viewer,
    kind: WebKind,
    words: str,
    *,
    private: bool,
    base_url: str,
    now: datetime,
    created_by: str,
) -> WebLinkAnswer:
    if not private:
        return WebLinkAnswer(Outcome.NOT_PRIVATE)
    try:
        parsed = parse_args(words, now=now, tz=kpi.tz, directory=StoreDirectory(session, kpi))
    except PeriodError as exc:
        return WebLinkAnswer(Outcome.NOT_UNDERSTOOD, what=str(exc))
    if isinstance(parsed, Ambiguity):
        return WebLinkAnswer(Outcome.NOT_UNDERSTOOD, what=" ".join(parsed.words))
    target = _target(session, viewer, kind, parsed.target)
    if target is None:
        asked = parsed.target
        return WebLinkAnswer(Outcome.FORBIDDEN, what=asked.name if asked else viewer.name)
    try:
        scope = scope_of(session, kpi, target)
    except ScopeError:
        return WebLinkAnswer(Outcome.GONE, what=target.name)
    expires = None if kind == "tv" else now + timedelta(days=DASHBOARD_DAYS)
    token = create_link(
        session,
        kind,
        LinkScope(scope.kind, scope.id),
        now=now,
        expires_at=expires,
        created_by=created_by,
    )
    url = f"{base_url}/tv/{token}" if kind == "tv" else f"{base_url}/d/{token}/"
    what = _(COMPANY_NAME) if scope.kind == "company" else scope.name
    return WebLinkAnswer(Outcome.MADE, url=url, what=what, expires=expires)


def _target(
    session: Session, viewer: Viewer, kind: WebKind, asked: Target | None
) -> Target | None:
    """What the link shows, or None when the viewer may not have it."""
    if not viewer.known or viewer.user_id is None:
        return None
    if viewer.role is Role.EMPLOYEE:
        if kind == "tv":
            return None
        if asked is not None and not (asked.kind == "employee" and asked.id == viewer.user_id):
            return None
        return Target("employee", viewer.user_id, viewer.name)
    target = asked or default_target(session, viewer, _PRIVATE_REPORT)
    if target is None or not may_see(session, viewer, _PRIVATE_REPORT, target):
        return None
    return target


def answer_text(
    answer: WebLinkAnswer, kind: WebKind, tz: ZoneInfo, escape: Callable[[str], str]
) -> str:
    """The reply; ``escape`` makes names inert for the chat's markup."""
    what = escape(answer.what)
    if answer.outcome is not Outcome.MADE:
        return _(TEXTS[answer.outcome]).format(what=what)
    until = "" if answer.expires is None else day(answer.expires.astimezone(tz).date())
    made = _(TEXTS[kind]).format(what=what, url=answer.url, until=until)
    return f"{made}\n\n{_(TEXTS['keep'])}"
