"""What the bots say about contests, streaks and badges (plain text; each front escapes it)."""

from __future__ import annotations

from types import MappingProxyType

from kpi.contest_input import ContestError
from reports.game_texts import BADGE_TITLES, KIND_TITLES, METRIC_TITLES, days_text

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
        "week": "Эта неделя",
        "next_week": "Следующая неделя",
        "month": "Этот месяц",
        "next_month": "Следующий месяц",
    }
)

ONLY_HEADS = "Конкурсы запускают руководители отделов и администраторы."
STEP_KIND = "🏁 Новый конкурс. Шаг 1 из 5: какой?"
STEP_METRIC = "🏁 {kind}. Шаг 2 из 5: по какому показателю?"
STEP_PERIOD = "🏁 {kind} · {metric}. Шаг 3 из 5: когда?"
STEP_PRIZE = (
    "🏁 {kind} · {metric} · {period}. Шаг 4 из 5: приз. Напишите его одним сообщением "
    "или нажмите «Без приза»."
)
STEP_PRIZE_TARGET = (
    "🏁 {kind} · {metric} · {period}. Шаг 4 из 5: цель и приз. Напишите одним сообщением "
    "число-цель и приз, например «50 ужин в ресторане»."
)
STEP_CONFIRM = "🏁 Шаг 5 из 5: всё верно?\n{summary}"
NO_PRIZE = "Без приза"
CONFIRM = "Запустить"
CANCEL = "Отмена"
CANCELLED = "Конкурс не создан."
STARTED = "✅ Конкурс №{id} «{name}» создан. Объявление придёт в чат команды в ближайшие 15 минут."
LIST_HEAD = "Конкурсы (остановить: /contest stop №):"
LIST_EMPTY = "Идущих и объявленных конкурсов нет. Новый — /contest."
STOP_BAD = "Укажите номер конкурса: /contest stop 12 (номера — в /contest list)."
STOP_NOT_YOURS = "Этот конкурс не вашего отдела: остановить его может его руководитель."
STOP_DONE = "⏹ Конкурс №{id} «{name}» остановлен; итоги придут утром."
USAGE = (
    "Запустить конкурс: /contest без слов (по шагам) или одной строкой, например "
    "/contest calls неделя приз: ужин · /contest гонка revenue 2026-12-01..2026-12-31 "
    "цель 500000 · /contest команды meetings месяц. Показатели: {metrics}."
)

ERRORS = MappingProxyType(
    {
        "metric": "Не знаю показатель «{value}». Можно: {allowed}.",
        "kind": "Не знаю вид конкурса «{value}». Можно: top (кто больше), target (гонка до "
        "цели), teams (команда на команду).",
        "order": "Конкурс заканчивается ({end}) раньше, чем начинается ({start}): сначала "
        "укажите день начала.",
        "length": "Конкурс длится не дольше {limit} дней, а здесь {days}. Выберите период короче.",
        "over": "Этот период уже закончился ({end}): конкурс должен идти сегодня или позже.",
        "target": "Для гонки нужна цель больше нуля, например «цель 50».",
        "target_kind": "Цель бывает только у гонки (target). Уберите цель или выберите гонку.",
        "department": "Нет отдела «{value}». Можно: {allowed}.",
        "not_allowed": "Вы можете запускать конкурсы только для своих отделов: {allowed}.",
        "teams": "Для конкурса команд нужно хотя бы две команды: два отдела внутри того, "
        "для которого конкурс. Выберите «Кто больше».",
        "prize": "Текст приза слишком длинный: не больше {limit} символов.",
        "name": "Название конкурса — от 1 до {limit} символов.",
        "period": "Не понял период «{value}». Можно: неделя, следующая неделя, месяц, "
        "следующий месяц или ГГГГ-ММ-ДД..ГГГГ-ММ-ДД.",
        "day": "«{value}» — не день; пишите ГГГГ-ММ-ДД, например 2026-12-01.",
        "no_metric": "Не указан показатель. Можно: {allowed}.",
        "no_period": "Не указан период: неделя, месяц, следующая неделя, следующий месяц или "
        "ГГГГ-ММ-ДД..ГГГГ-ММ-ДД.",
    }
)


def error_text(exc: ContestError) -> str:
    template = ERRORS.get(exc.code)
    if template is None:
        return f"Конкурс не создан: {exc}"
    params = {k: _shown(v) for k, v in exc.params.items()}
    return "Конкурс не создан. " + template.format(**params)


def _shown(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) or "нет"
    return str(value)


def kind_title(kind: str) -> str:
    return KIND_TITLES.get(kind, kind)


def metric_title(metric: str) -> str:
    return METRIC_TITLES.get(metric, metric)


def streak_line(metric: str, current: int, best: int) -> str:
    return f"🔥 {metric_title(metric)}: серия {days_text(current)}, рекорд {days_text(best)}"


def badge_line(rule: str, period: str) -> str:
    return f"🏅 {BADGE_TITLES.get(rule, rule)} ({period})"
