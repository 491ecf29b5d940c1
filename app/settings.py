"""The config turned into the plain values the layers below take (kpi never reads config)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from app.config import Config, ConfigError
from bot.bitrix.settings import BitrixChatSettings, derive_bot_token
from bot.contests import ContestRules
from jobs.game_settings import GameSettings
from jobs.settings import DEFAULT_GRACE, JOB_NAMES, QuietHours, ScheduleError, ScheduleSettings
from kpi.calendar import CalendarError, from_config
from kpi.plan import PLAN_LENGTHS
from kpi.settings import METRICS, KeyClientRule, KpiSettings, PlanBook

Targets = Mapping[int, Mapping[str, Mapping[str, Decimal]]]


def portal_url(config: Config) -> str:
    """``https://portal.bitrix24.ru`` from the webhook URL (the token is not part of it)."""
    if config.portal.auth == "app":  # app mode names the portal itself
        return config.portal.url.rstrip("/")
    parts = urlsplit(config.portal.webhook_url.get_secret_value())
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


def kpi_settings(config: Config) -> KpiSettings:
    """Every business setting of DESIGN.md's definitions, validated with the key named."""
    tz = config.portal.zone
    cal = config.calendar
    try:
        calendar = from_config(cal.weekdays, cal.hours, cal.holidays, cal.workdays, tz)
    except CalendarError as exc:
        raise ConfigError(str(exc)) from None
    coverage = config.coverage
    return KpiSettings(
        tz=tz,
        calendar=calendar,
        success_seconds=config.calls.success_seconds,
        callback_window=timedelta(minutes=config.calls.callback_window_minutes),
        greeting_seconds=dict(config.calls.greeting_seconds),
        meeting_type_ids=frozenset(config.activities.meeting_type_ids),
        meeting_providers=frozenset(config.activities.meeting_providers),
        weights=config.scoring.model_dump(),
        key_clients=KeyClientRule(
            ids=frozenset(coverage.key_client_ids),
            field=coverage.key_client_field,
            value=coverage.key_client_value,
            abc_a=coverage.key_client_abc,
        ),
        sales_departments=tuple(config.scope.sales_departments),
        plans=plan_book(config.plans),
        stage_probability=dict(config.forecast.stage_probability),
        abc_months=config.abc.months,
        portal_url=portal_url(config),
        channel_costs={
            source: {month: Decimal(str(amount)) for month, amount in months.items()}
            for source, months in config.channels.costs.items()
        },
    )


def plan_book(raw: Mapping[str, Any]) -> PlanBook:
    """``[plans.department.<id>.<length>]`` and ``[plans.employee.<id>.<length>]`` tables."""
    unknown = sorted(set(raw) - {"department", "employee"})
    if unknown:
        msg = f"plans.{unknown[0]}: unknown; use [plans.department.ID.LENGTH] or plans.employee"
        raise ConfigError(msg)
    return PlanBook(
        departments=_targets("department", raw.get("department", {})),
        employees=_targets("employee", raw.get("employee", {})),
    )


def _targets(kind: str, raw: Any) -> Targets:
    result: dict[int, dict[str, dict[str, Decimal]]] = {}
    if not isinstance(raw, Mapping):
        msg = f"plans.{kind}: expected tables such as [plans.{kind}.1.month]"
        raise ConfigError(msg)
    for key, lengths in raw.items():
        where = f"plans.{kind}.{key}"
        if not str(key).isdigit():
            msg = f"{where}: {key!r} is not a portal {kind} id (a number)"
            raise ConfigError(msg)
        if not isinstance(lengths, Mapping):
            msg = f"{where}: expected tables such as [{where}.month]"
            raise ConfigError(msg)
        result[int(key)] = {
            length: _metrics(f"{where}.{length}", length, metrics)
            for length, metrics in lengths.items()
        }
    return result


def _metrics(where: str, length: str, raw: Any) -> dict[str, Decimal]:
    if length not in PLAN_LENGTHS:
        msg = f"{where}: unknown period length; use one of {', '.join(sorted(PLAN_LENGTHS))}"
        raise ConfigError(msg)
    if not isinstance(raw, Mapping):
        msg = f"{where}: expected metric = number pairs such as calls = 600"
        raise ConfigError(msg)
    targets: dict[str, Decimal] = {}
    for metric, value in raw.items():
        if metric not in METRICS:
            msg = f"{where}.{metric}: unknown metric; use one of {', '.join(METRICS)}"
            raise ConfigError(msg)
        try:
            target = Decimal(str(value))
        except InvalidOperation:
            target = Decimal(-1)
        if isinstance(value, bool) or not target.is_finite() or target < 0:
            msg = f"{where}.{metric} = {value!r}: must be a number not below 0"
            raise ConfigError(msg)
        targets[metric] = target
    return targets


def schedule_settings(config: Config) -> ScheduleSettings:
    sched = config.schedule
    cron = {name: getattr(sched, name) for name in JOB_NAMES}
    try:
        return ScheduleSettings(
            cron=cron,
            disabled=frozenset(sched.disabled),
            grace={
                **DEFAULT_GRACE,
                **{k: timedelta(minutes=v) for k, v in sched.grace_minutes.items()},
            },
            quiet_hours=QuietHours.parse(sched.quiet_hours),
            freshness=timedelta(minutes=sched.fresh_minutes),
            celebrate_amount=(
                None
                if sched.celebrate_deal_amount is None
                else Decimal(str(sched.celebrate_deal_amount))
            ),
            celebrate_lookback=timedelta(days=sched.celebrate_lookback_days),
            missed_head_delay=timedelta(minutes=sched.missed_head_delay_minutes),
            missed_lookback=timedelta(hours=sched.missed_lookback_hours),
            pace_period=sched.pace_period,
            pace_metrics=tuple(sched.pace_metrics),
            leader_lease=timedelta(seconds=sched.leader_lease_seconds),
            retry_every=timedelta(minutes=sched.retry_minutes),
        )
    except ScheduleError as exc:
        raise ConfigError(str(exc)) from None


def game_settings(config: Config) -> GameSettings:
    """[contests] and [badges] as the jobs take them."""
    contests, badges = config.contests, config.badges
    if badges.plan_metric not in METRICS:
        known = ", ".join(METRICS)
        msg = f"badges.plan_metric: unknown metric {badges.plan_metric!r}; use one of {known}"
        raise ConfigError(msg)
    return GameSettings(
        leader_every=timedelta(minutes=contests.leader_post_minutes),
        nudges=contests.nudges,
        broken_streak_days=contests.broken_streak_days,
        badges=tuple(badges.rules) if badges.enabled else (),
        calls_per_day=badges.calls_per_day,
        plan_months=badges.plan_months,
        plan_metric=badges.plan_metric,
    )


def contest_rules(config: Config) -> ContestRules:
    """[contests] as the chats' /contest takes it."""
    return ContestRules(max_days=config.contests.max_days, team_mode=config.contests.team_mode)


def bitrix_chat_settings(config: Config) -> BitrixChatSettings:
    chat = config.bitrix_chat
    token = chat.bot_token.get_secret_value() or derive_bot_token(
        config.portal.webhook_url.get_secret_value(), chat.bot_code
    )
    try:
        return BitrixChatSettings(
            enabled=chat.enabled,
            team_dialogs=tuple(chat.team_dialogs),
            bot_code=chat.bot_code,
            bot_name=chat.bot_name,
            bot_token=token,
            client_id=chat.client_id,
            application_token=chat.application_token.get_secret_value(),
            event_mode=chat.event_mode,
            event_url=chat.event_url,
            poll_seconds=chat.poll_seconds,
            keyboards=chat.keyboards,
            personal_via=chat.personal_via,
        )
    except ValueError as exc:
        raise ConfigError(f"bitrix_chat: {exc}") from None
