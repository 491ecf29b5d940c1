"""Each report's figures as plain tables: what the Excel export writes, one sheet each.

Values stay typed (int, Decimal, float shares, aware datetimes, dates); ``reports.excel``
turns them into Excel numbers and dates with a format per column kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from charts.draw_kpi import METRIC_NAMES
from kpi.abc import AbcReport
from kpi.calls import CallsReport
from kpi.channels import ChannelsReport
from kpi.contests import Standings
from kpi.conversion import ConversionReport
from kpi.coverage import CoverageReport
from kpi.funnel import FunnelReport
from kpi.kpiplan import KpiReport
from kpi.lost import LostReport
from kpi.missed import MissedReport
from kpi.plan import PlanReport
from kpi.rating import RatingReport
from kpi.streaks import StreaksReport
from kpi.tasks import TasksReport
from reports.caption_people import STATUS
from reports.lists import LIST_TITLES, ListItem

Kind = Literal["text", "int", "points", "money", "number", "share", "datetime", "date", "url"]
# (attribute of the row object, column header, kind)
Col = tuple[str, str, Kind]


@dataclass(frozen=True)
class Table:
    title: str  # the sheet's name (<= 31 characters, none of []:*?/\)
    headers: tuple[str, ...]
    kinds: tuple[Kind, ...]
    rows: tuple[tuple[Any, ...], ...]
    total: bool = False  # the last row is the total (bold)


def table(title: str, cols: Sequence[Col], rows: Sequence[Any], total: Any = None) -> Table:
    body = [*rows, total] if total is not None else list(rows)
    return Table(
        title,
        tuple(c[1] for c in cols),
        tuple(c[2] for c in cols),
        tuple(tuple(getattr(r, c[0]) for c in cols) for r in body),
        total=total is not None,
    )


WHO: tuple[Col, ...] = (("employee", "Сотрудник", "text"), ("employee_id", "ID", "int"))


def _rating(r: RatingReport) -> list[Table]:
    cols: list[Col] = [
        ("rank", "Место", "int"),
        *WHO,
        ("points", "Баллы", "points"),
        ("successful_calls", "Успешные звонки", "int"),
        ("emails", "Письма", "int"),
        ("meetings", "Встречи", "int"),
        ("deals_won", "Выиграно сделок", "int"),
        ("revenue", "Выручка", "money"),
        ("missed_lost", "Потерянные пропущенные", "int"),
        ("new_deals", "Новые сделки", "int"),
        ("connected_calls", "Соединённые звонки", "int"),
        ("talk_seconds", "Разговоры, с", "int"),
        ("previous_rank", "Место в прошлом периоде", "int"),
        ("rank_change", "Изменение места", "int"),
    ]
    return [table("Рейтинг", cols, r.rows, r.total)]


def _coverage(r: CoverageReport) -> list[Table]:
    cols: list[Col] = [
        *WHO,
        ("clients", "Клиентов", "int"),
        ("covered", "Охвачено", "int"),
        ("coverage", "Охват", "share"),
        ("key_clients", "Ключевых", "int"),
        ("key_covered", "Ключевых охвачено", "int"),
    ]
    return [table("Охват", cols, r.rows, r.total)]


def _calls(r: CallsReport) -> list[Table]:
    cols: list[Col] = [
        *WHO,
        ("calls", "Звонков", "int"),
        ("incoming", "Входящих", "int"),
        ("outgoing", "Исходящих", "int"),
        ("connected", "Соединено", "int"),
        ("successful", "Успешных", "int"),
        ("missed", "Пропущено", "int"),
        ("missed_called_back", "Перезвонили", "int"),
        ("missed_lost", "Потеряно", "int"),
        ("talk_seconds", "Разговоры, с", "int"),
        ("avg_callback_seconds", "Среднее время перезвона, с", "int"),
    ]
    hours = Table("По часам", ("Час", "Звонков"), ("int", "int"), tuple(enumerate(r.by_hour)))
    day_cols: list[Col] = [
        ("day", "День", "date"),
        ("calls", "Звонков", "int"),
        ("missed", "Пропущено", "int"),
    ]
    client_cols: list[Col] = [
        ("title", "Клиент", "text"),
        ("client_type", "Тип", "text"),
        ("client_id", "ID", "int"),
        ("calls", "Звонков", "int"),
        ("connected", "Соединено", "int"),
        ("talk_seconds", "Разговоры, с", "int"),
        ("url", "Ссылка", "url"),
    ]
    return [
        table("Звонки", cols, r.rows, r.total),
        hours,
        table("По дням", day_cols, r.by_day),
        table("По клиентам", client_cols, r.clients),
    ]


def _missed(r: MissedReport) -> list[Table]:
    cols: list[Col] = [
        *WHO,
        ("missed", "Пропущено", "int"),
        ("missed_called_back", "Перезвонили", "int"),
        ("missed_lost", "Потеряно", "int"),
        ("avg_callback_seconds", "Среднее время перезвона, с", "int"),
    ]
    return [table("Пропущенные", cols, r.rows, r.total)]


def _kpi(r: KpiReport) -> list[Table]:
    rows = [
        (
            row.employee,
            row.employee_id,
            METRIC_NAMES.get(name, name),
            m.plan,
            m.fact,
            m.expected_by_now,
            "" if m.status is None else STATUS.get(m.status, ("", m.status))[1],
        )
        for row in (*r.rows, r.total)
        for name, m in row.metrics.items()
    ]
    headers = ("Сотрудник", "ID", "Показатель", "План", "Факт", "Ожидалось к сейчас", "Статус")
    kinds: tuple[Kind, ...] = ("text", "int", "text", "number", "number", "number", "text")
    return [Table("KPI", headers, kinds, tuple(rows))]


def _plan(r: PlanReport) -> list[Table]:
    cols: list[Col] = [
        *WHO,
        ("revenue", "Выручка", "money"),
        ("plan", "План", "money"),
        ("deals_won", "Выиграно сделок", "int"),
        ("forecast_run_rate", "Прогноз по темпу", "money"),
        ("forecast_pipeline", "Прогноз по воронке", "money"),
    ]
    day_cols: list[Col] = [
        ("day", "День", "date"),
        ("revenue", "Выручка", "money"),
        ("cumulative", "Нарастающим итогом", "money"),
    ]
    return [table("План", cols, r.rows, r.total), table("По дням", day_cols, r.daily)]


def _funnel(r: FunnelReport) -> list[Table]:
    names = {p.pipeline_id: p.pipeline for p in r.pipelines}
    rows = [
        (names[s.pipeline_id], s.stage_id, s.stage, s.semantics, s.deals, s.amount) for s in r.rows
    ]
    rows.append(("Итого", "", "", "", r.total.deals, r.total.amount))
    headers = ("Воронка", "Код этапа", "Этап", "Семантика", "Сделок", "Сумма")
    kinds: tuple[Kind, ...] = ("text", "text", "text", "text", "int", "money")
    return [Table("Воронка", headers, kinds, tuple(rows), total=True)]


LEADS: tuple[Col, ...] = (
    ("leads", "Лидов", "int"),
    ("converted", "Сконвертировано", "int"),
    ("to_deals", "В сделки", "int"),
    ("to_won", "В продажи", "int"),
    ("conversion", "Конверсия", "share"),
)


def _conversion(r: ConversionReport) -> list[Table]:
    source: list[Col] = [("source", "Источник", "text"), ("source_id", "Код", "text"), *LEADS]
    kinds: list[Col] = [("name", "Тип", "text"), ("type", "Код", "text"), *LEADS]
    return [
        table("По источникам", source, r.by_source),
        table("По типам", kinds, r.by_type),
        table("По сотрудникам", [*WHO, *LEADS], r.rows, r.total),
    ]


def _lost(r: LostReport) -> list[Table]:
    entity = {"lead": "Лид", "deal": "Сделка"}
    reasons = tuple(
        (entity[x.entity], x.status_id, x.reason, x.count, x.amount) for x in r.reasons
    )
    headers = ("Что", "Код", "Причина", "Количество", "Сумма")
    kinds: tuple[Kind, ...] = ("text", "text", "text", "int", "money")
    people: list[Col] = [
        *WHO,
        ("leads", "Лидов", "int"),
        ("deals", "Сделок", "int"),
        ("count", "Всего", "int"),
        ("amount", "Сумма", "money"),
    ]
    return [
        Table("Причины", headers, kinds, reasons),
        table("По сотрудникам", people, r.rows, r.total),
    ]


def _abc(r: AbcReport) -> list[Table]:
    cols: list[Col] = [
        ("rank", "Место", "int"),
        ("title", "Компания", "text"),
        ("company_id", "ID", "int"),
        ("revenue", "Выручка", "money"),
        ("share", "Доля", "share"),
        ("cumulative_share", "Накопленная доля", "share"),
        ("abc", "ABC", "text"),
        ("xyz", "XYZ", "text"),
        ("variation", "Вариация", "share"),
    ]
    cells: list[Col] = [
        ("abc", "ABC", "text"),
        ("xyz", "XYZ", "text"),
        ("companies", "Компаний", "int"),
        ("revenue", "Выручка", "money"),
    ]
    return [table("ABC-XYZ", cols, r.rows), table("Матрица", cells, r.matrix)]


def _tasks(r: TasksReport) -> list[Table]:
    cols: list[Col] = [*WHO, ("completed", "Выполнено", "int"), ("overdue", "Просрочено", "int")]
    return [table("Задачи", cols, r.rows, r.total)]


def _streaks(r: StreaksReport) -> list[Table]:
    cols: list[Col] = [
        *WHO,
        ("metric", "Показатель", "text"),
        ("current", "Серия, дней", "int"),
        ("best", "Рекорд, дней", "int"),
        ("current_start", "Серия с", "date"),
    ]
    return [table("Серии", cols, r.rows)]


def _channels(r: ChannelsReport) -> list[Table]:
    from reports.caption_channels import channels_tables  # it imports this module

    return channels_tables(r)


def _contest(r: Standings) -> list[Table]:
    """A contest's standings (the result post when its podium could not be sent)."""
    who = "Команда" if r.teams else "Сотрудник"
    rows = tuple((row.rank, row.name, row.value) for row in r.rows)
    return [Table("Итоги", ("Место", who, "Значение"), ("int", "text", "number"), rows)]


def _badge(r: Any) -> list[Table]:
    """A badge announcement: who and what (``reports.game_badges.BadgeFigures``)."""
    return [Table("Значок", ("Сотрудник", "Значок"), ("text", "text"), ((r.person, r.title),))]


_TABLES: Mapping[str, Callable[[Any], list[Table]]] = MappingProxyType(
    {
        "rating": _rating,
        "coverage": _coverage,
        "calls": _calls,
        "missed": _missed,
        "kpi": _kpi,
        "plan": _plan,
        "funnel": _funnel,
        "conversion": _conversion,
        "lost": _lost,
        "abc": _abc,
        "tasks": _tasks,
        "streaks": _streaks,
        "channels": _channels,
        "contest": _contest,
        "badge": _badge,
    }
)
WHEN = MappingProxyType(
    {"uncovered": "Последний контакт", "open_missed": "Время звонка", "overdue": "Срок"}
)


def list_table(key: str, items: Sequence[ListItem]) -> Table:
    headers = ("Название", "Сотрудник", WHEN.get(key, "Когда"), "Ссылка", "Подробности")
    kinds: tuple[Kind, ...] = ("text", "text", "datetime", "url", "text")
    rows = tuple((x.title, x.employee, x.at, x.url, x.detail) for x in items)
    return Table(LIST_TITLES.get(key, key)[:31], headers, kinds, rows)


def report_tables(name: str, figures: Any, lists: Mapping[str, Sequence[ListItem]]) -> list[Table]:
    """The report's tables, then one per drill-down list."""
    return [*_TABLES[name](figures), *(list_table(k, v) for k, v in lists.items())]
