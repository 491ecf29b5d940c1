"""The pages' texts that Python code hands to the templates, marked for the ``web`` catalog.

Module constants cannot be translated when the module is imported (the language is not known
then): they are marked with ``N_`` here and translated where they are shown: ``_(texts.X)``
in Python, ``_(t.X)`` in a template (``t`` is this module there).
"""

from __future__ import annotations

from locales import N_

NOT_FOUND = N_("Страница не найдена. Ссылка неверна, истекла или отозвана.")
TV_TITLE = N_("Рейтинг месяца")
NO_DATA = N_("Данные ещё не загружены")
STALE = N_("Данные устарели: последняя синхронизация {age} назад")
AGE_MINUTES = N_("{n}\u00a0мин")
AGE_HOURS = N_("{n}\u00a0ч")
AGE_DAYS = N_("{n}\u00a0дн")
AS_OF = N_("данные на {moment}")
TODAY = N_("Сегодня")
MONTH = N_("Месяц")
PLAN = N_("План месяца")
WINS = N_("Последние победы")
NO_WINS = N_("Побед пока нет")
CONTEST = N_("Конкурс")
CONTEST_UNTIL = N_("до {day}")
NOBODY = N_("В выборке нет сотрудников")
NEW = N_("новый")  # a leaderboard row new in the ranking
RECONNECTING = N_("Нет связи с сервером, переподключаемся…")

TOTALS = {
    "points": N_("Очки"),
    "successful_calls": N_("Успешные звонки"),
    "meetings": N_("Встречи"),
    "deals_won": N_("Сделки"),
    "revenue": N_("Выручка"),
}


# Dashboard
DASHBOARD = N_("Дашборд")
PERIOD = N_("Период")
SCOPE = N_("Выборка")
SHOW = N_("Показать")
FROM = N_("с")
TO = N_("по")
COMPANY = N_("Вся команда")
DOWNLOAD = N_("Скачать Excel")
JSON = "JSON"
TOTAL = N_("Итого")
ROWS_HIDDEN = N_("Показаны первые {shown} строк из {all}; все строки в Excel.")
ITEMS_HIDDEN = N_("и ещё {hidden} (все в Excel)")
EXPIRES = N_("Ссылка действует до {day}")
BAD_PERIOD = N_("Период не понят: {reason}")
CUSTOM = N_("Свой период")
CHART_ALT = N_("График отчёта «{title}»")
PREVIOUS = N_("Прошлый период: {label}")

PERIODS = {
    "today": N_("Сегодня"),
    "yesterday": N_("Вчера"),
    "week": N_("Эта неделя"),
    "last_week": N_("Прошлая неделя"),
    "month": N_("Этот месяц"),
    "last_month": N_("Прошлый месяц"),
    "quarter": N_("Квартал"),
    "year": N_("Год"),
}

LISTS = {
    "uncovered": N_("Клиенты без внимания"),
    "open": N_("Не перезвонили"),
}

COLUMNS = {
    "rank": N_("Место"),
    "points": N_("Очки"),
    "successful_calls": N_("Успешные звонки"),
    "emails": N_("Письма"),
    "meetings": N_("Встречи"),
    "deals_won": N_("Выиграно сделок"),
    "revenue": N_("Выручка"),
    "missed_lost": N_("Потеряно пропущенных"),
    "previous_rank": N_("Место раньше"),
    "rank_change": N_("Изменение места"),
    "clients": N_("Клиенты"),
    "covered": N_("С контактом"),
    "coverage": N_("Охват"),
    "key_clients": N_("Ключевые"),
    "key_covered": N_("Ключевые с контактом"),
    "calls": N_("Звонки"),
    "incoming": N_("Входящие"),
    "outgoing": N_("Исходящие"),
    "connected": N_("Состоялись"),
    "successful": N_("Успешные"),
    "missed": N_("Пропущенные"),
    "missed_called_back": N_("Перезвонили"),
    "avg_callback_seconds": N_("Среднее время перезвона"),
    "talk_seconds": N_("Разговоры"),
    "plan": N_("План"),
    "forecast_run_rate": N_("Прогноз по темпу"),
    "forecast_pipeline": N_("Прогноз по воронке"),
    "leads": N_("Лиды"),
    "converted": N_("Сконвертированы"),
    "to_deals": N_("В сделки"),
    "to_won": N_("В выигранные"),
    "conversion": N_("Конверсия"),
    "count": N_("Количество"),
    "amount": N_("Сумма"),
    "entity": N_("Сущность"),
    "deals": N_("Сделки"),
    "semantics": N_("Тип стадии"),
    "abc": "ABC",
    "xyz": "XYZ",
    "completed": N_("Выполнено"),
    "overdue": N_("Просрочено"),
    "fact": N_("факт"),
    "expected_by_now": N_("к этому дню"),
    "status": N_("статус"),
}

STATUS = {
    "met": N_("выполнен"),
    "on_track": N_("в графике"),
    "behind": N_("отстаёт"),
    "missed": N_("не выполнен"),
}
