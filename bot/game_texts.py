"""What the bots say about contests, streaks and badges (plain text; each front escapes it).

Texts are message ids marked ``N_`` here and looked up with ``_()`` where they are shown, in
the language in force. The words people type (metrics, kinds, periods) are read in Russian
and in English whatever the language, so a command copied from either help still works.
"""

from __future__ import annotations

from datetime import date
from types import MappingProxyType

from babel.dates import format_interval

from kpi.contest_input import ContestError
from locales import N_, _, babel_locale, language
from reports import game_texts as titles
from reports.kpi_words import metric_name
from reports.text import day

METRIC_WORDS = MappingProxyType(
    {
        "звонки": "calls",
        "успешные": "successful_calls",
        "минуты": "talk_minutes",
        "встречи": "meetings",
        "письма": "emails",
        "сделки": "new_deals",
        "выигранные": "deals_won",
        "выручка": "revenue",
        "баллы": "points",
        # English beside the metrics' own names (calls, revenue, ...), which are read as well
        "successful": "successful_calls",
        "minutes": "talk_minutes",
        "deals": "new_deals",
        "won": "deals_won",
    }
)
KIND_WORDS = MappingProxyType(
    {
        "top": "top",
        "топ": "top",
        "target": "target",
        "гонка": "target",
        "race": "target",
        "teams": "teams",
        "команды": "teams",
    }
)
SPANS = MappingProxyType(
    {
        "week": N_("Эта неделя"),
        "next_week": N_("Следующая неделя"),
        "month": N_("Этот месяц"),
        "next_month": N_("Следующий месяц"),
    }
)

ONLY_HEADS = N_("Конкурсы запускают руководители отделов и администраторы.")
STEP_KIND = N_("🏁 Новый конкурс. Шаг 1 из 5: какой?")
STEP_METRIC = N_("🏁 {kind}. Шаг 2 из 5: по какому показателю?")
STEP_PERIOD = N_("🏁 {kind} · {metric}. Шаг 3 из 5: когда?")
STEP_PRIZE = N_(
    "🏁 {kind} · {metric} · {period}. Шаг 4 из 5: приз. Напишите его одним сообщением "
    "или нажмите «Без приза»."
)
STEP_PRIZE_TARGET = N_(
    "🏁 {kind} · {metric} · {period}. Шаг 4 из 5: цель и приз. Напишите одним сообщением "
    "число-цель и приз, например «50 ужин в ресторане»."
)
STEP_CONFIRM = N_("🏁 Шаг 5 из 5: всё верно?\n{summary}")
NO_PRIZE = N_("Без приза")
CONFIRM = N_("Запустить")
CANCEL = N_("Отмена")
CANCELLED = N_("Конкурс не создан.")
STARTED = N_(
    "✅ Конкурс №{id} «{name}» создан. Объявление придёт в чат команды в ближайшие 15 минут."
)
LIST_HEAD = N_("Конкурсы (остановить: /contest stop №):")
LIST_EMPTY = N_("Идущих и объявленных конкурсов нет. Новый — /contest.")
STOP_BAD = N_("Укажите номер конкурса: /contest stop 12 (номера — в /contest list).")
STOP_NOT_YOURS = N_("Этот конкурс не вашего отдела: остановить его может его руководитель.")
STOP_DONE = N_("⏹ Конкурс №{id} «{name}» остановлен; итоги придут утром.")
USAGE = N_(
    "Запустить конкурс: /contest без слов (по шагам) или одной строкой, например "
    "/contest calls неделя приз: ужин · /contest гонка revenue 2026-12-01..2026-12-31 "
    "цель 500000 · /contest команды meetings месяц. Показатели: {metrics}."
)
WHOLE_TEAM = N_("весь отдел продаж")
ADD_PRIZE = N_("Приз можно дописать: /contest {words} приз: …")

ERRORS = MappingProxyType(
    {
        "metric": N_("Не знаю показатель «{value}». Можно: {allowed}."),
        "kind": N_(
            "Не знаю вид конкурса «{value}». Можно: top (кто больше), target (гонка до "
            "цели), teams (команда на команду)."
        ),
        "order": N_(
            "Конкурс заканчивается ({end}) раньше, чем начинается ({start}): сначала "
            "укажите день начала."
        ),
        "length": N_(
            "Конкурс длится не дольше {limit} дней, а здесь {days}. Выберите период короче."
        ),
        "over": N_("Этот период уже закончился ({end}): конкурс должен идти сегодня или позже."),
        "target": N_("Для гонки нужна цель больше нуля, например «цель 50»."),
        "target_kind": N_("Цель бывает только у гонки (target). Уберите цель или выберите гонку."),
        "department": N_("Нет отдела «{value}». Можно: {allowed}."),
        "not_allowed": N_("Вы можете запускать конкурсы только для своих отделов: {allowed}."),
        "teams": N_(
            "Для конкурса команд нужно хотя бы две команды: два отдела внутри того, "
            "для которого конкурс. Выберите «Кто больше»."
        ),
        "prize": N_("Текст приза слишком длинный: не больше {limit} символов."),
        "name": N_("Название конкурса — от 1 до {limit} символов."),
        "period": N_(
            "Не понял период «{value}». Можно: неделя, следующая неделя, месяц, "
            "следующий месяц или ГГГГ-ММ-ДД..ГГГГ-ММ-ДД."
        ),
        "day": N_("«{value}» — не день; пишите ГГГГ-ММ-ДД, например 2026-12-01."),
        "no_metric": N_("Не указан показатель. Можно: {allowed}."),
        "no_period": N_(
            "Не указан период: неделя, месяц, следующая неделя, следующий месяц или "
            "ГГГГ-ММ-ДД..ГГГГ-ММ-ДД."
        ),
    }
)


def error_text(exc: ContestError) -> str:
    template = ERRORS.get(exc.code)
    if template is None:
        return _("Конкурс не создан: {reason}").format(reason=exc)
    params = {k: _shown(v) for k, v in exc.params.items()}
    return _("Конкурс не создан. {reason}").format(reason=_(template).format(**params))


def _shown(value: object) -> str:
    if isinstance(value, tuple):
        # not _("нет"): that message is the "no" of a yes/no elsewhere, here it means "none"
        return ", ".join(str(v) for v in value) or ("none" if language() == "en" else "нет")
    return str(value)


def kind_title(kind: str) -> str:
    """'top' -> 'Кто больше' / 'Top performer': the reports' words, for steps and buttons."""
    return titles.kind_title(kind)


def span_title(span: str) -> str:
    """A period button's caption ("Эта неделя"), the span's key if it has none."""
    return _(SPANS[span]) if span in SPANS else span


def prize_mark() -> str:
    """The word before a prize in a command written out for the reader (both are read)."""
    return "prize:" if language() == "en" else "приз:"


def day_text(value: date) -> str:
    """A date in a summary: "09.03.2026" in Russian, "Mar 9, 2026" in English."""
    return day(value)


def span_text(first: date, last: date) -> str:
    """Days of a contest, short: "09.03–15.03" in Russian, "Mar 9 – 15" in English.

    Babel's interval for English, so one month is not written twice.
    """
    if language() == "ru":
        return f"{day(first, year=False)}–{day(last, year=False)}"
    return format_interval(first, last, "MMMd", locale=babel_locale())


def streak_line(metric: str, current: int, best: int) -> str:
    return _("🔥 {metric}: серия {current}, рекорд {best}").format(
        metric=metric_name(metric), current=titles.days_text(current), best=titles.days_text(best)
    )


def badge_line(rule: str, period: str) -> str:
    return f"🏅 {titles.badge_title(rule)} ({period})"


def place_line(name: str, rank: int, total: int) -> str:
    """Where the reader stands in a running contest, for /me."""
    return _("🏁 «{name}»: {rank}-е место из {total}").format(name=name, rank=rank, total=total)
