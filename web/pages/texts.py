"""Every user-facing text of the TV and the dashboard, in one place for gettext later."""

from __future__ import annotations

NOT_FOUND = "Страница не найдена. Ссылка неверна, истекла или отозвана."
TV_TITLE = "Рейтинг месяца"
NO_DATA = "Данные ещё не загружены"
STALE = "Данные устарели: последняя синхронизация {age} назад"
AGE_MINUTES = "{n}\u00a0мин"
AGE_HOURS = "{n}\u00a0ч"
AGE_DAYS = "{n}\u00a0дн"
AS_OF = "данные на {moment}"
TODAY = "Сегодня"
MONTH = "Месяц"
PLAN = "План месяца"
WINS = "Последние победы"
NO_WINS = "Побед пока нет"
CONTEST = "Конкурс"
CONTEST_UNTIL = "до {day}"
NOBODY = "В выборке нет сотрудников"
POINTS = "очк."
RECONNECTING = "Нет связи с сервером, переподключаемся…"

TOTALS = {
    "points": "Очки",
    "successful_calls": "Успешные звонки",
    "meetings": "Встречи",
    "deals_won": "Сделки",
    "revenue": "Выручка",
}

METRIC_NAMES = {
    "calls": "Звонки",
    "successful_calls": "Успешные звонки",
    "talk_minutes": "Минуты разговоров",
    "meetings": "Встречи",
    "emails": "Письма",
    "new_deals": "Новые сделки",
    "deals_won": "Выигранные сделки",
    "revenue": "Выручка",
    "points": "Очки",
}

# Dashboard
DASHBOARD = "Дашборд"
REPORT = "Отчёт"
PERIOD = "Период"
SCOPE = "Выборка"
SHOW = "Показать"
FROM = "с"
TO = "по"
COMPANY = "Вся команда"
DEPARTMENT = "Отдел"
EMPLOYEE = "Сотрудник"
DOWNLOAD = "Скачать Excel"
JSON = "JSON"
TOTAL = "Итого"
ROWS_HIDDEN = "Показаны первые {shown} строк из {all}; все строки в Excel."
ITEMS_HIDDEN = "и ещё {hidden} (все в Excel)"
EXPIRES = "Ссылка действует до {day}"
BAD_PERIOD = "Период не понят: {reason}"
CUSTOM = "Свой период"
CHART_ALT = "График отчёта «{title}»"
PREVIOUS = "Прошлый период: {label}"

PERIODS = {
    "today": "Сегодня",
    "yesterday": "Вчера",
    "week": "Эта неделя",
    "last_week": "Прошлая неделя",
    "month": "Этот месяц",
    "last_month": "Прошлый месяц",
    "quarter": "Квартал",
    "year": "Год",
}

LISTS = {
    "uncovered": "Клиенты без внимания",
    "open": "Не перезвонили",
}

COLUMNS = {
    "rank": "Место",
    "points": "Очки",
    "successful_calls": "Успешные звонки",
    "emails": "Письма",
    "meetings": "Встречи",
    "deals_won": "Выиграно сделок",
    "revenue": "Выручка",
    "missed_lost": "Потеряно пропущенных",
    "previous_rank": "Место раньше",
    "rank_change": "Изменение места",
    "clients": "Клиенты",
    "covered": "С контактом",
    "coverage": "Охват",
    "key_clients": "Ключевые",
    "key_covered": "Ключевые с контактом",
    "calls": "Звонки",
    "incoming": "Входящие",
    "outgoing": "Исходящие",
    "connected": "Состоялись",
    "successful": "Успешные",
    "missed": "Пропущенные",
    "missed_called_back": "Перезвонили",
    "avg_callback_seconds": "Среднее время перезвона, с",
    "talk_seconds": "Разговоры, с",
    "plan": "План",
    "forecast_run_rate": "Прогноз по темпу",
    "forecast_pipeline": "Прогноз по воронке",
    "leads": "Лиды",
    "converted": "Сконвертированы",
    "to_deals": "В сделки",
    "to_won": "В выигранные",
    "conversion": "Конверсия",
    "count": "Количество",
    "amount": "Сумма",
    "entity": "Сущность",
    "deals": "Сделки",
    "semantics": "Тип стадии",
    "abc": "ABC",
    "xyz": "XYZ",
    "completed": "Выполнено",
    "overdue": "Просрочено",
    "fact": "факт",
    "expected_by_now": "к этому дню",
    "status": "статус",
}

STATUS = {"met": "выполнен", "on_track": "в графике", "behind": "отстаёт", "missed": "не выполнен"}
