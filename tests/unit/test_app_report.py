"""`crm-pulse report`'s --employee and --department: one match, or a message listing them."""

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.cmd_report import UsageError, resolve_scope
from tests.kpi_data import Data, make_settings, team


@pytest.fixture
def session(sqlite_engine: Engine) -> Session:
    data = Data()
    team(data)
    with Session(sqlite_engine) as session:
        data.write(session)
        yield session


def test_flags_name_one_employee_or_department_or_the_company(session: Session) -> None:
    settings = make_settings(sales_departments=(1,))
    assert resolve_scope(session, settings, "petrov", None).employee_ids == (11,)
    moscow = resolve_scope(session, settings, None, "Москва")
    assert (moscow.kind, moscow.employee_ids) == ("department", (11, 12))
    assert resolve_scope(session, settings, None, None).kind == "company"


def test_an_unknown_or_ambiguous_name_lists_the_choices(session: Session) -> None:
    settings = make_settings(sales_departments=(1,))
    with pytest.raises(UsageError, match="matches nothing; choose one of: .*Anna Orlova"):
        resolve_scope(session, settings, "Zoe", None)
    with pytest.raises(UsageError, match="matches several; choose one of: 1 Продажи, 2"):
        resolve_scope(session, settings, None, "продаж")
    with pytest.raises(UsageError, match="not both"):
        resolve_scope(session, settings, "Anna", "Продажи")
