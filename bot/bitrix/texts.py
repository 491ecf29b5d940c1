"""What the Bitrix24 bot says, in BB-code. Values put into a template are made inert first
(``bb_text``): a name with "[b]" in it is shown, not applied.

Every text is a gettext message id (Russian, marked ``N_``), translated where it is said:
``say(STRANGER)``, ``fill(DENIED, what=...)``. Bitrix24 dialogs speak the team's language
(``[locale] language``); the command menu is registered in every language we speak.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from locales import N_, _
from reports.markup import bb_text

# command -> (title, parameters hint): the command list the portal shows.
COMMANDS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "rating": (N_("Рейтинг: баллы и места"), N_("период, кто")),
        "coverage": (N_("Охват клиентов"), N_("период, кто")),
        "calls": (N_("Звонки"), N_("период, кто")),
        "missed": (N_("Пропущенные звонки"), N_("период, кто")),
        "kpi": (N_("KPI: план и факт"), N_("период, кто")),
        "plan": (N_("Выручка: план, факт, прогноз"), N_("период, кто")),
        "funnel": (N_("Воронка сделок"), N_("период, кто")),
        "conversion": (N_("Конверсия лидов"), N_("период, кто")),
        "lost": (N_("Проигранные лиды и сделки"), N_("период, кто")),
        "abc": (N_("ABC/XYZ клиентов"), N_("период, кто")),
        "tasks": (N_("Задачи: выполненные и просроченные"), N_("период, кто")),
        "streaks": (N_("Серии выполненного дневного плана"), N_("кто")),
        "channels": (N_("Каналы: лиды, продажи, цена лида"), N_("период")),
        "contest": (N_("Запустить конкурс (руководителям)"), N_("вид, показатель, период, приз")),
        "export": (N_("Отчёт в Excel"), N_("отчёт, период, кто")),
        "tv": (N_("Ссылка на экран рейтинга для ТВ (руководителям)"), N_("отдел")),
        "dashboard": (N_("Ссылка на дашборд отчётов"), N_("отдел или сотрудник")),
        "me": (N_("Кто я и что мне видно"), ""),
        "link": (N_("Привязка аккаунта (здесь не нужна)"), ""),
        "help": (N_("Как пользоваться"), ""),
        "start": (N_("Начать"), ""),
    }
)

HELP = N_(
    "[b]Отчёты[/b]: [send=/rating]/rating[/send] [send=/coverage]/coverage[/send] "
    "[send=/calls]/calls[/send] [send=/missed]/missed[/send] [send=/kpi]/kpi[/send] "
    "[send=/plan]/plan[/send] [send=/funnel]/funnel[/send] "
    "[send=/conversion]/conversion[/send] [send=/lost]/lost[/send] [send=/abc]/abc[/send] "
    "[send=/tasks]/tasks[/send] [send=/channels]/channels[/send], "
    "в Excel — [put=/export calls]/export calls[/put].\n"
    "После команды можно указать, в любом порядке:\n"
    "• период: сегодня, вчера, неделя, прошлая неделя, месяц, прошлый месяц, квартал, год, "
    "день 2026-03-05 или 2026-03-01..2026-03-15;\n"
    "• кого: имя или часть имени, «отдел Продажи», «все».\n"
    "Пример: /calls Орлова прошлая неделя; звонки с клиентом: /calls клиент Ромашка. "
    "Под отчётом — кнопки периодов. "
    "[send=/me]/me[/send] — что вам видно.\n"
    "[b]Игра[/b]: [send=/streaks]/streaks[/send] — серии, "
    "[send=/contest]/contest[/send] — конкурс (руководителям).\n"
    "[b]Планы[/b] (руководителям): [put=/plan set calls 600 отдел Продажи month]"
    "/plan set calls 600 отдел Продажи month[/put]."
)
ROLES: Mapping[str, str] = MappingProxyType(
    {
        "admin": N_("администратор"),
        "head": N_("руководитель"),
        "employee": N_("сотрудник"),
        "stranger": N_("не определена"),
    }
)
STRANGER = N_(
    "Я не нашёл вас среди сотрудников отдела продаж, поэтому цифр не покажу. "
    "Если это ошибка, напишите администратору бота."
)
LINK = N_(
    "В Bitrix24 привязка не нужна: я и так знаю, кто вы. [send=/me]/me[/send] — что вам видно."
)
DENIED = N_(
    "Эти цифры вам не видны: {what}. Вам доступны ваши показатели и общий рейтинг"
    "{more}. [send=/me]/me[/send] — подробнее."
)
DENIED_HEAD_MORE = N_(" и ваши отделы")
UNKNOWN_COMMAND = N_("Не знаю команды /{command}. [send=/help]/help[/send] — что я умею.")
NOT_A_COMMAND = N_("Я понимаю команды, например [send=/rating]/rating[/send]. /help — список.")
AMBIGUOUS = N_("Уточните, пожалуйста: {words}. Понял так: {understood}.")
UNKNOWN_WORDS = N_("Не понял: {words}. Понял так: {understood}.")
CONFLICT = N_("Противоречие: {words}. Выберите одно.")
NOTHING = N_("пока ничего")
EXPORT_FAILED = N_("Не удалось выложить файл в этот чат. Попробуйте в личных сообщениях.")
ERROR = N_("Не получилось: {reason}")
FAILED = N_("Что-то пошло не так; администратор уже знает. Попробуйте позже.")
ME = N_("Вы — {name}. Роль: {role}. {sees}")
SEES_ALL = N_("Вам видны все отчёты по всем сотрудникам и отделам.")
SEES_HEAD = N_("Вам видны ваши показатели, общий рейтинг и отделы: {departments}.")
SEES_SELF = N_("Вам видны ваши показатели и общий рейтинг.")
EXPORT_WHICH = N_("укажите отчёт, например /export calls")
PART_REPORT = N_("отчёт {report}")
PART_PERIOD = N_("период {period}")
COMPANY = N_("вся компания")
NO_DATA = N_("Нет данных за период")
MORE_ROWS = N_("… и ещё {count}")
CUT_ROWS = N_("… таблица сокращена на {count}")
TOTAL = N_("Итого")
AS_UNDERSTOOD = N_("Как понято")


def say(text: str) -> str:
    """A text with no values, in the language in force."""
    return _(text)


def fill(template: str, **values: str) -> str:
    """A template in the language in force, every value made inert."""
    return _(template).format(**{key: bb_text(value) for key, value in values.items()})
