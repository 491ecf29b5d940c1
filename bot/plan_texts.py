"""What /plan set and /calls клиент answer, in both chats.

Plain text: each front end escapes the names it shows.
"""

from __future__ import annotations

USAGE = (
    "Как задать план: /plan set <метрика> <значение> [сотрудник|отдел] [период]\n"
    "Например: /plan set calls 600 отдел Продажи month, /plan set revenue 1.5m Анна Орлова.\n"
    "Метрики: {metrics}. Период: day, week, month (по умолчанию), quarter, year."
)
UNKNOWN_METRIC = "Не знаю метрику «{word}». Метрики: {metrics}."
BAD_VALUE = "«{word}» не число не меньше нуля: напишите, например, 600, 1500000 или 1.5m."
RANGE = "План задаётся на день, неделю, месяц, квартал или год, а не на «{word}»."
UNKNOWN_WORDS = "Не понял: {words}. Укажите сотрудника или отдел, например «отдел 3»."
AMBIGUOUS = (
    "«{words}» подходит нескольким: {choices}. Уточните, например «отдел 3» или «сотрудник 17»."
)
NEED_TARGET = "Укажите, чей план: отдел или сотрудник (планы задаются отделу или сотруднику)."
FORBIDDEN = "Задавать планы могут руководители для своих отделов и администраторы."
FORBIDDEN_TARGET = "{target}: не ваш отдел, задать план здесь нельзя."
LENGTHS = {"day": "день", "week": "неделю", "month": "месяц", "quarter": "квартал", "year": "год"}
CONFIRM = "Задать план {target}: {metric} = {value} на {length}?\nСейчас: {current}."
CURRENT_NONE = "своего плана нет"
CURRENT_CONFIG = "{value} (из конфигурации)"
CURRENT_SET = "{value} (задал {who} {when})"
YES = "Да, задать"
NO = "Отмена"
DONE = "План задан: {target}, {metric} = {value} на {length}."
CANCELLED = "Отменено: план не изменён."
ONLY_ASKER = "Подтвердить может только тот, кто задавал план."
DEPARTMENT = "отделу «{name}»"
EMPLOYEE = "сотруднику {name}"
METRIC_NAMES = {
    "calls": "звонки",
    "successful_calls": "успешные звонки",
    "talk_minutes": "минуты разговоров",
    "meetings": "встречи",
    "emails": "письма",
    "new_deals": "новые сделки",
    "revenue": "выручка",
}
CONFIRM_BY_TEXT = "Чтобы подтвердить, напишите: /plan {words} да"
CONFIRM_WORDS = frozenset({"да", "yes", "confirm", "подтвердить"})
CANCEL_WORDS = frozenset({"отмена", "cancel", "нет", "no"})

# /calls клиент NAME [период]: calls and talk time with a client.
CLIENT_USAGE = "Напишите, с каким клиентом: /calls клиент Ромашка [период]."
CLIENT_NONE = "Клиент «{name}», {period}: звонков не было (среди тех, кого вам видно)."
CLIENT_HEAD = "Звонки с клиентом «{name}», {period}:"
CLIENT_LINE = "{title} — {calls}, в разговорах {talk}"
CLIENT_MORE = "… и ещё {count}: уточните название."
