"""Pieces of `crm-pulse check` that need no portal: lines, scopes, schedule, store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from app.cli import build_parser, main
from app.config import Config
from app.setup_checks import Line, _zone, schedule_lines, store_lines
from app.setup_portal import PortalProbe, missing_scopes


def test_a_line_shows_the_fix_only_when_something_is_wrong() -> None:
    assert Line("ok", "store reachable", "never shown").render() == "ok   store reachable"
    assert Line("fail", "scope 'task' missing", "tick it").render() == (
        "fail scope 'task' missing - fix: tick it"
    )


def test_chat_scopes_are_needed_only_with_bitrix_chat() -> None:
    scopes = frozenset({"crm", "telephony", "user_basic", "department", "task"})
    assert missing_scopes(scopes, bitrix_chat=False) == []
    assert missing_scopes(scopes, bitrix_chat=True) == ["im", "imbot", "disk"]
    assert missing_scopes(frozenset({"crm"}), bitrix_chat=False) == [
        "telephony",
        "user",
        "department",
        "task",
    ]


def test_each_job_says_when_it_runs_next_in_the_portal_zone() -> None:
    config = Config.model_validate(
        {
            "portal": {"timezone": "Asia/Yekaterinburg"},
            "schedule": {"morning": "0 9 * * mon-fri", "celebrate": "", "disabled": ["pace"]},
        }
    )
    friday_evening = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # 20:00 in Yekaterinburg
    lines = {line.what.split(":")[0]: line for line in schedule_lines(config, friday_evening)}
    assert lines["job morning"].what == (
        "job morning: next run Mon 07.12.2026 09:00 (Asia/Yekaterinburg)"
    )
    assert lines["job celebrate"].what == "job celebrate: off"
    assert lines["job pace"].what == "job pace: off"
    assert all(line.status == "ok" for line in lines.values())


def test_a_missing_store_file_fails_without_creating_it(tmp_path: Path) -> None:
    store = tmp_path / "none.db"
    config = Config.model_validate({"storage": {"url": f"sqlite:///{store}"}})
    [line] = store_lines(config)
    assert line.status == "fail"
    assert "does not exist" in line.what
    assert not store.exists()


def _probe(zone: str, offset_hours: int) -> PortalProbe:
    clock = datetime(2026, 12, 4, 9, 0, tzinfo=timezone(timedelta(hours=offset_hours)))
    return PortalProbe("example.bitrix24.ru", 1, "Anna", True, frozenset(), clock, zone)


def test_the_time_zone_is_compared_with_the_portal() -> None:
    config = Config.model_validate({"portal": {"timezone": "Europe/Moscow"}})
    now = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)
    assert _zone(config, _probe("Europe/Moscow", 3), now).status == "ok"
    other = _zone(config, _probe("Asia/Yekaterinburg", 5), now)
    assert other.status == "warn"
    assert "set portal.timezone = 'Asia/Yekaterinburg'" in other.fix
    clock = _zone(config, _probe("", 5), now)
    assert clock.status == "warn"
    assert "Europe/Moscow is UTC+03:00 now, the portal's clock UTC+05:00" in clock.what


def test_the_commands_are_wired_into_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.toml"
    assert main(["check", "--config", str(missing)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("fail config: ")
    assert "crm-pulse init --config PATH writes one" in out
    assert main(["init", "--config", str(missing), "--non-interactive"]) == 1
    assert "stopped; nothing was written" in capsys.readouterr().out
    assert not missing.exists()
    args = build_parser().parse_args(["plans", "import", "p.xlsx", "--config", "c.toml"])
    assert (args.module, args.action, args.file) == ("app.cmd_plans", "import", Path("p.xlsx"))
