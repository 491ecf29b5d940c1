"""Offline event bindings (reference §7.1, §7.3): which events app mode follows, bound once.

``bind_offline`` looks at ``event.get`` and binds, with ``event_type=offline``, only the
followed events not bound yet, all in one batch request, so a restart binds nothing twice.
Events the portal does not have (``ERROR_EVENT_NOT_FOUND``) are skipped. Binding offline
events needs the application to be authorized by a portal administrator.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from crm.errors import ApiError
from crm.sync.apply import ApplyClient

__all__ = ["FOLLOWED", "NOTICE", "DrainClient", "bind_notice", "bind_offline"]

log = logging.getLogger("crm.offline")

_KINDS = ("ADD", "UPDATE", "DELETE")
# The events of the live-data issue; the portal may lack some (ONUSERUPDATE on older ones).
FOLLOWED: tuple[str, ...] = (
    *(f"ONCRM{e}{k}" for e in ("COMPANY", "CONTACT", "DEAL", "LEAD", "ACTIVITY") for k in _KINDS),
    *(f"ONTASK{k}" for k in _KINDS),
    "ONVOXIMPLANTCALLEND",
    "ONUSERADD",
    "ONUSERUPDATE",
)
_NOT_FOUND = "ERROR_EVENT_NOT_FOUND"


class DrainClient(ApplyClient, Protocol):
    """The part of ``crm.client.BitrixClient`` the drain uses."""

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any: ...


async def bind_offline(
    client: DrainClient, connector: str, events: Sequence[str] = FOLLOWED
) -> list[str]:
    """Bind the offline events not bound yet (``event.get`` first); returns those bound now."""
    bound = await client.call("event.get", {"auth_connector": connector})
    have = {
        str(item.get("event", "")).upper()
        for item in bound or ()
        if isinstance(item, Mapping)
        and str(item.get("offline", "0")) == "1"
        # The portal's docs show no connector on a binding; the emulator does: check it if any.
        and str(item.get("connector_id", connector) or "") == connector
    }
    missing = [name for name in events if name.upper() not in have]
    if not missing:
        return []
    commands = {
        f"b{i}": (
            "event.bind",
            {"event": name, "event_type": "offline", "auth_connector": connector},
        )
        for i, name in enumerate(missing)
    }
    result = await client.batch(commands)
    done: list[str] = []
    for key, name in zip(commands, missing, strict=True):
        error = result.errors.get(key)
        if error is None:
            done.append(name)
        elif isinstance(error, ApiError) and error.code.upper() == _NOT_FOUND:
            log.info("offline events: the portal has no %s; not followed", name)
        elif isinstance(error, ApiError) and "already" in error.description.lower():
            continue  # bound meanwhile (another process)
        else:
            raise error
    if done:
        log.info("offline events: bound %d events (%s)", len(done), ", ".join(done))
    return done


NOTICE = "ONOFFLINEEVENT"


async def bind_notice(client: DrainClient, handler: str, min_timeout: int = 1) -> bool:
    """Have the portal POST ``ONOFFLINEEVENT`` to ``handler`` when the queue gets rows.

    Only with a public listener (the portal posts to public HTTPS only); the drain then runs at
    once instead of at its next poll. At most one notice per ``min_timeout`` seconds. Returns
    whether it was bound now (False: it was bound already).
    """
    bound = await client.call("event.get", {})
    for item in bound or ():
        if (
            isinstance(item, Mapping)
            and str(item.get("event", "")).upper() == NOTICE
            and str(item.get("offline", "0")) != "1"
            and item.get("handler") == handler
        ):
            return False
    params = {"event": NOTICE, "handler": handler, "options": {"minTimeout": min_timeout}}
    await client.call("event.bind", params)
    log.info("offline events: the portal tells %s when the queue has rows", handler)
    return True
