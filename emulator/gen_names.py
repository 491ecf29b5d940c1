"""Russian names, company titles, e-mail addresses and phone numbers for the generator."""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random

MALE_NAMES = (
    "Александр", "Алексей", "Андрей", "Антон", "Артём", "Борис", "Вадим", "Валерий", "Василий",
    "Виктор", "Виталий", "Владимир", "Владислав", "Вячеслав", "Геннадий", "Георгий", "Григорий",
    "Денис", "Дмитрий", "Евгений", "Егор", "Иван", "Игорь", "Илья", "Кирилл", "Константин",
    "Леонид", "Максим", "Михаил", "Никита", "Николай", "Олег", "Павел", "Пётр", "Роман",
    "Руслан", "Сергей", "Станислав", "Степан", "Тимур", "Фёдор", "Юрий", "Ярослав",
)  # fmt: skip
FEMALE_NAMES = (
    "Александра", "Алина", "Алёна", "Анастасия", "Анна", "Валентина", "Валерия", "Вера",
    "Виктория", "Галина", "Дарья", "Диана", "Екатерина", "Елена", "Елизавета", "Жанна", "Инна",
    "Ирина", "Карина", "Кристина", "Ксения", "Лариса", "Любовь", "Людмила", "Маргарита",
    "Марина", "Мария", "Надежда", "Наталья", "Нина", "Оксана", "Олеся", "Ольга", "Полина",
    "Светлана", "София", "Татьяна", "Юлия", "Яна",
)  # fmt: skip
SURNAMES = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв",
    "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв",
    "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев",
    "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев",
    "Герасимов", "Богданов", "Осипов", "Сидоров", "Матвеев", "Титов", "Марков", "Миронов",
    "Крылов", "Куликов", "Карпов", "Власов", "Мельников", "Денисов", "Гаврилов", "Тихонов",
    "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев", "Фомин", "Чернов", "Абрамов",
    "Мартынов", "Ефимов", "Федотов", "Щербаков", "Назаров", "Калинин", "Исаев", "Быков",
    "Маслов", "Родионов", "Коновалов", "Лазарев", "Воронин", "Климов", "Филатов", "Голубев",
    "Кудрявцев", "Прохоров", "Наумов", "Потапов", "Журавлёв", "Трофимов", "Леонов", "Соболев",
    "Ермаков", "Колесников", "Гончаров", "Емельянов", "Никифоров", "Грачёв", "Котов",
    "Гришин", "Ефремов", "Архипов", "Громов", "Кириллов", "Малышев", "Панов", "Моисеев",
    "Румянцев", "Акимов", "Кондратьев", "Бирюков", "Горбунов", "Анисимов", "Галкин",
    "Лукьянов", "Скворцов", "Белоусов", "Нестеров", "Симонов", "Харитонов", "Князев",
    "Цветков", "Левин", "Воронов", "Аксёнов", "Мальцев", "Логинов", "Горшков", "Савин",
    "Краснов", "Майоров", "Демидов", "Елисеев", "Рыбаков", "Сафонов", "Плотников", "Жданов",
    "Покровский", "Вишневский", "Островский", "Успенский", "Шевченко", "Бондаренко",
)  # fmt: skip
PATRONYMICS = (
    ("Александрович", "Александровна"), ("Алексеевич", "Алексеевна"),
    ("Андреевич", "Андреевна"), ("Борисович", "Борисовна"), ("Викторович", "Викторовна"),
    ("Владимирович", "Владимировна"), ("Дмитриевич", "Дмитриевна"),
    ("Евгеньевич", "Евгеньевна"), ("Иванович", "Ивановна"), ("Игоревич", "Игоревна"),
    ("Михайлович", "Михайловна"), ("Николаевич", "Николаевна"), ("Олегович", "Олеговна"),
    ("Павлович", "Павловна"), ("Петрович", "Петровна"), ("Сергеевич", "Сергеевна"),
    ("Юрьевич", "Юрьевна"), ("Анатольевич", "Анатольевна"), ("Геннадьевич", "Геннадьевна"),
)  # fmt: skip
TITLE_ROOTS = (
    "Альфа", "Вектор", "Гранит", "Дельта", "Енисей", "Зенит", "Интер", "Каскад", "Лидер",
    "Магистраль", "Нева", "Орион", "Прогресс", "Ресурс", "Сибирь", "Техно", "Урал", "Феникс",
    "Кристалл", "Меридиан", "Спектр", "Атлант", "Восток", "Гелиос", "Эко", "Мега", "Профи",
    "Стандарт", "Триада", "Форвард", "Альянс", "Горизонт", "Импульс", "Квант", "Монолит",
    "Новатор", "Олимп", "Паритет", "Регион", "Сфера", "Титан", "Эталон", "Янтарь", "Байкал",
    "Волга", "Полюс", "Аврора", "Север",
)  # fmt: skip
TITLE_TAILS = (
    "Строй", "Торг", "Снаб", "Сервис", "Логистик", "Пром", "Трейд", "Групп", "Инвест", "Софт",
    "Маркет", "Агро", "Мед", "Энерго", "Авто", "Тех", "Проект", "Систем", "Комплект", "Фарм",
)  # fmt: skip
TITLE_FORMS = ("ООО", "ООО", "ООО", "ООО", "ООО", "АО", "ЗАО", "ПАО", "ТД", "ГК")
TITLE_EXTRAS = (" Плюс", " М", " Центр", " Урал", " Сибирь", " Юг", " Северо-Запад")
_TRANSLIT = (
    ("а", "a"), ("б", "b"), ("в", "v"), ("г", "g"), ("д", "d"), ("е", "e"), ("ё", "e"),
    ("ж", "zh"), ("з", "z"), ("и", "i"), ("й", "y"), ("к", "k"), ("л", "l"), ("м", "m"),
    ("н", "n"), ("о", "o"), ("п", "p"), ("р", "r"), ("с", "s"), ("т", "t"), ("у", "u"),
    ("ф", "f"), ("х", "kh"), ("ц", "ts"), ("ч", "ch"), ("ш", "sh"), ("щ", "shch"), ("ъ", ""),
    ("ы", "y"), ("ь", ""), ("э", "e"), ("ю", "yu"), ("я", "ya"),
)  # fmt: skip
# Mobile and landline area codes; the rest of the 10-digit national number is random.
AREA_CODES = ("916", "903", "926", "985", "915", "905", "495", "499", "812", "343", "383")


def female_surname(surname: str) -> str:
    if surname.endswith("ский"):
        return surname[:-2] + "ая"
    if surname.endswith(("ов", "ев", "ёв", "ин")):
        return surname + "а"
    return surname  # Шевченко and the like do not change


@dataclass
class Person:
    """A person's name parts, in the order Bitrix24 keeps them."""

    first: str
    last: str
    middle: str
    female: bool

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def initials(self) -> str:
        return f"{self.last} {self.first[0]}.{self.middle[0]}."


@dataclass
class Namer:
    """Draws unique names, titles, e-mails and phone numbers from one random stream."""

    rng: Random
    _titles: set[str] = field(default_factory=set)
    _emails: set[str] = field(default_factory=set)
    _phones: set[str] = field(default_factory=set)
    _table: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._table = str.maketrans(dict(_TRANSLIT))

    def person(self) -> Person:
        rng = self.rng
        female = rng.random() < 0.45
        surname = rng.choice(SURNAMES)
        middle = rng.choice(PATRONYMICS)[1 if female else 0]
        if female:
            return Person(rng.choice(FEMALE_NAMES), female_surname(surname), middle, True)
        return Person(rng.choice(MALE_NAMES), surname, middle, False)

    def translit(self, text: str) -> str:
        return text.lower().translate(self._table)

    def email(self, person: Person, domain: str) -> str:
        base = f"{self.translit(person.first)[0]}.{self.translit(person.last)}"
        address, n = f"{base}@{domain}", 1
        while address in self._emails:
            n += 1
            address = f"{base}{n}@{domain}"
        self._emails.add(address)
        return address

    def company_title(self) -> str:
        rng = self.rng
        if rng.random() < 0.12:
            title = f"ИП {self.person().initials}"
        else:
            root, tail = rng.choice(TITLE_ROOTS), rng.choice(TITLE_TAILS)
            joined = f"{root}-{tail}" if rng.random() < 0.3 else root + tail.lower()
            title = f"{rng.choice(TITLE_FORMS)} «{joined}»"
        base, n = title, 0
        while title in self._titles:
            n += 1
            extra = TITLE_EXTRAS[n - 1] if n <= len(TITLE_EXTRAS) else f" {n}"
            title = base[:-1] + extra + "»" if base.endswith("»") else f"{base} ({n})"
        self._titles.add(title)
        return title

    def domain(self, title: str) -> str:
        inner = title.rsplit("«", maxsplit=1)[-1].rstrip("»") if "«" in title else title.split()[1]
        slug = "".join(ch for ch in self.translit(inner) if ch.isalnum() or ch == "-")
        return f"{slug or 'client'}.ru"

    def phone(self) -> str:
        """A fresh 10-digit national number (no country code), unique in this portal."""
        rng = self.rng
        while True:
            number = rng.choice(AREA_CODES) + str(rng.randrange(1_000_000, 10_000_000))
            if number not in self._phones:
                self._phones.add(number)
                return number


def phone_formats(national: str) -> tuple[str, str, str, str]:
    """The ways one number shows up in call statistics: +7..., 8..., 7..., bare 10 digits."""
    return ("+7" + national, "8" + national, "7" + national, national)


def phone_display(national: str) -> str:
    """How a person types a number into a CRM card."""
    n = national
    return f"+7 ({n[:3]}) {n[3:6]}-{n[6:8]}-{n[8:]}"
