"""The tables of each report's figures (what ``reports.tables.report_tables`` writes).

One function per report, named as in ``reports.registry``; headers and sheet names are
looked up in the language in force each time a table is built.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from kpi.abc import AbcReport
from kpi.calls import CallsReport
from kpi.channels import ChannelsReport
from kpi.contests import Standings
from kpi.conversion import ConversionReport
from kpi.coverage import CoverageReport
from kpi.deals import TOTAL_NAME
from kpi.funnel import FunnelReport
from kpi.kpiplan import KpiReport
from kpi.lost import LostReport
from kpi.missed import MissedReport
from kpi.plan import PlanReport
from kpi.rating import RatingReport
from kpi.streaks import StreaksReport
from kpi.tasks import TasksReport
from locales import _
from reports.caption_channels import channels_tables
from reports.caption_people import status_word
from reports.kpi_words import kpi_word, metric_name
from reports.tables import Col, Kind, Table, table, who


def _rating(r: RatingReport) -> list[Table]:
    cols: list[Col] = [
        ("rank", _("Место"), "int"),
        *who(),
        ("points", _("Баллы"), "points"),
        ("successful_calls", _("Успешные звонки"), "int"),
        ("emails", _("Письма"), "int"),
        ("meetings", _("Встречи"), "int"),
        ("deals_won", _("Выиграно сделок"), "int"),
        ("revenue", _("Выручка"), "money"),
        ("missed_lost", _("Потерянные пропущенные"), "int"),
        ("new_deals", _("Новые сделки"), "int"),
        ("connected_calls", _("Соединённые звонки"), "int"),
        ("talk_seconds", _("Разговоры, с"), "int"),
        ("previous_rank", _("Место в прошлом периоде"), "int"),
        ("rank_change", _("Изменение места"), "int"),
    ]
    return [table(_("Рейтинг"), cols, r.rows, r.total)]


def _coverage(r: CoverageReport) -> list[Table]:
    cols: list[Col] = [
        *who(),
        ("clients", _("Клиентов"), "int"),
        ("covered", _("Охвачено"), "int"),
        ("coverage", _("Охват"), "share"),
        ("key_clients", _("Ключевых"), "int"),
        ("key_covered", _("Ключевых охвачено"), "int"),
    ]
    return [table(_("Охват"), cols, r.rows, r.total)]


def _calls(r: CallsReport) -> list[Table]:
    cols: list[Col] = [
        *who(),
        ("calls", _("Звонков"), "int"),
        ("incoming", _("Входящих"), "int"),
        ("outgoing", _("Исходящих"), "int"),
        ("connected", _("Соединено"), "int"),
        ("successful", _("Успешных"), "int"),
        ("missed", _("Пропущено"), "int"),
        ("missed_called_back", _("Перезвонили"), "int"),
        ("missed_lost", _("Потеряно"), "int"),
        ("talk_seconds", _("Разговоры, с"), "int"),
        ("avg_callback_seconds", _("Среднее время перезвона, с"), "int"),
    ]
    hours = Table(
        _("По часам"), (_("Час"), _("Звонков")), ("int", "int"), tuple(enumerate(r.by_hour))
    )
    day_cols: list[Col] = [
        ("day", _("День"), "date"),
        ("calls", _("Звонков"), "int"),
        ("missed", _("Пропущено"), "int"),
    ]
    client_cols: list[Col] = [
        ("title", _("Клиент"), "text"),
        ("client_type", _("Тип"), "text"),
        ("client_id", "ID", "int"),
        ("calls", _("Звонков"), "int"),
        ("connected", _("Соединено"), "int"),
        ("talk_seconds", _("Разговоры, с"), "int"),
        ("url", _("Ссылка"), "url"),
    ]
    return [
        table(_("Звонки"), cols, r.rows, r.total),
        hours,
        table(_("По дням"), day_cols, r.by_day),
        table(_("По клиентам"), client_cols, r.clients),
    ]


def _missed(r: MissedReport) -> list[Table]:
    cols: list[Col] = [
        *who(),
        ("missed", _("Пропущено"), "int"),
        ("missed_called_back", _("Перезвонили"), "int"),
        ("missed_lost", _("Потеряно"), "int"),
        ("avg_callback_seconds", _("Среднее время перезвона, с"), "int"),
    ]
    return [table(_("Пропущенные"), cols, r.rows, r.total)]


def _kpi(r: KpiReport) -> list[Table]:
    rows = [
        (
            kpi_word(row.employee),
            row.employee_id,
            metric_name(name),
            m.plan,
            m.fact,
            m.expected_by_now,
            "" if m.status is None else _status(m.status),
        )
        for row in (*r.rows, r.total)
        for name, m in row.metrics.items()
    ]
    headers = (
        _("Сотрудник"),
        "ID",
        _("Показатель"),
        _("План"),
        _("Факт"),
        _("Ожидалось к сейчас"),
        _("Статус"),
    )
    kinds: tuple[Kind, ...] = ("text", "int", "text", "number", "number", "number", "text")
    return [Table("KPI", headers, kinds, tuple(rows))]


def _plan(r: PlanReport) -> list[Table]:
    cols: list[Col] = [
        *who(),
        ("revenue", _("Выручка"), "money"),
        ("plan", _("План"), "money"),
        ("deals_won", _("Выиграно сделок"), "int"),
        ("forecast_run_rate", _("Прогноз по темпу"), "money"),
        ("forecast_pipeline", _("Прогноз по воронке"), "money"),
    ]
    day_cols: list[Col] = [
        ("day", _("День"), "date"),
        ("revenue", _("Выручка"), "money"),
        ("cumulative", _("Нарастающим итогом"), "money"),
    ]
    return [table(_("План"), cols, r.rows, r.total), table(_("По дням"), day_cols, r.daily)]


def _funnel(r: FunnelReport) -> list[Table]:
    names = {p.pipeline_id: p.pipeline for p in r.pipelines}
    rows = [
        (names[s.pipeline_id], s.stage_id, s.stage, s.semantics, s.deals, s.amount) for s in r.rows
    ]
    rows.append((kpi_word(TOTAL_NAME), "", "", "", r.total.deals, r.total.amount))
    headers = (_("Воронка"), _("Код этапа"), _("Этап"), _("Семантика"), _("Сделок"), _("Сумма"))
    kinds: tuple[Kind, ...] = ("text", "text", "text", "text", "int", "money")
    return [Table(_("Воронка"), headers, kinds, tuple(rows), total=True)]


def _leads() -> tuple[Col, ...]:
    return (
        ("leads", _("Лидов"), "int"),
        ("converted", _("Сконвертировано"), "int"),
        ("to_deals", _("В сделки"), "int"),
        ("to_won", _("В продажи"), "int"),
        ("conversion", _("Конверсия"), "share"),
    )


def _conversion(r: ConversionReport) -> list[Table]:
    source: list[Col] = [
        ("source", _("Источник"), "text"),
        ("source_id", _("Код"), "text"),
        *_leads(),
    ]
    kinds: list[Col] = [("name", _("Тип"), "text"), ("type", _("Код"), "text"), *_leads()]
    return [
        table(_("По источникам"), source, r.by_source),
        table(_("По типам"), kinds, r.by_type),
        table(_("По сотрудникам"), [*who(), *_leads()], r.rows, r.total),
    ]


def _lost(r: LostReport) -> list[Table]:
    entity = {"lead": _("Лид"), "deal": _("Сделка")}
    reasons = tuple(
        (entity[x.entity], x.status_id, x.reason, x.count, x.amount) for x in r.reasons
    )
    headers = (_("Что"), _("Код"), _("Причина"), _("Количество"), _("Сумма"))
    kinds: tuple[Kind, ...] = ("text", "text", "text", "int", "money")
    people: list[Col] = [
        *who(),
        ("leads", _("Лидов"), "int"),
        ("deals", _("Сделок"), "int"),
        ("count", _("Всего"), "int"),
        ("amount", _("Сумма"), "money"),
    ]
    return [
        Table(_("Причины"), headers, kinds, reasons),
        table(_("По сотрудникам"), people, r.rows, r.total),
    ]


def _abc(r: AbcReport) -> list[Table]:
    cols: list[Col] = [
        ("rank", _("Место"), "int"),
        ("title", _("Компания"), "text"),
        ("company_id", "ID", "int"),
        ("revenue", _("Выручка"), "money"),
        ("share", _("Доля"), "share"),
        ("cumulative_share", _("Накопленная доля"), "share"),
        ("abc", "ABC", "text"),
        ("xyz", "XYZ", "text"),
        ("variation", _("Вариация"), "share"),
    ]
    cells: list[Col] = [
        ("abc", "ABC", "text"),
        ("xyz", "XYZ", "text"),
        ("companies", _("Компаний"), "int"),
        ("revenue", _("Выручка"), "money"),
    ]
    return [table("ABC-XYZ", cols, r.rows), table(_("Матрица"), cells, r.matrix)]


def _tasks(r: TasksReport) -> list[Table]:
    cols: list[Col] = [
        *who(),
        ("completed", _("Выполнено"), "int"),
        ("overdue", _("Просрочено"), "int"),
    ]
    return [table(_("Задачи"), cols, r.rows, r.total)]


def _streaks(r: StreaksReport) -> list[Table]:
    cols: list[Col] = [
        *who(),
        ("metric", _("Показатель"), "text"),
        ("current", _("Серия, дней"), "int"),
        ("best", _("Рекорд, дней"), "int"),
        ("current_start", _("Серия с"), "date"),
    ]
    # the metric by its name, not its config key ("Звонки", not "calls")
    rows = [dataclasses.replace(row, metric=metric_name(row.metric)) for row in r.rows]
    return [table(_("Серии"), cols, rows)]


def _channels(r: ChannelsReport) -> list[Table]:
    return channels_tables(r)


def _contest(r: Standings) -> list[Table]:
    """A contest's standings (the result post when its podium could not be sent)."""
    who = _("Команда") if r.teams else _("Сотрудник")
    rows = tuple((row.rank, row.name, row.value) for row in r.rows)
    headers = (_("Место"), who, _("Значение"))
    return [Table(_("Итоги"), headers, ("int", "text", "number"), rows)]


def _badge(r: Any) -> list[Table]:
    """A badge announcement: who and what (``reports.game_badges.BadgeFigures``)."""
    headers = (_("Сотрудник"), _("Значок"))
    return [Table(_("Значок"), headers, ("text", "text"), ((r.person, r.title),))]


TABLES: Mapping[str, Callable[[Any], list[Table]]] = MappingProxyType(
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


def _status(status: str) -> str:
    """A kpi plan status in words ('выполнено' / 'met'); an unknown one as it is."""
    return status_word(status)
