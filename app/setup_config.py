"""The config file `crm-pulse init` writes: commented TOML, mode 0600, never over a file
without --force. Secrets may stay out of it: then they are printed as environment lines.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from app.config import ENV_PREFIX

WEBHOOK_ENV = f"{ENV_PREFIX}PORTAL__WEBHOOK_URL"
TOKEN_ENV = f"{ENV_PREFIX}TELEGRAM__TOKEN"


@dataclass(frozen=True)
class Person:
    bitrix_id: int
    role: str
    name: str
    telegram_id: int | None = None


@dataclass(frozen=True)
class Draft:
    webhook_url: str
    timezone: str
    storage_url: str
    telegram_token: str = ""
    api_base: str | None = None
    team_chats: Sequence[str] = ()
    chat_titles: Mapping[str, str] = field(default_factory=dict)
    sales_departments: Sequence[int] = ()
    department_names: Mapping[int, str] = field(default_factory=dict)
    people: Sequence[Person] = ()
    plans: Mapping[int, Mapping[str, Decimal]] = field(default_factory=dict)
    secrets_in_env: bool = False
    bitrix_dialogs: Sequence[str] = ()  # Bitrix24 chat for the posts too ("chat12")


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def _number(value: Decimal) -> str:
    return str(int(value)) if value == value.to_integral_value() else str(value)


def render(draft: Draft) -> str:
    secret = draft.secrets_in_env
    lines: list[str | None] = [
        "# crm-pulse configuration written by `crm-pulse init`. Every key of",
        "# config.example.toml may be added; each may be overridden by an environment",
        "# variable CRM_PULSE_<SECTION>__<KEY>.",
        "",
        "[portal]",
        "# The inbound webhook (secret).",
        f"# Kept out of this file: set {WEBHOOK_ENV}." if secret else None,
        f"webhook_url = {_q('' if secret else draft.webhook_url)}",
        "# The portal's time zone: days, weeks and months are cut in it.",
        f"timezone = {_q(draft.timezone)}",
        "",
        "[storage]",
        f"url = {_q(draft.storage_url)}",
        "",
        "[telegram]",
        "# The bot's token from @BotFather (secret).",
        f"# Kept out of this file: set {TOKEN_ENV}." if secret else None,
        f"token = {_q('' if secret else draft.telegram_token)}",
    ]
    if draft.api_base:
        lines.append(f"api_base = {_q(draft.api_base)}")
    lines.append("# Team chats that get the morning posts (chat id, or chat_id:topic_id).")
    lines += [f"# {chat}: {draft.chat_titles.get(chat, '')}" for chat in draft.team_chats]
    lines.append(f"team_chats = [{', '.join(_q(c) for c in draft.team_chats)}]")
    if draft.bitrix_dialogs:
        lines += [
            "",
            "[bitrix_chat]",
            "# Post to Bitrix24 chat too: these dialogs get the morning posts.",
            "enabled = true",
            f"team_dialogs = [{', '.join(_q(d) for d in draft.bitrix_dialogs)}]",
        ]
    lines += [
        "",
        "[scope]",
        "# The sales team: these departments with their sub-departments.",
        *(f"# {d}: {draft.department_names.get(d, '')}" for d in draft.sales_departments),
        f"sales_departments = [{', '.join(str(d) for d in draft.sales_departments)}]",
        "",
        "# Who is who: admin sees everything, head their department tree; employees need no",
        "# entry (they /link their Telegram account themselves).",
    ]
    for person in draft.people:
        lines += ["[[people]]", f"# {person.name}", f"bitrix_id = {person.bitrix_id}"]
        if person.telegram_id is not None:
            lines.append(f"telegram_id = {person.telegram_id}")
        lines += [f"role = {_q(person.role)}", ""]
    lines += [
        "# Monthly targets for each employee of a department (median of the last three",
        "# full months, rounded); heads change them with /plan set or crm-pulse plans import.",
    ]
    for dept, metrics in draft.plans.items():
        if not metrics:
            continue
        lines.append(f"[plans.department.{dept}.month]")
        lines += [f"{metric} = {_number(value)}" for metric, value in metrics.items()]
        lines.append("")
    return "\n".join(line for line in lines if line is not None).replace("\n\n\n", "\n\n") + "\n"


def env_lines(draft: Draft) -> list[str]:
    found = [f"export {WEBHOOK_ENV}={_shell(draft.webhook_url)}"]
    if draft.telegram_token:
        found.append(f"export {TOKEN_ENV}={_shell(draft.telegram_token)}")
    return found


def _shell(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def write(path: Path, text: str, *, force: bool) -> None:
    """Write ``text`` readable by its owner only; FileExistsError without ``force``."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an existing file overwritten with --force keeps no wider mode
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
