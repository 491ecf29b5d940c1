"""What /plan set answers, in both chats (/calls клиент says its own, in bot.client_calls).

Plain text: each front end escapes the names it shows. Message ids marked ``N_``, looked up
with ``_()`` where shown; the confirming and cancelling words are read in both languages.
"""

from __future__ import annotations

from locales import N_

USAGE = N_(
    "Как задать план: /plan set <метрика> <значение> [сотрудник|отдел] [период]\n"
    "Например: /plan set calls 600 отдел Продажи month, /plan set revenue 1.5m Анна Орлова.\n"
    "Метрики: {metrics}. Период: day, week, month (по умолчанию), quarter, year."
)
UNKNOWN_METRIC = N_("Не знаю метрику «{word}». Метрики: {metrics}.")
BAD_VALUE = N_("«{word}» не число не меньше нуля: напишите, например, 600, 1500000 или 1.5m.")
RANGE = N_("План задаётся на день, неделю, месяц, квартал или год, а не на «{word}».")
UNKNOWN_WORDS = N_("Не понял: {words}. Укажите сотрудника или отдел, например «отдел 3».")
AMBIGUOUS = N_(
    "«{words}» подходит нескольким: {choices}. Уточните, например «отдел 3» или «сотрудник 17»."
)
NEED_TARGET = N_("Укажите, чей план: отдел или сотрудник (планы задаются отделу или сотруднику).")
FORBIDDEN = N_("Задавать планы могут руководители для своих отделов и администраторы.")
FORBIDDEN_TARGET = N_("{target}: не ваш отдел, задать план здесь нельзя.")
LENGTHS = {
    "day": N_("день"),
    "week": N_("неделю"),
    "month": N_("месяц"),
    "quarter": N_("квартал"),
    "year": N_("год"),
}
CONFIRM = N_("Задать план {target}: {metric} = {value} на {length}?\nСейчас: {current}.")
CURRENT_NONE = N_("своего плана нет")
CURRENT_CONFIG = N_("{value} (из конфигурации)")
CURRENT_SET = N_("{value} (задал {who} {when})")
YES = N_("Да, задать")
NO = N_("Отмена")
DONE = N_("План задан: {target}, {metric} = {value} на {length}.")
CANCELLED = N_("Отменено: план не изменён.")
ONLY_ASKER = N_("Подтвердить может только тот, кто задавал план.")
DEPARTMENT = N_("отделу «{name}»")
EMPLOYEE = N_("сотруднику {name}")
CONFIRM_BY_TEXT = N_("Чтобы подтвердить, напишите: /plan {words} да")
CONFIRM_WORDS = frozenset({"да", "yes", "confirm", "подтвердить"})
CANCEL_WORDS = frozenset({"отмена", "cancel", "нет", "no"})
