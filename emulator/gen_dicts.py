"""Dictionaries: crm.status.list rows (lead statuses, sources, deal types and stages) and
crm.category.list rows for the two deal pipelines."""

from __future__ import annotations

from emulator.data import DEAL_CATEGORIES, STATUSES
from emulator.gen_world import Row, World

# (STATUS_ID, NAME, semantics: P process, S success, F failure, A apology, probability)
STAGES_0 = (
    ("NEW", "Новая", "P", 10),
    ("PREPARATION", "Подготовка документов", "P", 30),
    ("PREPAYMENT_INVOICE", "Счёт на предоплату", "P", 50),
    ("EXECUTING", "В работе", "P", 70),
    ("FINAL_INVOICE", "Финальный счёт", "P", 90),
    ("WON", "Сделка успешна", "S", 100),
    ("LOSE", "Сделка провалена", "F", 0),
    ("UC_PRICE", "Не устроила цена", "F", 0),
    ("APOLOGY", "Анализ причины провала", "A", 0),
)
STAGES_1 = (
    ("C1:NEW", "Новая", "P", 20),
    ("C1:PREPARATION", "Согласование условий", "P", 50),
    ("C1:EXECUTING", "Отгрузка", "P", 80),
    ("C1:WON", "Повторная продажа", "S", 100),
    ("C1:LOSE", "Отказ", "F", 0),
    ("C1:APOLOGY", "Анализ причины отказа", "A", 0),
)
LEAD_STATUSES = (
    ("NEW", "Не обработан", "P"),
    ("IN_PROCESS", "В работе", "P"),
    ("PROCESSED", "Обработан", "P"),
    ("CONVERTED", "Качественный лид", "S"),
    ("JUNK", "Некачественный лид", "F"),
    ("1", "Не дозвонились", "F"),
    ("NO_BUDGET", "Нет бюджета", "F"),
)
SOURCES = (
    ("CALL", "Звонок"),
    ("EMAIL", "Электронная почта"),
    ("WEB", "Веб-сайт"),
    ("ADVERTISING", "Реклама"),
    ("PARTNER", "Существующий клиент"),
    ("RECOMMENDATION", "По рекомендации"),
    ("TRADE_SHOW", "Выставка"),
    ("OTHER", "Другое"),
)
DEAL_TYPES = (
    ("SALE", "Продажа"),
    ("COMPLEX", "Комплексная продажа"),
    ("GOODS", "Продажа товара"),
    ("SERVICES", "Продажа услуги"),
    ("SERVICE", "Сервисное обслуживание"),
)
COMPANY_TYPE_NAMES = (
    ("CUSTOMER", "Клиент"),
    ("PARTNER", "Партнёр"),
    ("SUPPLIER", "Поставщик"),
    ("COMPETITOR", "Конкурент"),
    ("OTHER", "Другое"),
)
CATEGORIES = ((0, "Продажи", 100), (1, "Повторные продажи", 200))
_EXTRA = {"P": "process", "S": "success", "F": "failure", "A": "apology"}
_COLORS = {"P": "#39A8EF", "S": "#7BD500", "F": "#FF5752", "A": "#FF5752"}


def stage_semantic(kind: str) -> str:
    """STAGE_SEMANTIC_ID of a deal in a stage of this kind (apology is a failure)."""
    return "F" if kind == "A" else kind


def build_dictionaries(w: World) -> None:
    rows = w.data.tables[STATUSES]

    def add(
        entity: str, status_id: str, name: str, *, sort: int, kind: str | None, cat: str | None
    ) -> None:
        row: Row = {
            "ID": str(len(rows) + 1),
            "ENTITY_ID": entity,
            "STATUS_ID": status_id,
            "NAME": name,
            "NAME_INIT": name,
            "SORT": str(sort),
            "SYSTEM": "Y"
            if status_id.rsplit(":", maxsplit=1)[-1] in ("NEW", "WON", "LOSE", "CONVERTED")
            else "N",
            "CATEGORY_ID": cat,
            "COLOR": _COLORS[kind] if kind else None,
            "SEMANTICS": None if kind in (None, "P") else stage_semantic(kind or ""),
        }
        if kind is not None:  # only stage-like dictionaries carry EXTRA
            row["EXTRA"] = {"SEMANTICS": _EXTRA[kind], "COLOR": _COLORS[kind]}
        rows.append(row)

    for i, (status, name, kind) in enumerate(LEAD_STATUSES):
        add("STATUS", status, name, sort=(i + 1) * 10, kind=kind, cat=None)
    for i, (source, name) in enumerate(SOURCES):
        add("SOURCE", source, name, sort=(i + 1) * 10, kind=None, cat=None)
    for i, (type_id, name) in enumerate(DEAL_TYPES):
        add("DEAL_TYPE", type_id, name, sort=(i + 1) * 10, kind=None, cat=None)
    for i, (type_id, name) in enumerate(COMPANY_TYPE_NAMES):
        add("COMPANY_TYPE", type_id, name, sort=(i + 1) * 10, kind=None, cat=None)
    for i, (stage, name, kind, _) in enumerate(STAGES_0):
        add("DEAL_STAGE", stage, name, sort=(i + 1) * 10, kind=kind, cat="0")
    for i, (stage, name, kind, _) in enumerate(STAGES_1):
        add("DEAL_STAGE_1", stage, name, sort=(i + 1) * 10, kind=kind, cat="1")
    for cat_id, name, sort in CATEGORIES:
        w.data.tables[DEAL_CATEGORIES].append(
            {
                "id": cat_id,
                "name": name,
                "sort": sort,
                "entityTypeId": 2,
                "isDefault": "Y" if cat_id == 0 else "N",
            }
        )
