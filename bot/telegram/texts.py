"""What the bot says, in Russian and English; the user's Telegram language picks one.

Values are ``str.format`` templates of Telegram HTML; every value put into them is
escaped by the caller (``say`` escapes all of its keyword arguments).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Literal

Lang = Literal["ru", "en"]

COMMANDS: Mapping[Lang, tuple[tuple[str, str], ...]] = {
    "ru": (
        ("rating", "Рейтинг: баллы и места"),
        ("coverage", "Охват клиентов"),
        ("calls", "Звонки"),
        ("missed", "Пропущенные звонки"),
        ("kpi", "KPI: план и факт"),
        ("plan", "Выручка: план, факт, прогноз"),
        ("funnel", "Воронка сделок"),
        ("conversion", "Конверсия лидов"),
        ("lost", "Проигранные лиды и сделки"),
        ("abc", "ABC/XYZ клиентов"),
        ("tasks", "Задачи: выполненные и просроченные"),
        ("streaks", "Серии выполненного дневного плана"),
        ("channels", "Каналы: лиды, продажи, цена лида"),
        ("contest", "Запустить конкурс (руководителям)"),
        ("export", "Отчёт в Excel"),
        ("tv", "Ссылка на экран рейтинга для ТВ"),
        ("dashboard", "Ссылка на дашборд отчётов"),
        ("me", "Кто я и что мне видно"),
        ("link", "Привязать аккаунт Bitrix24"),
        ("help", "Как пользоваться"),
    ),
    "en": (
        ("rating", "Leaderboard: points and ranks"),
        ("coverage", "Client coverage"),
        ("calls", "Calls"),
        ("missed", "Missed calls"),
        ("kpi", "KPI: plan versus fact"),
        ("plan", "Revenue: plan, fact, forecast"),
        ("funnel", "Deal funnel"),
        ("conversion", "Lead conversion"),
        ("lost", "Lost leads and deals"),
        ("abc", "ABC/XYZ of clients"),
        ("tasks", "Tasks: done and overdue"),
        ("streaks", "Streaks of the day plan met"),
        ("channels", "Channels: leads, sales, cost per lead"),
        ("contest", "Start a contest (heads)"),
        ("export", "A report as an Excel file"),
        ("tv", "A link to the leaderboard for the office TV"),
        ("dashboard", "A link to the reports dashboard"),
        ("me", "Who I am and what I can see"),
        ("link", "Link your Bitrix24 account"),
        ("help", "How to use the bot"),
    ),
}

_RU = {
    "stranger": (
        "Я вас пока не знаю, поэтому цифр не покажу. Привяжите аккаунт Bitrix24: "
        "напишите мне в личные сообщения <code>/link ваш@email</code>, код придёт в "
        "уведомления Bitrix24{portal}, затем пришлите его: <code>/link 123456</code>."
    ),
    "hello": "Здравствуйте, {name}! Ваша роль: {role}. Команды — /help.",
    "help": (
        "<b>Отчёты</b>: /rating /coverage /calls /missed /kpi /plan /funnel /conversion "
        "/lost /abc /tasks /channels, в Excel — <code>/export calls</code>.\n"
        "После команды можно указать, в любом порядке:\n"
        "• период: сегодня, вчера, неделя, прошлая неделя, месяц, прошлый месяц, квартал, "
        "год, день <code>2026-03-05</code> или <code>2026-03-01..2026-03-15</code>;\n"
        "• кого: имя или часть имени, @username, <code>отдел Продажи</code>, "
        "<code>все</code>.\n"
        "Пример: <code>/calls Орлова прошлая неделя</code>; звонки с клиентом: "
        "<code>/calls клиент Ромашка</code>.\n"
        "Под картинкой — кнопки периодов и списков. /me — что вам видно.\n"
        "<b>Игра</b>: /streaks — серии, /contest — конкурс (руководителям).\n"
        "<b>Планы</b> (руководителям): <code>/plan set calls 600 отдел Продажи month</code>."
    ),
    "link_private": "Привязка — только в личных сообщениях: напишите мне напрямую.",
    "link_usage": "Напишите <code>/link ваш@email</code> — пришлю код в Bitrix24.",
    "link_sent": (
        "Если {email} — адрес сотрудника в Bitrix24, код уже в его уведомлениях. "
        "Пришлите его сюда: <code>/link 123456</code>. Код действует {minutes} мин."
    ),
    "link_too_many": "Слишком много кодов за час. Попробуйте позже.",
    "link_linked": "Готово: вы — {name}. Команды — /help.",
    "link_wrong": "Код не подошёл. Осталось попыток: {left}.",
    "link_burnt": "Код больше не действует: слишком много попыток. Запросите новый.",
    "link_no_code": "Действующего кода нет. Запросите его: <code>/link ваш@email</code>.",
    "link_notify": (
        "Код для привязки Telegram к crm-pulse: {code}. Действует {minutes} мин. "
        "Если вы его не запрашивали, ничего не делайте."
    ),
    "me": "{name}, id {user_id} в Bitrix24. Роль: {role}. Вам видно: {sees}.",
    "sees_admin": "все отчёты по всем",
    "sees_head": "ваши отделы ({departments}) и рейтинг",
    "sees_employee": "ваши цифры и рейтинг",
    "forbidden": "Эти цифры вам недоступны: {target}. Подробнее — /me.",
    "understood": "Понял: {parts}.",
    "nothing": "ничего",
    "ambiguous": "«{words}» подходит нескольким — выберите:",
    "unknown_period": "Не понял: «{words}». Выберите период:",
    "unknown_other": "Не понял: «{words}». Показать без этого?",
    "conflict": "Указано сразу несколько: «{words}» — выберите одно:",
    "as_understood": "Показать",
    "export_which": "Какой отчёт выгрузить в Excel?",
    "export_usage": "Укажите отчёт, например: <code>/export calls месяц</code>.",
    "part_report": "отчёт {value}",
    "part_period": "период — {value}",
    "part_target": "кто — {value}",
    "company": "вся компания",
    "role_admin": "администратор",
    "role_head": "руководитель",
    "role_employee": "сотрудник",
    "role_stranger": "нет",
    "error": "Что-то пошло не так, администратору уже сообщено. Попробуйте позже.",
    "bad_input": "Не получилось: {message}",
    "list_empty": "Список пуст.",
    "list_page": "стр. {page} из {pages}",
    "list_too_old": "Сообщение устарело — повторите команду.",
    "denied_button": "Эти цифры вам недоступны.",
    "stranger_button": "Сначала привяжите аккаунт: /link в личных сообщениях.",
    "unknown_text": "Не понял. Команды — /help.",
    "prev": "◀",
    "next": "▶",
}

_EN = {
    "stranger": (
        "I don't know you yet, so I can't show any figures. Link your Bitrix24 account: "
        "send me <code>/link your@email</code> in a private chat, the code arrives in "
        "your Bitrix24 notifications{portal}, then send it: <code>/link 123456</code>."
    ),
    "hello": "Hello, {name}! Your role: {role}. Commands: /help.",
    "help": (
        "<b>Reports</b>: /rating /coverage /calls /missed /kpi /plan /funnel /conversion "
        "/lost /abc /tasks /channels, as Excel: <code>/export calls</code>.\n"
        "After a command, in any order:\n"
        "• a period: today, yesterday, week, last week, month, last month, quarter, year, "
        "a day <code>2026-03-05</code> or <code>2026-03-01..2026-03-15</code>;\n"
        "• who: a name or part of it, @username, <code>dept Sales</code>, <code>all</code>.\n"
        "Example: <code>/calls Orlova last week</code>; calls with a client: "
        "<code>/calls client Romashka</code>.\n"
        "Buttons under the chart switch the period and open lists. /me: what you can see.\n"
        "<b>Game</b>: /streaks for streaks, /contest to start a contest (heads).\n"
        "<b>Plans</b> (heads): <code>/plan set calls 600 dept Sales month</code>."
    ),
    "link_private": "Linking works in a private chat only: write to me directly.",
    "link_usage": "Send <code>/link your@email</code> and I'll send a code to your Bitrix24.",
    "link_sent": (
        "If {email} belongs to a Bitrix24 user, the code is in their notifications. "
        "Send it here: <code>/link 123456</code>. It is valid for {minutes} min."
    ),
    "link_too_many": "Too many codes this hour. Try again later.",
    "link_linked": "Done: you are {name}. Commands: /help.",
    "link_wrong": "Wrong code. Tries left: {left}.",
    "link_burnt": "The code is no longer valid: too many tries. Ask for a new one.",
    "link_no_code": "No valid code. Ask for one: <code>/link your@email</code>.",
    "link_notify": (
        "Your code to link Telegram to crm-pulse: {code}. Valid for {minutes} min. "
        "If you did not ask for it, do nothing."
    ),
    "me": "{name}, Bitrix24 id {user_id}. Role: {role}. You can see: {sees}.",
    "sees_admin": "every report about everyone",
    "sees_head": "your departments ({departments}) and the leaderboard",
    "sees_employee": "your own figures and the leaderboard",
    "forbidden": "These figures are not available to you: {target}. See /me.",
    "understood": "Understood: {parts}.",
    "nothing": "nothing",
    "ambiguous": "“{words}” fits several — choose one:",
    "unknown_period": "Not understood: “{words}”. Choose a period:",
    "unknown_other": "Not understood: “{words}”. Show without it?",
    "conflict": "Several given at once: “{words}” — choose one:",
    "as_understood": "Show",
    "export_which": "Which report do you want as Excel?",
    "export_usage": "Name the report, for example: <code>/export calls month</code>.",
    "part_report": "report {value}",
    "part_period": "period {value}",
    "part_target": "who: {value}",
    "company": "the whole company",
    "role_admin": "admin",
    "role_head": "head of department",
    "role_employee": "employee",
    "role_stranger": "none",
    "error": "Something went wrong; the admin has been told. Please try again later.",
    "bad_input": "Could not do that: {message}",
    "list_empty": "The list is empty.",
    "list_page": "page {page} of {pages}",
    "list_too_old": "This message is too old; send the command again.",
    "denied_button": "These figures are not available to you.",
    "stranger_button": "Link your account first: /link in a private chat.",
    "unknown_text": "Not understood. Commands: /help.",
    "prev": "◀",
    "next": "▶",
}

_TEXTS: Mapping[Lang, Mapping[str, str]] = {"ru": _RU, "en": _EN}


def lang_of(language_code: str | None) -> Lang:
    """English for those whose Telegram speaks it; Russian, the team's language, otherwise."""
    return "en" if language_code and language_code.lower().startswith("en") else "ru"


def say(lang: Lang, key: str, **values: object) -> str:
    """The text for ``key`` with every value HTML-escaped."""
    escaped = {name: html.escape(str(value), quote=False) for name, value in values.items()}
    return _TEXTS[lang][key].format(**escaped)


def raw(lang: Lang, key: str) -> str:
    """A text with no values (a button label, a part that is escaped later)."""
    return _TEXTS[lang][key]
