"""What the Bitrix24 bot says, in BB-code. Values put into a template are made inert first
(``bb_text``): a name with "[b]" in it is shown, not applied."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from reports.markup import bb_text

# command -> (title, parameters hint): the command list the portal shows.
COMMANDS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "rating": ("Рейтинг: баллы и места", "период, кто"),
        "coverage": ("Охват клиентов", "период, кто"),
        "calls": ("Звонки", "период, кто"),
        "missed": ("Пропущенные звонки", "период, кто"),
        "kpi": ("KPI: план и факт", "период, кто"),
        "plan": ("Выручка: план, факт, прогноз", "период, кто"),
        "funnel": ("Воронка сделок", "период, кто"),
        "conversion": ("Конверсия лидов", "период, кто"),
        "lost": ("Проигранные лиды и сделки", "период, кто"),
        "abc": ("ABC/XYZ клиентов", "период, кто"),
        "tasks": ("Задачи: выполненные и просроченные", "период, кто"),
        "streaks": ("Серии выполненного дневного плана", "кто"),
        "channels": ("Каналы: лиды, продажи, цена лида", "период"),
        "contest": ("Запустить конкурс (руководителям)", "вид, показатель, период, приз"),
        "export": ("Отчёт в Excel", "отчёт, период, кто"),
        "tv": ("Ссылка на экран рейтинга для ТВ (руководителям)", "отдел"),
        "dashboard": ("Ссылка на дашборд отчётов", "отдел или сотрудник"),
        "me": ("Кто я и что мне видно", ""),
        "link": ("Привязка аккаунта (здесь не нужна)", ""),
        "help": ("Как пользоваться", ""),
        "start": ("Начать", ""),
    }
)

HELP = (
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
        "admin": "администратор",
        "head": "руководитель",
        "employee": "сотрудник",
        "stranger": "не определена",
    }
)
STRANGER = (
    "Я не нашёл вас среди сотрудников отдела продаж, поэтому цифр не покажу. "
    "Если это ошибка, напишите администратору бота."
)
LINK = "В Bitrix24 привязка не нужна: я и так знаю, кто вы. [send=/me]/me[/send] — что вам видно."
DENIED = (
    "Эти цифры вам не видны: {what}. Вам доступны ваши показатели и общий рейтинг"
    "{more}. [send=/me]/me[/send] — подробнее."
)
DENIED_HEAD_MORE = " и ваши отделы"
UNKNOWN_COMMAND = "Не знаю команды /{command}. [send=/help]/help[/send] — что я умею."
NOT_A_COMMAND = "Я понимаю команды, например [send=/rating]/rating[/send]. /help — список."
AMBIGUOUS = "Уточните, пожалуйста: {words}. Понял так: {understood}."
UNKNOWN_WORDS = "Не понял: {words}. Понял так: {understood}."
CONFLICT = "Противоречие: {words}. Выберите одно."
NOTHING = "пока ничего"
EXPORT_FAILED = "Не удалось выложить файл в этот чат. Попробуйте в личных сообщениях."
ERROR = "Не получилось: {reason}"
FAILED = "Что-то пошло не так; администратор уже знает. Попробуйте позже."
ME = "Вы — {name}. Роль: {role}. {sees}"
SEES_ALL = "Вам видны все отчёты по всем сотрудникам и отделам."
SEES_HEAD = "Вам видны ваши показатели, общий рейтинг и отделы: {departments}."
SEES_SELF = "Вам видны ваши показатели и общий рейтинг."


def fill(template: str, **values: str) -> str:
    return template.format(**{key: bb_text(value) for key, value in values.items()})
