"""What the bot says in Telegram: gettext messages looked up in the language in force.

A key names each text so the handlers stay short (``say("link_wrong", left=3)``); the value
is the Russian message id, marked with ``N_`` and translated when said (never at import).
The language in force is set per update by ``bot.telegram.middlewares.Speaking``: the
user's own Telegram language in a private chat, the team's (``[locale] language``) in a
group. Values are ``str.format`` templates of Telegram HTML; ``say`` escapes every value.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType

from aiogram.types import User

from locales import N_, _, use

COMMANDS: tuple[tuple[str, str], ...] = (
    ("rating", N_("Рейтинг: баллы и места")),
    ("coverage", N_("Охват клиентов")),
    ("calls", N_("Звонки")),
    ("missed", N_("Пропущенные звонки")),
    ("kpi", N_("KPI: план и факт")),
    ("plan", N_("Выручка: план, факт, прогноз")),
    ("funnel", N_("Воронка сделок")),
    ("conversion", N_("Конверсия лидов")),
    ("lost", N_("Проигранные лиды и сделки")),
    ("abc", N_("ABC/XYZ клиентов")),
    ("tasks", N_("Задачи: выполненные и просроченные")),
    ("streaks", N_("Серии выполненного дневного плана")),
    ("channels", N_("Каналы: лиды, продажи, цена лида")),
    ("contest", N_("Запустить конкурс (руководителям)")),
    ("export", N_("Отчёт в Excel")),
    ("tv", N_("Ссылка на экран рейтинга для ТВ")),
    ("dashboard", N_("Ссылка на дашборд отчётов")),
    ("me", N_("Кто я и что мне видно")),
    ("link", N_("Привязать аккаунт Bitrix24")),
    ("help", N_("Как пользоваться")),
)
START = N_("Начало работы")

_TEXTS: Mapping[str, str] = MappingProxyType(
    {
        "stranger": N_(
            "Я вас пока не знаю, поэтому цифр не покажу. Привяжите аккаунт Bitrix24: "
            "напишите мне в личные сообщения <code>/link ваш@email</code>, код придёт в "
            "уведомления Bitrix24{portal}, затем пришлите его: <code>/link 123456</code>."
        ),
        "hello": N_("Здравствуйте, {name}! Ваша роль: {role}. Команды — /help."),
        "help": N_(
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
        "link_private": N_("Привязка — только в личных сообщениях: напишите мне напрямую."),
        "link_usage": N_("Напишите <code>/link ваш@email</code> — пришлю код в Bitrix24."),
        "link_sent": N_(
            "Если {email} — адрес сотрудника в Bitrix24, код уже в его уведомлениях. "
            "Пришлите его сюда: <code>/link 123456</code>. Код действует {minutes} мин."
        ),
        "link_too_many": N_("Слишком много кодов за час. Попробуйте позже."),
        "link_linked": N_("Готово: вы — {name}. Команды — /help."),
        "link_wrong": N_("Код не подошёл. Осталось попыток: {left}."),
        "link_burnt": N_("Код больше не действует: слишком много попыток. Запросите новый."),
        "link_no_code": N_("Действующего кода нет. Запросите его: <code>/link ваш@email</code>."),
        "link_notify": N_(
            "Код для привязки Telegram к crm-pulse: {code}. Действует {minutes} мин. "
            "Если вы его не запрашивали, ничего не делайте."
        ),
        "me": N_("{name}, id {user_id} в Bitrix24. Роль: {role}. Вам видно: {sees}."),
        "sees_admin": N_("все отчёты по всем"),
        "sees_head": N_("ваши отделы ({departments}) и рейтинг"),
        "sees_employee": N_("ваши цифры и рейтинг"),
        "forbidden": N_("Эти цифры вам недоступны: {target}. Подробнее — /me."),
        "understood": N_("Понял: {parts}."),
        "nothing": N_("ничего"),
        "ambiguous": N_("«{words}» подходит нескольким — выберите:"),
        "unknown_period": N_("Не понял: «{words}». Выберите период:"),
        "unknown_other": N_("Не понял: «{words}». Показать без этого?"),
        "conflict": N_("Указано сразу несколько: «{words}» — выберите одно:"),
        "as_understood": N_("Показать"),
        "export_which": N_("Какой отчёт выгрузить в Excel?"),
        "export_usage": N_("Укажите отчёт, например: <code>/export calls месяц</code>."),
        "part_report": N_("отчёт {value}"),
        "part_period": N_("период — {value}"),
        "part_target": N_("кто — {value}"),
        "company": N_("вся компания"),
        "role_admin": N_("администратор"),
        "role_head": N_("руководитель"),
        "role_employee": N_("сотрудник"),
        "error": N_("Что-то пошло не так, администратору уже сообщено. Попробуйте позже."),
        "bad_input": N_("Не получилось: {message}"),
        "list_empty": N_("Список пуст."),
        "list_page": N_("стр. {page} из {pages}"),
        "list_too_old": N_("Сообщение устарело — повторите команду."),
        "denied_button": N_("Эти цифры вам недоступны."),
        "stranger_button": N_("Сначала привяжите аккаунт: /link в личных сообщениях."),
        "unknown_text": N_("Не понял. Команды — /help."),
        # the list labels under a report (keys are bot.telegram.callbacks.ListName values)
        "list_uncovered": N_("Без внимания"),
        "list_open_missed": N_("Не перезвонили"),
        "list_overdue": N_("Просрочено"),
    }
)
PREV, NEXT = "◀", "▶"


def say(key: str, **values: object) -> str:
    """The text for ``key`` in the language in force, every value HTML-escaped."""
    escaped = {name: html.escape(str(value), quote=False) for name, value in values.items()}
    return _(_TEXTS[key]).format(**escaped)


def raw(key: str) -> str:
    """A text with no values (a button label, a part that is escaped or filled later)."""
    return _(_TEXTS[key])


def menu() -> list[tuple[str, str]]:
    """The command menu (command, description) in the language in force, /start first."""
    return [("start", _(START)), *((command, _(text)) for command, text in COMMANDS)]


@contextmanager
def personal(user: User | None) -> Iterator[str]:
    """Speak the user's own language: a button's alert is seen by the presser alone."""
    with use(user.language_code if user is not None else None) as lang:
        yield lang
