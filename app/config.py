"""Typed configuration: a TOML file plus ``CRM_PULSE_<SECTION>__<KEY>`` environment overrides.

Validated once, at start-up; a bad file or value stops the program with a message that
names the key, the value and what is allowed. Secrets are ``SecretStr`` and never printed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

ENV_PREFIX = "CRM_PULSE_"


class ConfigError(Exception):
    """The configuration cannot be used; the message says which key and how to fix it."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PortalConfig(_Section):
    webhook_url: SecretStr = SecretStr("")
    timezone: str = "Europe/Moscow"
    plan: Literal["standard", "enterprise"] = "standard"
    requests_per_second: float | None = Field(default=None, gt=0)
    burst: int | None = Field(default=None, ge=1)
    timeout_seconds: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=6, ge=0)
    # App mode (a local OAuth application, DESIGN.md item 15): tokens live in the store.
    auth: Literal["webhook", "app"] = "webhook"
    url: str = ""
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    oauth_url: str = "https://oauth.bitrix24.tech/oauth/token/"

    @field_validator("url", "oauth_url")
    @classmethod
    def _http_address(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            msg = "must be an http(s) address, e.g. https://example.bitrix24.ru"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _app_keys(self) -> PortalConfig:
        if self.auth == "app":
            missing = [
                key
                for key, value in (
                    ("url", self.url),
                    ("client_id", self.client_id),
                    ("client_secret", self.client_secret.get_secret_value()),
                )
                if not value
            ]
            if missing:
                msg = (
                    f"auth = 'app' needs {', '.join(missing)}: the portal's address and the "
                    "keys from the local application's page on the portal (see README, app mode)"
                )
                raise ValueError(msg)
        return self

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            msg = f"unknown time zone {value!r}; use an IANA name such as 'Europe/Moscow'"
            raise ValueError(msg) from exc
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_shape(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        if url and not url.startswith(("https://", "http://")):
            msg = "must look like https://PORTAL/rest/USER_ID/CODE/"
            raise ValueError(msg)
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def rate(self) -> tuple[float, int]:
        """Requests per second and burst: the plan's leaky bucket unless set explicitly."""
        default_rate, default_burst = (5.0, 250) if self.plan == "enterprise" else (2.0, 50)
        return (self.requests_per_second or default_rate, self.burst or default_burst)


class StorageConfig(_Section):
    url: str = "sqlite:///crm-pulse.db"

    @field_validator("url")
    @classmethod
    def _supported(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            msg = "must be a sqlite:///PATH or postgresql+psycopg://USER@HOST/DB URL"
            raise ValueError(msg)
        return value


class SyncConfig(_Section):
    history_days: int = Field(default=400, ge=1)
    overlap_minutes: int = Field(default=10, ge=0)
    calls_window_days: int = Field(default=14, ge=1, le=14)
    calls_reread_days: int = Field(default=2, ge=0)
    reconcile_hours: float = Field(default=24.0, gt=0)


class TelegramConfig(_Section):
    token: SecretStr = SecretStr("")
    api_base: str | None = None
    mode: Literal["polling", "webhook"] = "polling"
    team_chats: list[str] = Field(default_factory=list)
    webhook_url: str | None = None
    webhook_secret: SecretStr = SecretStr("")
    # Deprecated: [web] host and port say where the one listener is (read when [web] is silent).
    listen_host: str | None = None
    listen_port: int | None = Field(default=None, ge=1, le=65535)

    @field_validator("team_chats")
    @classmethod
    def _chat_ids(cls, value: list[str]) -> list[str]:
        for item in value:
            chat, _, topic = str(item).partition(":")
            if not chat.lstrip("-").isdigit() or (topic and not topic.isdigit()):
                msg = f"{item!r} is not a chat id or 'chat_id:topic_id'"
                raise ValueError(msg)
        return [str(item) for item in value]


class CallsConfig(_Section):
    success_seconds: int = Field(default=20, ge=0)
    callback_window_minutes: int = Field(default=60, ge=1)
    greeting_seconds: dict[str, int] = Field(default_factory=dict)


class PersonConfig(_Section):
    bitrix_id: int = Field(ge=1)
    telegram_id: int | None = None
    role: Literal["admin", "head", "employee"] = "employee"


class ScopeConfig(_Section):
    sales_departments: list[int] = Field(default_factory=list)


class CoverageConfig(_Section):
    key_client_field: str | None = None
    key_client_value: str | None = None
    key_client_ids: list[int] = Field(default_factory=list)
    key_client_abc: bool = False

    @model_validator(mode="after")
    def _field_needs_value(self) -> CoverageConfig:
        if self.key_client_field and self.key_client_value is None:
            msg = "key_client_field needs key_client_value (the value that marks a key client)"
            raise ValueError(msg)
        return self


class ScoringConfig(_Section):
    successful_call: float = 1.0
    outgoing_email: float = 0.5
    meeting: float = 5.0
    deal_won: float = 10.0
    missed_call_lost: float = -1.0
    new_deal: float = 0.0
    connected_call: float = 0.0
    talk_minute: float = 0.0


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WORKING_WEEK: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")


class CalendarConfig(_Section):
    weekdays: list[Weekday] = Field(default_factory=lambda: list(WORKING_WEEK))
    hours: str = "09:00-18:00"
    holidays: list[str] = Field(default_factory=list)
    workdays: list[str] = Field(default_factory=list)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        start, sep, end = value.partition("-")
        if not sep or not _is_hhmm(start) or not _is_hhmm(end) or start >= end:
            msg = "must be 'HH:MM-HH:MM' with the start before the end"
            raise ValueError(msg)
        return value


def _is_hhmm(text: str) -> bool:
    hh, sep, mm = text.partition(":")
    return bool(sep) and hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60


class ActivitiesConfig(_Section):
    meeting_type_ids: list[int] = Field(default_factory=lambda: [1])
    meeting_providers: list[str] = Field(default_factory=lambda: ["CRM_MEETING"])


class ForecastConfig(_Section):
    stage_probability: dict[str, float] = Field(default_factory=dict)

    @field_validator("stage_probability")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        for stage, share in value.items():
            if not 0 <= share <= 1:
                msg = f"probability of stage {stage!r} must be between 0 and 1, not {share}"
                raise ValueError(msg)
        return value


class AbcConfig(_Section):
    months: int = Field(default=12, ge=1, le=60)


class BitrixChatConfig(_Section):
    enabled: bool = False
    team_dialogs: list[str] = Field(default_factory=list)
    bot_code: str = "crm_pulse"
    bot_name: str = "CRM Pulse"
    bot_token: SecretStr = SecretStr("")
    event_mode: Literal["auto", "fetch", "push", "off"] = "auto"
    event_url: str | None = None
    client_id: str = ""
    application_token: SecretStr = SecretStr("")
    poll_seconds: float = Field(default=5.0, gt=0)
    personal_via: Literal["dialog", "notify"] = "dialog"
    keyboards: bool = True


class ScheduleConfig(_Section):
    sync: str = "*/5 * * * *"
    full_sync: str = "30 2 * * *"
    morning: str = "0 9 * * mon-fri"
    weekly: str = "0 9 * * mon-fri"
    pace: str = "0 13,16 * * mon-fri"
    missed: str = "*/5 * * * *"
    overdue: str = "30 9 * * mon-fri"
    celebrate: str = "*/15 * * * *"
    contests: str = "*/15 * * * *"
    streaks: str = "15 9 * * mon-fri"
    badges: str = "10 * * * *"
    disabled: list[str] = Field(default_factory=list)
    grace_minutes: dict[str, int] = Field(default_factory=dict)
    quiet_hours: str = "21:00-08:00"
    fresh_minutes: int = Field(default=30, ge=1)
    celebrate_deal_amount: float | None = Field(default=None, gt=0)
    celebrate_lookback_days: int = Field(default=3, ge=1)
    missed_head_delay_minutes: int = Field(default=120, ge=1)
    missed_lookback_hours: int = Field(default=24, ge=1)
    pace_period: str = "month"
    pace_metrics: list[str] = Field(default_factory=list)
    leader_lease_seconds: int = Field(default=60, ge=5)
    retry_minutes: int = Field(default=5, ge=1)


class WebConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port (tests)
    public_url: str | None = None

    @field_validator("public_url")
    @classmethod
    def _public(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://")):
            msg = "must be the address people and the portal reach us at, e.g. https://pulse.example.com"
            raise ValueError(msg)
        return value.rstrip("/") if value else value


class EventsConfig(_Section):
    enabled: bool = False
    path: str = "/bitrix24/events"
    application_token: SecretStr = SecretStr("")
    # App mode only: drain the portal's offline event queue (no public address needed).
    offline: bool = False
    offline_poll_seconds: float = Field(default=5.0, gt=0)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            msg = "must be a path starting with '/', e.g. /bitrix24/events"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _token_when_enabled(self) -> EventsConfig:
        if self.enabled and not self.application_token.get_secret_value():
            msg = (
                "enabled = true needs application_token: the token the portal shows on the "
                "outbound webhook's page (CRM_PULSE_EVENTS__APPLICATION_TOKEN)"
            )
            raise ValueError(msg)
        return self


class ContestsConfig(_Section):
    # A team contest ranks teams by the sum of their members' values, or the average.
    team_mode: Literal["sum", "average"] = "sum"
    max_days: int = Field(default=366, ge=1, le=3660)
    # At most one "the leader changed" post per contest in this many minutes.
    leader_post_minutes: int = Field(default=60, ge=1)
    nudges: bool = True
    # A broken streak this long (working days) is announced.
    broken_streak_days: int = Field(default=5, ge=2)


BadgeRule = Literal[
    "first_deal_month", "calls_day", "best_week", "plan_months", "fastest_callback"
]


def _all_badges() -> list[BadgeRule]:
    return ["first_deal_month", "calls_day", "best_week", "plan_months", "fastest_callback"]


class BadgesConfig(_Section):
    enabled: bool = True
    rules: list[BadgeRule] = Field(default_factory=_all_badges)
    calls_per_day: int = Field(default=100, ge=1)
    plan_months: int = Field(default=3, ge=2, le=12)
    plan_metric: str = "revenue"


class ChannelsConfig(_Section):
    # Cost per lead source and month: {"SOURCE_ID" = {"2026-11" = 150000}}.
    costs: dict[str, dict[str, float]] = Field(default_factory=dict)

    @field_validator("costs")
    @classmethod
    def _months(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for source, months in value.items():
            for month, amount in months.items():
                year, sep, number = month.partition("-")
                if not (sep and len(year) == 4 and year.isdigit() and number.isdigit()
                        and len(number) == 2 and 1 <= int(number) <= 12):  # fmt: skip
                    msg = f"{source}: {month!r} is not a month; write it as YYYY-MM"
                    raise ValueError(msg)
                if amount < 0:
                    msg = f"{source}.{month}: a cost cannot be below 0"
                    raise ValueError(msg)
        return value


class LocaleConfig(_Section):
    # The language of posts, captions, charts, pages and the bot's answers in team chats; a
    # Telegram user's private replies follow their own Telegram language instead.
    language: Literal["ru", "en"] = "ru"


class LoggingConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Config(_Section):
    portal: PortalConfig = PortalConfig()
    storage: StorageConfig = StorageConfig()
    sync: SyncConfig = SyncConfig()
    telegram: TelegramConfig = TelegramConfig()
    calls: CallsConfig = CallsConfig()
    people: list[PersonConfig] = Field(default_factory=list)
    scope: ScopeConfig = ScopeConfig()
    coverage: CoverageConfig = CoverageConfig()
    scoring: ScoringConfig = ScoringConfig()
    calendar: CalendarConfig = CalendarConfig()
    activities: ActivitiesConfig = ActivitiesConfig()
    forecast: ForecastConfig = ForecastConfig()
    abc: AbcConfig = AbcConfig()
    plans: dict[str, Any] = Field(default_factory=dict)
    bitrix_chat: BitrixChatConfig = BitrixChatConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    web: WebConfig = WebConfig()
    events: EventsConfig = EventsConfig()
    contests: ContestsConfig = ContestsConfig()
    badges: BadgesConfig = BadgesConfig()
    channels: ChannelsConfig = ChannelsConfig()
    locale: LocaleConfig = LocaleConfig()
    logging: LoggingConfig = LoggingConfig()
    # The file it was read from (None: built in code or from the environment only).
    _path: Path | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path | None:
        return self._path

    @model_validator(mode="after")
    def _offline_needs_app(self) -> Config:
        if self.events.offline and self.portal.auth != "app":
            msg = (
                "events.offline = true needs portal.auth = 'app': only an application can "
                "read the portal's offline event queue (see README, app mode)"
            )
            raise ValueError(msg)
        return self


def _env_value(raw: str) -> Any:
    """An environment value read as a TOML literal (numbers, booleans, lists), else as text."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def apply_env(data: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    merged = {
        key: dict(value) if isinstance(value, dict) else value for key, value in data.items()
    }
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        section, sep, key = name[len(ENV_PREFIX) :].lower().partition("__")
        if not sep or not key:
            msg = f"environment variable {name}: expected CRM_PULSE_<SECTION>__<KEY>"
            raise ConfigError(msg)
        target = merged.setdefault(section, {})
        if not isinstance(target, dict):
            msg = f"environment variable {name}: [{section}] is not a section"
            raise ConfigError(msg)
        target[key] = _env_value(raw)
    return merged


def env_names(environ: Mapping[str, str]) -> dict[tuple[str, str], str]:
    """(section, key) -> the ``CRM_PULSE_`` variable that set it, to blame the right source."""
    names: dict[tuple[str, str], str] = {}
    for name in environ:
        if name.startswith(ENV_PREFIX):
            section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
            names[(section, key)] = name
    return names


def _describe(
    error: Mapping[str, Any], source: str, env: Mapping[tuple[str, str], str] | None = None
) -> str:
    key = ".".join(str(part) for part in error["loc"])
    parts = [str(part) for part in error["loc"]]
    variable = (env or {}).get((parts[0], parts[1])) if len(parts) >= 2 else None
    if variable:
        source = f"environment variable {variable}"
    value = error.get("input")
    shown = "(hidden)" if any(s in key for s in ("token", "webhook_url", "secret")) else value
    if error["type"] == "extra_forbidden":
        return f"{source}: unknown key '{key}' (see config.example.toml for the keys there are)"
    if error["type"] == "missing":
        return f"{source}: '{key}' is required"
    if isinstance(value, Mapping):  # a whole section (or the file): never print its secrets
        return f"{source}: {f'[{key}]: ' if key else ''}{error['msg']}"
    return f"{source}: '{key}' = {shown!r}: {error['msg']}"


def load_config(path: Path | None, environ: Mapping[str, str] | None = None) -> Config:
    """Read, merge and validate the configuration; raise ConfigError naming every bad key."""
    environ = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    source = "environment"
    if path is not None:
        source = str(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            msg = f"{path}: no such config file; copy config.example.toml and edit it"
            raise ConfigError(msg) from exc
        except tomllib.TOMLDecodeError as exc:
            msg = f"{path}: not valid TOML: {exc}"
            raise ConfigError(msg) from exc
    try:
        config = Config.model_validate(apply_env(data, environ))
    except ValidationError as exc:
        env = env_names(environ)
        lines = [_describe(err, source, env) for err in exc.errors()]
        raise ConfigError("\n".join(lines)) from None
    config._path = path
    return config


def speak(config: Config, override: str | None = None) -> str:
    """Make ``--lang`` or ``[locale] language`` the language of this process's texts."""
    import locales

    language = override or config.locale.language
    locales.set_default(language)
    return language
