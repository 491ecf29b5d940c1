"""What a new user meets first, each in one line on stderr: a store that cannot be opened, a
port the emulator cannot take, a bad environment variable, a store never synced, and the
demo's log on request."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

import app.cmd_demo
from app import cli
from app.config import ConfigError, load_config
from store.db import make_engine
from store.migrate import migrate
from store.models import SyncState

WEBHOOK = "http://127.0.0.1:9/rest/1/code/"


def _config(tmp_path: Path, storage_url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[portal]\nwebhook_url = "{WEBHOOK}"\n[storage]\nurl = "{storage_url}"\n',
        encoding="utf-8",
    )
    return path


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("command", [["sync"], ["report", "rating", "--json"]])
def test_a_store_in_a_missing_folder_names_storage_url_and_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    missing = tmp_path / "no" / "such" / "folder"
    config = _config(tmp_path, f"sqlite:///{missing}/store.db")
    assert cli.main([*command, "--config", str(config)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "storage.url" in line
    assert f"{missing} does not exist" in line
    assert "mkdir -p" in line


def test_a_stopped_postgresql_names_storage_url_and_hides_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nobody listens on: bound, never listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        url = f"postgresql+psycopg://crm:s3cret-pw@127.0.0.1:{port}/crm"
        assert cli.main(["sync", "--config", str(_config(tmp_path, url))]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "storage.url" in line
    assert "PostgreSQL is not running there: start it, or fix the host and port" in line
    assert "s3cret-pw" not in line


@pytest.mark.parametrize("port", ["99999", "-1"])
def test_the_emulator_on_an_impossible_port_is_one_line(
    capsys: pytest.CaptureFixture[str], port: str
) -> None:
    assert cli.main(["emulator", "--port", port]) == 2
    assert "--port must be between 1 and 65535" in _one_line(capsys.readouterr().err)


def test_the_emulator_on_a_port_in_use_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["emulator", "--port", str(port)]) == 2
    assert f"port {port} is in use" in _one_line(capsys.readouterr().err)


def test_a_bad_environment_override_is_blamed_on_the_variable(tmp_path: Path) -> None:
    config = _config(tmp_path, f"sqlite:///{tmp_path}/store.db")
    with pytest.raises(ConfigError) as caught:
        load_config(config, environ={"CRM_PULSE_PORTAL__TIMEOUT_SECONDS": "abc"})
    message = str(caught.value)
    assert message.startswith("environment variable CRM_PULSE_PORTAL__TIMEOUT_SECONDS:")
    assert str(config) not in message
    # a bad value in the file itself is still the file's
    config.write_text(
        f'[portal]\nwebhook_url = "{WEBHOOK}"\ntimeout_seconds = "x"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=f"^{config}: 'portal.timeout_seconds'"):
        load_config(config, environ={})


def test_a_report_on_a_store_never_synced_says_so_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, f"sqlite:///{tmp_path}/store.db")
    assert cli.main(["report", "calls", "--json", "--config", str(config)]) == 0
    captured = capsys.readouterr()
    assert "nothing has been synced into this store yet" in captured.err
    assert f"crm-pulse sync --config {config}" in captured.err
    assert captured.out.strip().startswith("{")  # the figures still come out, for scripts


def test_a_report_on_a_synced_store_says_nothing_of_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, f"sqlite:///{tmp_path}/store.db")
    engine = make_engine(f"sqlite:///{tmp_path}/store.db")
    migrate(engine)
    with Session(engine) as session:
        session.add(SyncState(entity="users", last_success_at=datetime(2026, 11, 19, tzinfo=UTC)))
        session.commit()
    engine.dispose()
    assert cli.main(["report", "calls", "--json", "--config", str(config)]) == 0
    assert "synced" not in capsys.readouterr().err


def test_demo_verbose_shows_the_log(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def quick_demo(seed: int, scale: str, out: Path, *more: object) -> int:
        # the demo's own work is covered elsewhere; here only whether its log is shown
        logging.getLogger("crm.sync").info("sync done in 0.1 s")
        return 0

    monkeypatch.setattr(app.cmd_demo, "demo", quick_demo)
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    try:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        assert cli.main(["demo", "--verbose"]) == 0
        assert "INFO crm.sync: sync done in 0.1 s" in capsys.readouterr().err
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.setLevel(saved[0])
        for handler in saved[1]:
            root.addHandler(handler)


def test_a_store_url_at_a_file_that_is_no_database_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("this is not a database\n" * 200, encoding="utf-8")
    config = _config(tmp_path, f"sqlite:///{notes}")
    assert cli.main(["report", "rating", "--json", "--config", str(config)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "storage.url" in line
    assert "the file is not a SQLite database" in line
