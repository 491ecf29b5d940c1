"""An English-speaking portal: the generated data with its texts in English.

``crm-pulse demo --lang en`` and ``crm-pulse emulator --lang en`` show the product to a team
whose portal speaks English: stages, sources, loss reasons, departments, positions, deal,
lead, task and activity titles are what an English portal would hold, and people's and
companies' names are spelt in Latin letters (BGN-style transliteration, legal forms written
the English way). The pass runs over the generated rows after generation, so the figures are
the same as the Russian portal's of the same seed: only texts change.
"""

from __future__ import annotations

import re
from typing import Any

from emulator.data import PortalData

WORDS = {
    # Deal stages, categories, lead statuses, sources, deal and company types (gen_dicts).
    "Новая": "New",
    "Подготовка документов": "Preparing documents",
    "Счёт на предоплату": "Prepayment invoice",
    "В работе": "In progress",
    "Финальный счёт": "Final invoice",
    "Сделка успешна": "Won",
    "Сделка провалена": "Lost",
    "Не устроила цена": "Price too high",
    "Анализ причины провала": "Loss analysis",
    "Согласование условий": "Negotiating terms",
    "Отгрузка": "Shipping",
    "Повторная продажа": "Repeat sale won",
    "Отказ": "Declined",
    "Анализ причины отказа": "Decline analysis",
    "Не обработан": "Not processed",
    "Обработан": "Processed",
    "Качественный лид": "Qualified lead",
    "Некачественный лид": "Junk lead",
    "Не дозвонились": "Could not reach",
    "Нет бюджета": "No budget",
    "Звонок": "Call",
    "Электронная почта": "Email",
    "Веб-сайт": "Website",
    "Реклама": "Advertising",
    "Существующий клиент": "Existing client",
    "По рекомендации": "Referral",
    "Выставка": "Trade show",
    "Другое": "Other",
    "Продажа": "Sale",
    "Комплексная продажа": "Complex sale",
    "Продажа товара": "Goods sale",
    "Продажа услуги": "Service sale",
    "Сервисное обслуживание": "Maintenance",
    "Клиент": "Customer",
    "Партнёр": "Partner",
    "Поставщик": "Supplier",
    "Конкурент": "Competitor",
    "Продажи": "Sales",
    "Повторные продажи": "Repeat sales",
    # Departments and positions (gen_org, gen_clients).
    "ООО «Северный ветер»": "North Wind Ltd",
    "Отдел продаж": "Sales",
    "Отдел продаж Москва": "Sales Moscow",
    "Отдел продаж Регионы": "Sales Regions",
    "Группа ключевых клиентов": "Key Accounts",
    "Бухгалтерия": "Accounting",
    "Маркетинг": "Marketing",
    "Генеральный директор": "CEO",
    "Коммерческий директор": "Chief Commercial Officer",
    "Руководитель отдела продаж": "Head of Sales",
    "Руководитель группы ключевых клиентов": "Head of Key Accounts",
    "Главный бухгалтер": "Chief Accountant",
    "Старший менеджер по продажам": "Senior Account Executive",
    "Менеджер по продажам": "Account Executive",
    "Менеджер по работе с ключевыми клиентами": "Key Account Manager",
    "Стажёр отдела продаж": "Sales Intern",
    "Бухгалтер": "Accountant",
    "Маркетолог": "Marketing Manager",
    "Системный администратор": "System Administrator",
    "Директор": "Director",
    "Менеджер по закупкам": "Purchasing Manager",
    "Главный инженер": "Chief Engineer",
    "Офис-менеджер": "Office Manager",
    "Руководитель отдела снабжения": "Head of Procurement",
    "Юрист": "Lawyer",
    # Activity, call and task subjects (gen_activities, gen_calls, gen_tasks, gen_seeds).
    "Коммерческое предложение": "Commercial proposal",
    "Счёт на оплату": "Invoice",
    "Договор на согласование": "Contract for review",
    "Акт сверки": "Reconciliation statement",
    "Прайс-лист": "Price list",
    "Подтверждение заказа": "Order confirmation",
    "Re: Коммерческое предложение": "Re: Commercial proposal",
    "Запрос цены": "Price request",
    "Re: Счёт на оплату": "Re: Invoice",
    "Вопрос": "Question",
    "Перезвонить клиенту": "Call the client back",
    "Отправить КП": "Send the proposal",
    "Уточнить сроки поставки": "Confirm delivery dates",
    "Выставить счёт": "Send the invoice",
    "Встреча в офисе клиента": "Meeting at the client's office",
    "Встреча с клиентом": "Client meeting",
    "Чат с клиентом": "Client chat",
    "Исходящий звонок": "Outbound call",
    "Обратный звонок": "Callback",
    "Входящий звонок": "Inbound call",
    "Пропущенный звонок": "Missed call",
    "Звонок с мобильного": "Call from a mobile",
    "Отчёт за неделю": "Weekly report",
    "Обновить прайс-лист": "Update the price list",
    "Планёрка отдела": "Team stand-up",
    "Сверка с бухгалтерией": "Reconcile with accounting",
    # Products in deal titles, lead titles (gen_deal_rows, gen_leads).
    "Поставка оборудования": "Equipment supply",
    "Годовая подписка": "Annual subscription",
    "Внедрение": "Implementation",
    "Сервисный контракт": "Service contract",
    "Поставка расходных материалов": "Consumables supply",
    "Монтаж и пусконаладка": "Installation and commissioning",
    "Консультационные услуги": "Consulting",
    "Партия товара": "Goods shipment",
    "Заявка с сайта": "Website enquiry",
    "Письмо на info@": "Email to info@",
    "Заявка по рекламе": "Ad enquiry",
    "Запрос от партнёра": "Partner request",
    "Обращение по рекомендации": "Referral enquiry",
    "Ключевой клиент": "Key client",
}
# A text that starts with one of these keeps its tail (a name, a date) after the English.
PREFIXES = (
    ("Подготовить КП для ", "Prepare a proposal for "),
    ("Позвонить ", "Call "),
    ("Отправить договор ", "Send the contract to "),
    ("Согласовать скидку для ", "Agree a discount for "),
    ("Провести встречу с ", "Meet "),
    ("Выставить счёт ", "Invoice "),
    ("Обновить карточку ", "Update the record of "),
    ("Ежемесячная поставка ", "Monthly supply "),
)
SEPARATORS = (" — ", ": ")
LEGAL_FORMS = {
    "ООО": "LLC",
    "АО": "JSC",
    "ЗАО": "CJSC",
    "ПАО": "PJSC",
    "ТД": "Trading House",
    "ГК": "Group",
}
_LEGAL = re.compile(r"^(ООО|АО|ЗАО|ПАО|ТД|ГК) «(.+)»$")
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_LETTERS = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split(),  # noqa: SIM905
        strict=True,
    )
)


def latin(text: str) -> str:
    """'Пётр Щербаков' -> 'Petr Shcherbakov': letters spelt out, capitals kept."""
    out = []
    for char in text:
        lower = char.lower()
        spelt = _LETTERS.get(lower)
        if spelt is None:
            out.append(char)
        elif spelt != "-":
            out.append(spelt.capitalize() if char != lower else spelt)
    return "".join(out)


def english(text: str) -> str:
    """One portal text in English: a known phrase, a known head with a tail, or a name."""
    if not _CYRILLIC.search(text):
        return text
    if text in WORDS:
        return WORDS[text]
    for russian, translated in PREFIXES:
        if text.startswith(russian):
            return translated + english(text[len(russian) :])
    for separator in SEPARATORS:
        head, found, tail = text.partition(separator)
        if found:
            return english(head) + separator + english(tail)
    return name(text)


def name(text: str) -> str:
    """A person's or a company's name in Latin letters, its legal form the English way."""
    legal = _LEGAL.match(text)
    if legal:
        return f"{latin(legal.group(2))} {LEGAL_FORMS[legal.group(1)]}"
    if text.startswith("ИП "):
        return f"{latin(text[3:])}, sole trader"
    return latin(text).replace("«", '"').replace("»", '"')


def _walk(value: Any) -> Any:
    if isinstance(value, str):
        return english(value)
    if isinstance(value, dict):
        return {key: _walk(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item) for item in value]
    return value


def in_english(data: PortalData) -> PortalData:
    """``data`` with every text of every row in English (in place; also returned)."""
    for name, rows in data.tables.items():
        data.tables[name] = [_walk(row) for row in rows]
    data.language = "en"
    return data
