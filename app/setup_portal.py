"""What `init` and `check` ask the portal first: who the webhook is, its scopes, its clock.

Each failure is turned into (what, fix) by ``portal_problem`` so neither command ever shows
a traceback for a bad webhook.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app import setup_texts as texts
from crm.auth import AuthServerError, ReauthorizeRequired
from crm.client import BitrixClient
from crm.errors import AccessDenied, AuthError, BitrixError, MethodNotFound, TransportError

REQUIRED_SCOPES = ("crm", "telephony", "user", "department", "task")
CHAT_SCOPES = ("im", "imbot", "disk")
# A reduced user scope still lets us read users.
SCOPE_ALIASES = {"user": frozenset({"user", "user_basic", "user_brief"})}


@dataclass(frozen=True)
class PortalProbe:
    host: str
    user_id: int | None
    user_name: str
    admin: bool
    scopes: frozenset[str]
    server_time: datetime | None
    time_zone: str  # the webhook user's zone from ``profile`` ("" when not given)


def needed_scopes(*, bitrix_chat: bool) -> tuple[str, ...]:
    return REQUIRED_SCOPES + (CHAT_SCOPES if bitrix_chat else ())


def missing_scopes(scopes: frozenset[str], *, bitrix_chat: bool) -> list[str]:
    return [
        scope
        for scope in needed_scopes(bitrix_chat=bitrix_chat)
        if not SCOPE_ALIASES.get(scope, frozenset({scope})) & scopes
    ]


async def probe(client: BitrixClient) -> PortalProbe:
    """``profile``, ``scope`` and ``server.time``: any failure raises a BitrixError."""
    profile = await client.call("profile")
    profile = profile if isinstance(profile, Mapping) else {}
    listed = await client.call("scope")
    scopes = frozenset(str(s) for s in listed) if isinstance(listed, list) else frozenset()
    try:
        moment: datetime | None = await client.server_time()
    except (BitrixError, ValueError):
        moment = None
    return PortalProbe(
        host=client.portal,
        user_id=_int(profile.get("ID")),
        user_name=" ".join(
            str(profile.get(k) or "") for k in ("NAME", "LAST_NAME") if profile.get(k)
        ),
        admin=bool(profile.get("ADMIN")),
        scopes=scopes,
        server_time=moment,
        time_zone=str(profile.get("TIME_ZONE") or ""),
    )


def portal_problem(exc: BaseException) -> tuple[str, str]:
    """(what went wrong, the fix) for an error of the webhook, the application or the portal."""
    if isinstance(exc, ReauthorizeRequired):  # app mode: no tokens, or a dead grant
        return f"the application is not authorized ({exc.reason})", f"run {exc.command}"
    if isinstance(exc, AuthServerError):
        return str(exc), texts.APP_AUTH_FIX
    if isinstance(exc, TransportError):
        what, fix = texts.PORTAL_UNREACHABLE
        return f"{what} ({exc})", fix
    for kind, answer in _KNOWN:
        if isinstance(exc, kind):
            return answer
    return f"the portal answered with an error: {exc}", texts.PORTAL_UNREACHABLE[1]


# ValueError: BitrixClient refuses a URL that is not http(s)
_KNOWN: tuple[tuple[type[BaseException], tuple[str, str]], ...] = (
    (AuthError, texts.WEBHOOK_REJECTED),
    (MethodNotFound, texts.BAD_WEBHOOK_SHAPE),
    (AccessDenied, texts.ACCESS_DENIED),
    (ValueError, texts.BAD_WEBHOOK_SHAPE),
)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
