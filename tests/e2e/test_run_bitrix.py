"""`crm-pulse run` with the Bitrix24 chat bot, as a subprocess against the portal emulator.

The bot registers itself (imbot.v2, pulling its events), a department head's /rating in a
group chat comes back as an uploaded chart, and an employee asking for another
department's figures is refused without any figures.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
from pathlib import Path

from emulator.chat_records import Message
from emulator.generator import generate
from emulator.portal import Portal
from emulator.server import Emulator, running_emulator
from tests.e2e.process import cli

TEAM, CODE = "chat12", "crm_pulse"


def from_bot(emulator: Emulator, dialog: str) -> list[Message]:
    bot = emulator.chat.bot(CODE)
    return [m for m in emulator.chat.messages(dialog) if bot and m.author_id == bot.id]


async def test_run_answers_in_bitrix24_chat_by_role(tmp_path: Path) -> None:
    portal = Portal(generate(5, "small", dt.datetime.now(dt.UTC).date()))
    users = portal.data.tables["users"]
    # Department 3 (Moscow sales) and its head; an employee of 3 who heads nothing.
    head = next(int(d["UF_HEAD"]) for d in portal.data.tables["departments"] if d["ID"] == "3")
    heads = {int(d["UF_HEAD"]) for d in portal.data.tables["departments"] if d.get("UF_HEAD")}
    employee = next(
        int(u["ID"]) for u in users if u["UF_DEPARTMENT"] == [3] and int(u["ID"]) not in heads
    )
    config = tmp_path / "config.toml"
    async with running_emulator(portal, rate_limit=False) as emulator:
        config.write_text(
            f'[portal]\nwebhook_url = "{emulator.webhook_url}"\n'
            f'[storage]\nurl = "sqlite:///{tmp_path / "store.db"}"\n'
            "[scope]\nsales_departments = [2]\n"
            '[bitrix_chat]\nenabled = true\nevent_mode = "fetch"\npoll_seconds = 0.2\n'
            "[web]\nport = 0\n"
            '[logging]\nlevel = "WARNING"\n',
            encoding="utf-8",
        )
        sync = await cli("sync", "--config", str(config))
        _, err = await asyncio.wait_for(sync.communicate(), 120)
        assert sync.returncode == 0, err.decode()
        process = await cli("run", "--config", str(config))
        try:
            await emulator.chat.wait_for(
                lambda: emulator.chat.bot(CODE) is not None, "the bot to register"
            )
            await emulator.user_message("/rating", user_id=head, dialog_id=TEAM, bot=CODE)
            await emulator.chat.wait_for(
                lambda: any(m.file_ids for m in from_bot(emulator, TEAM)), "the chart"
            )
            asked = "/calls Отдел продаж Регионы"
            await emulator.user_message(asked, user_id=employee, bot=CODE)
            await emulator.chat.wait_for(
                lambda: bool(from_bot(emulator, str(employee))), "the refusal"
            )
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()

        chart = next(m for m in from_bot(emulator, TEAM) if m.file_ids)
        stored = emulator.chat.file(chart.file_ids[0])
        assert stored is not None and stored.content.startswith(b"\x89PNG")
        refusal = from_bot(emulator, str(employee))
        assert all(not m.file_ids for m in refusal)
        assert any("не видны" in m.text for m in refusal), [m.text for m in refusal]
        # A restart of the process would register again: one bot stays one bot.
        assert len(emulator.chat.bots) == 1
        assert emulator.settings.webhook_code not in err.decode()
