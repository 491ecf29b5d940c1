"""The config turned into kpi settings: plans, weights, calendar, key clients, links."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from app.config import ConfigError, load_config
from app.settings import kpi_settings

PLANS = """
[portal]
webhook_url = "https://acme.bitrix24.ru/rest/1/secretcode/"
timezone = "Asia/Yekaterinburg"

[calls]
callback_window_minutes = 30

[scoring]
meeting = 7.5

[scope]
sales_departments = [2]

[coverage]
key_client_field = "UF_CRM_KEY_CLIENT"
key_client_value = "1"

[forecast]
stage_probability = { "C1:NEGOTIATION" = 0.5 }

[plans.department.2.month]
calls = 600
revenue = 3000000.50

[plans.employee.17.month]
revenue = 1500000
"""


def settings_of(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return kpi_settings(load_config(path, environ={}))


def test_every_section_reaches_the_kpi_settings(tmp_path: Path) -> None:
    settings = settings_of(tmp_path, PLANS)
    assert str(settings.tz) == "Asia/Yekaterinburg"
    assert settings.callback_window == timedelta(minutes=30)
    assert settings.weights["meeting"] == 7.5
    assert settings.weights["successful_call"] == 1.0
    assert settings.sales_departments == (2,)
    assert settings.key_clients.field == "UF_CRM_KEY_CLIENT"
    assert settings.stage_probability == {"C1:NEGOTIATION": 0.5}
    assert settings.plans.departments[2]["month"] == {
        "calls": Decimal(600),
        "revenue": Decimal("3000000.5"),
    }
    assert settings.plans.employees[17]["month"]["revenue"] == Decimal(1500000)
    # Links to CRM cards use the portal's address, never the webhook's secret path.
    assert settings.portal_url == "https://acme.bitrix24.ru"


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ("[plans.department.2.fortnight]\ncalls = 1", "plans.department.2.fortnight"),
        ("[plans.department.2.month]\nhugs = 1", "plans.department.2.month.hugs"),
        ("[plans.department.2.month]\ncalls = -5", "plans.department.2.month.calls"),
        ('[plans.department.2.month]\ncalls = "many"', "plans.department.2.month.calls"),
        ("[plans.department.sales.month]\ncalls = 1", "plans.department.sales"),
        ("[plans.team.2.month]\ncalls = 1", "plans.team"),
    ],
)
def test_a_bad_plan_names_its_key(tmp_path: Path, table: str, named: str) -> None:
    with pytest.raises(ConfigError) as err:
        settings_of(tmp_path, table)
    assert named in str(err.value)


def test_a_bad_stage_probability_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="forecast.stage_probability"):
        settings_of(tmp_path, '[forecast]\nstage_probability = { "WON" = 5 }')


def test_a_bad_holiday_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="calendar.holidays"):
        settings_of(tmp_path, '[calendar]\nholidays = ["2026-13-01"]')
