from pathlib import Path

import pytest

from app.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_is_valid() -> None:
    config = load_config(ROOT / "config.example.toml", environ={})
    assert config.portal.timezone == "Europe/Moscow"
    assert config.portal.rate == (2.0, 50)
    assert config.calls.success_seconds == 20
    assert config.schedule.morning == "0 9 * * mon-fri"


def test_environment_overrides_file_values(tmp_path: Path) -> None:
    path = write(tmp_path, '[portal]\ntimezone = "Europe/Moscow"\n')
    config = load_config(
        path,
        environ={
            "CRM_PULSE_PORTAL__TIMEZONE": "Asia/Yekaterinburg",
            "CRM_PULSE_PORTAL__PLAN": "enterprise",
            "CRM_PULSE_CALLS__SUCCESS_SECONDS": "30",
            "CRM_PULSE_TELEGRAM__TEAM_CHATS": '["-100123:7", "-100456"]',
            "CRM_PULSE_TELEGRAM__TOKEN": "123:ABC",
            "UNRELATED": "x",
        },
    )
    assert config.portal.timezone == "Asia/Yekaterinburg"
    assert config.portal.rate == (5.0, 250)
    assert config.calls.success_seconds == 30
    assert config.telegram.team_chats == ["-100123:7", "-100456"]
    assert config.telegram.token.get_secret_value() == "123:ABC"


def test_bad_value_names_key_value_and_what_is_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, '[portal]\ntimezone = "Mars/Olympus"\n[calls]\nsuccess_seconds = -5\n')
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    text = str(err.value)
    assert "portal.timezone" in text
    assert "Mars/Olympus" in text
    assert "IANA" in text
    assert "calls.success_seconds" in text
    assert "greater than or equal to 0" in text


def test_unknown_key_and_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown key 'portal.webhok_url'"):
        load_config(write(tmp_path, '[portal]\nwebhok_url = "x"\n'), environ={})
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "absent.toml", environ={})
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[portal\n"), environ={})


def test_secrets_are_never_printed(tmp_path: Path) -> None:
    secret = "https://p.bitrix24.ru/rest/1/supersecretcode/"
    config = load_config(
        write(
            tmp_path, f'[portal]\nwebhook_url = "{secret}"\n[telegram]\ntoken = "9:TOPSECRET"\n'
        ),
        environ={},
    )
    dumped = repr(config) + str(config) + config.model_dump_json()
    assert "supersecretcode" not in dumped
    assert "TOPSECRET" not in dumped
    # A bad secret value is reported without echoing it.
    with pytest.raises(ConfigError) as err:
        load_config(
            write(tmp_path, '[portal]\nwebhook_url = "ftp://leak/secretcode"\n'), environ={}
        )
    assert "secretcode" not in str(err.value)
    assert "portal.webhook_url" in str(err.value)


def test_team_chat_ids_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="telegram.team_chats"):
        load_config(write(tmp_path, '[telegram]\nteam_chats = ["general"]\n'), environ={})


def test_malformed_environment_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CRM_PULSE_<SECTION>__<KEY>"):
        load_config(None, environ={"CRM_PULSE_TIMEZONE": "UTC"})
