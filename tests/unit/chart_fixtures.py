"""Sample kpi result objects for chart tests: plausible, seeded, with Cyrillic names."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from kpi.abc import ABC, XYZ, AbcReport, AbcRow, AbcTotal, MatrixCell
from kpi.calls import CallsReport, CallsRow, DayCalls
from kpi.channels import ChannelRow, ChannelsReport
from kpi.common import ReportMeta
from kpi.conversion import ConversionReport, EmployeeRow, SourceRow, TypeRow
from kpi.coverage import CoverageReport, CoverageRow, UncoveredClient
from kpi.funnel import FunnelReport, FunnelRow, FunnelTotal, PipelineFunnel
from kpi.kpiplan import KpiReport, KpiRow, Metric
from kpi.lost import LostEmployeeRow, LostReport, LostRow
from kpi.missed import MissedReport, MissedRow, OpenCall
from kpi.periods import Period, parse_period, previous
from kpi.plan import DayRevenue, PlanReport, PlanRow
from kpi.rating import RatingReport, RatingRow
from kpi.scope import Employee, Scope
from kpi.settings import METRICS
from kpi.streaks import StreakRow, StreaksReport
from kpi.tasks import OverdueTask, TasksReport, TasksRow

TZ = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 22, 6, 5, tzinfo=UTC)  # 09:05 in Moscow
AS_OF = NOW - timedelta(minutes=3)
NAMES = (
    "Анна Орлова",
    "Константин Константинопольский-Задунайский",
    "Иван Петров",
    "Мария Смирнова",
    "Олег Кузнецов",
    "Светлана Попова",
    "Дмитрий Васильев",
    "Екатерина Соколова",
    "Павел Морозов",
    "Наталья Новикова",
    "Алексей Фёдоров",
    "Юлия Волкова",
    "Сергей Алексеев",
    "Ольга Лебедева",
    "Игорь Семёнов",
    "Татьяна Егорова",
    "Андрей Павлов",
    "Ксения Щербакова",
    "Григорий Жуков",
    "Элеонора Цветаева-Шумилова",
)
ZERO = Decimal("0.00")


def period(text: str = "month") -> Period:
    return parse_period(text, now=NOW, tz=TZ)


def meta(report: str, employees: int = 8, *, when: str = "month") -> ReportMeta:
    chosen = tuple(Employee(100 + i, NAMES[i % len(NAMES)], 1) for i in range(employees))
    current = period(when)
    scope = Scope("company", None, "Компания", chosen)
    return ReportMeta(report, scope, current, previous(current, now=NOW), AS_OF)


def _money(rnd: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rnd.randrange(low, high) * 100)


def rating(employees: int = 8, seed: int = 1) -> RatingReport:
    rnd = random.Random(seed)
    m = meta("rating", employees)
    rows = []
    for emp in m.scope.employees:
        calls, emails, meetings, won = (
            rnd.randint(0, 60),
            rnd.randint(0, 30),
            rnd.randint(0, 6),
            rnd.randint(0, 4),
        )
        lost = rnd.randint(0, 5)
        pts = Decimal(calls) + Decimal(emails) / 2 + 5 * meetings + 10 * won - lost
        rows.append((pts, emp, calls, emails, meetings, won, lost))
    rows.sort(key=lambda r: (-r[0], r[1].name))
    built = []
    for rank, (pts, emp, calls, emails, meetings, won, lost) in enumerate(rows, start=1):
        before = rnd.choice([None, *range(1, len(rows) + 1)])
        built.append(
            RatingRow(
                emp.id,
                emp.name,
                rank,
                pts,
                calls,
                emails,
                meetings,
                won,
                _money(rnd, 0, 9000) if won else ZERO,
                lost,
                0,
                calls + 5,
                600,
                before,
                None if before is None else before - rank,
            )
        )
    total = RatingRow(
        None,
        "Итого",
        None,
        sum((r.points for r in built), Decimal(0)),
        *([0] * 4),
        ZERO,
        0,
        0,
        0,
        0,
        None,
        None,
    )
    return RatingReport(m, tuple(built), total, total)


def coverage(employees: int = 8, seed: int = 2) -> CoverageReport:
    rnd = random.Random(seed)
    m = meta("coverage", employees)
    rows = []
    for i, emp in enumerate(m.scope.employees):
        clients = 0 if i == 2 else rnd.randint(5, 60)
        covered = rnd.randint(0, clients)
        key = min(clients, rnd.randint(0, 8))
        key_covered = rnd.randint(0, key)
        uncovered = tuple(
            UncoveredClient(j, "company", f"ООО Клиент {j}", f"https://x/{j}", None, emp.id, False)
            for j in range(clients - covered)
        )
        rows.append(
            CoverageRow(
                emp.id,
                emp.name,
                clients,
                covered,
                covered / clients if clients else None,
                key,
                key_covered,
                uncovered,
            )
        )
    clients = sum(r.clients for r in rows)
    covered = sum(r.covered for r in rows)
    total = CoverageRow(
        None,
        "Итого",
        clients,
        covered,
        covered / clients if clients else None,
        sum(r.key_clients for r in rows),
        sum(r.key_covered for r in rows),
        (),
    )
    return CoverageReport(m, tuple(rows), total, total)


def kpi(employees: int = 1, seed: int = 3, *, when: str = "month") -> KpiReport:
    rnd = random.Random(seed)
    m = meta("kpi", employees, when=when)
    share = Decimal("0.7")  # of working time elapsed by now
    metrics = {}
    for name in METRICS:
        if name == "emails":
            metrics[name] = Metric(None, Decimal(rnd.randint(10, 40)), None, None)
            continue
        plan = (
            Decimal(rnd.choice([40, 120, 300, 1200])) if name != "revenue" else Decimal(3_000_000)
        )
        fact = (plan * Decimal(rnd.uniform(0.3, 1.2))).quantize(Decimal("1"))
        expected = plan * share if m.period.running else plan
        status = (
            "met"
            if fact >= plan
            else ("on_track" if fact >= expected else "behind")
            if m.period.running
            else "missed"
        )
        metrics[name] = Metric(plan, fact, expected, status)
    row = KpiRow(None, "Итого", metrics)
    return KpiReport(m, (row,), row, row)


def calls(seed: int = 4, *, when: str = "month") -> CallsReport:
    rnd = random.Random(seed)
    m = meta("calls", 6, when=when)
    days = []
    day = m.period.start.date()
    today = NOW.astimezone(TZ).date()
    while day < m.period.end.date():
        weekend = day.weekday() >= 5
        count = rnd.randint(0, 8) if weekend else rnd.randint(40, 120)
        count = 0 if day > today else count
        days.append(DayCalls(day, count, rnd.randint(0, count // 8)))
        day += timedelta(days=1)
    total_calls = sum(d.calls for d in days)
    missed = sum(d.missed for d in days)
    row = CallsRow(
        None,
        "Итого",
        total_calls,
        total_calls // 2,
        total_calls // 2,
        total_calls - missed,
        total_calls * 2 // 3,
        missed,
        missed // 2,
        missed // 3,
        total_calls * 95,
        1800,
    )
    before = CallsRow(None, "Итого", total_calls - 150, 0, 0, 0, 0, missed + 4, 0, 0, 0, None)
    hours = tuple(rnd.randint(20, 200) if 9 <= h < 19 else rnd.randint(0, 10) for h in range(24))
    return CallsReport(m, (row,), row, before, hours, tuple(days))


def missed(employees: int = 8, seed: int = 5) -> MissedReport:
    rnd = random.Random(seed)
    m = meta("missed", employees)
    rows = []
    for emp in m.scope.employees:
        count = rnd.randint(0, 25)
        back = rnd.randint(0, count)
        lost = count - back + rnd.randint(0, back // 3)
        opened = tuple(
            OpenCall(
                f"7916{rnd.randint(1000000, 9999999)}",
                NOW - timedelta(hours=rnd.randint(1, 200)),
                emp.id,
                emp.name,
            )
            for _ in range(count - back)
        )
        rows.append(
            MissedRow(
                emp.id,
                emp.name,
                count,
                back,
                lost,
                rnd.randint(60, 7200) if back else None,
                opened,
            )
        )
    if employees:
        rows.append(MissedRow(None, "Без сотрудника", 3, 1, 2, 4000, ()))
    every_open = tuple(sorted((c for r in rows for c in r.open), key=lambda c: c.at))
    total = MissedRow(
        None,
        "Итого",
        sum(r.missed for r in rows),
        sum(r.missed_called_back for r in rows),
        sum(r.missed_lost for r in rows),
        1500,
        every_open,
    )
    return MissedReport(m, tuple(rows), total, total)


def plan(seed: int = 6, *, when: str = "month") -> PlanReport:
    rnd = random.Random(seed)
    m = meta("plan", 5, when=when)
    as_of_day = min(NOW.astimezone(TZ).date(), (m.period.end - timedelta(days=1)).date())
    days, running = [], ZERO
    day = m.period.start.date()
    while day < m.period.end.date():
        revenue = _money(rnd, 0, 3000) if day <= as_of_day and rnd.random() < 0.5 else ZERO
        running += revenue
        days.append(DayRevenue(day, revenue, running))
        day += timedelta(days=1)
    rate = (running * 30 / 22).quantize(Decimal("0.01"))
    total = PlanRow(
        None, "Итого", running, Decimal(3_000_000), 14, rate, running + Decimal(420_000)
    )
    before = PlanRow(
        None,
        "Итого",
        Decimal(1_900_000),
        Decimal(3_000_000),
        11,
        Decimal(1_900_000),
        Decimal(1_900_000),
    )
    return PlanReport(m, (total,), total, before, tuple(days), as_of_day)


def funnel(seed: int = 7) -> FunnelReport:
    rnd = random.Random(seed)
    stages = (
        ("NEW", "Новая", "process"),
        ("PREP", "Подготовка документов", "process"),
        ("PROPOSAL", "Коммерческое предложение отправлено клиенту", "process"),
        ("LOSE", "Сделка провалена", "failure"),
        ("WON", "Сделка успешна", "success"),
        ("APOLOGY", "Анализ причины провала", "apology"),
    )
    rows = tuple(
        FunnelRow(0, code, name, sem, rnd.randint(0, 80), _money(rnd, 1000, 90000))
        for code, name, sem in stages
    )
    pipe = PipelineFunnel(
        0, "Общая", rows, sum(r.deals for r in rows), sum((r.amount for r in rows), ZERO)
    )
    total = FunnelTotal(pipe.deals, pipe.amount, 100, Decimal(5_400_000))
    return FunnelReport(meta("funnel"), (pipe,), total, total)


def conversion(sources: int = 6, seed: int = 8) -> ConversionReport:
    rnd = random.Random(seed)
    names = (
        "Сайт",
        "Звонок",
        "Электронная почта",
        "Выставка",
        "Рекомендация партнёра",
        "Реклама в поисковых системах и социальных сетях",
        "Без источника",
    )
    by_source = []
    for i in range(sources):
        leads = rnd.randint(1, 120)
        converted = rnd.randint(0, leads)
        by_source.append(
            SourceRow(
                leads=leads,
                converted=converted,
                to_deals=converted,
                to_won=converted // 2,
                source_id=str(i),
                source=names[i % len(names)],
            )
        )
    by_source.sort(key=lambda r: -r.leads)
    leads = sum(r.leads for r in by_source)
    converted = sum(r.converted for r in by_source)
    total = EmployeeRow(
        leads=leads,
        converted=converted,
        to_deals=converted,
        to_won=0,
        employee_id=None,
        employee="Итого",
    )
    types = (
        TypeRow(leads=leads, converted=converted, type="new", name="Новые"),
        TypeRow(type="repeat", name="Повторные"),
    )
    return ConversionReport(meta("conversion"), (total,), tuple(by_source), types, total, total)


def lost(reasons: int = 7, seed: int = 9) -> LostReport:
    rnd = random.Random(seed)
    words = (
        "Дорого",
        "Выбрали конкурента",
        "Нет бюджета",
        "Не отвечает",
        "Дубль",
        "Неверные контакты",
        "Не целевой клиент по профилю деятельности",
    )
    rows = tuple(
        LostRow(
            "deal" if i % 2 else "lead",
            f"S{i}",
            words[i % len(words)],
            rnd.randint(1, 30),
            _money(rnd, 0, 5000),
        )
        for i in range(reasons)
    )
    leads = sum(r.count for r in rows if r.entity == "lead")
    deals = sum(r.count for r in rows if r.entity == "deal")
    total = LostEmployeeRow(None, "Итого", leads, deals, leads + deals, ZERO)
    return LostReport(meta("lost"), rows, (total,), total, total)


def tasks(employees: int = 8, seed: int = 10) -> TasksReport:
    rnd = random.Random(seed)
    m = meta("tasks", employees)
    rows = []
    for emp in m.scope.employees:
        overdue = rnd.randint(0, 6)
        late = tuple(
            OverdueTask(i, "Позвонить", NOW - timedelta(days=i + 1), emp.id, "u")
            for i in range(overdue)
        )
        rows.append(TasksRow(emp.id, emp.name, rnd.randint(0, 40), overdue, late))
    total = TasksRow(
        None, "Итого", sum(r.completed for r in rows), sum(r.overdue for r in rows), ()
    )
    return TasksReport(m, tuple(rows), total, total)


def streaks(employees: int = 8, seed: int = 12) -> StreaksReport:
    rnd = random.Random(seed)
    m = meta("streaks", employees)
    rows = []
    for emp in m.scope.employees:
        for metric in ("calls", "revenue"):
            best = rnd.randint(0, 25)
            current = rnd.randint(0, best)
            start = NOW.date() - timedelta(days=current) if current else None
            rows.append(StreakRow(emp.id, emp.name, metric, current, best, best, 0, False, start))
    rows.sort(key=lambda r: (-r.current, -r.best, r.employee))
    total = StreakRow(
        None,
        "Итого",
        "",
        max((r.current for r in rows), default=0),
        max((r.best for r in rows), default=0),
        0,
        0,
        False,
        None,
    )
    return StreaksReport(m, tuple(rows), total, NOW.date() - timedelta(days=1))


def channels(sources: int = 6, seed: int = 13) -> ChannelsReport:
    rnd = random.Random(seed)
    names = ("Звонок", "Веб-сайт", "Реклама Яндекс", "Рекомендация", "Выставка", "Email-рассылка")
    rows = []
    for n in range(sources):
        leads, won = rnd.randint(5, 120), rnd.randint(0, 20)
        revenue = _money(rnd, 0, 90000) * won
        cost = _money(rnd, 500, 3000) if n % 3 != 2 else None
        rows.append(
            ChannelRow(
                f"SRC{n}",
                names[n % len(names)] + ("" if n < len(names) else f" {n}"),
                leads,
                won,
                revenue,
                cost,
                None if cost is None else (cost / leads).quantize(Decimal("0.01")),
                None if cost is None or not won else (cost / won).quantize(Decimal("0.01")),
                None if cost is None else (revenue / cost).quantize(Decimal("0.01")),
            )
        )
    rows.sort(key=lambda r: -r.leads)
    costs = [r.cost for r in rows if r.cost is not None]
    total = ChannelRow(
        None,
        "Итого",
        sum(r.leads for r in rows),
        sum(r.deals_won for r in rows),
        sum((r.revenue for r in rows), Decimal(0)),
        sum(costs, Decimal(0)) if costs else None,
        None,
        None,
        None,
    )
    return ChannelsReport(meta("channels", 0), tuple(rows), total, total)


def abc(seed: int = 11) -> AbcReport:
    rnd = random.Random(seed)
    weight = {"A": 12, "B": 3, "C": 1}  # A holds most of the revenue, as ABC means
    cells = tuple(
        MatrixCell(a, x, rnd.randint(0, 40), _money(rnd, 0, 90000) * weight[a])
        for a in ABC
        for x in XYZ
    )
    titles = (
        "ООО «Ромашка»",
        "АО Северсталь-Логистика Поволжье",
        "ИП Кузнецов А. В.",
        "ООО Техностиль",
        "ЗАО Гранит",
        "ООО Вектор",
        "ООО Альфа-Трейд",
        "ПАО Звезда",
        "ООО Меридиан",
        "ООО Лотос",
        "ООО Бета",
        "ООО Гамма",
    )
    rows = tuple(
        AbcRow(
            i + 1,
            i + 1,
            title,
            100,
            Decimal(9_000_000 // (i + 1)),
            0.1,
            0.1,
            "A" if i < 5 else "B",
            XYZ[i % 3],
            0.05,
        )
        for i, title in enumerate(titles)
    )
    companies = sum(c.companies for c in cells)
    revenue = sum((c.revenue for c in cells), ZERO)
    counts = {k: sum(c.companies for c in cells if k in (c.abc, c.xyz)) for k in ABC + XYZ}
    total = AbcTotal(companies, revenue, counts)
    m = meta("abc")
    first = (NOW - timedelta(days=365)).date()
    return AbcReport(m, first, NOW.date(), 12, rows, total, total, cells)


def sample(name: str) -> object:
    """A plausible report of `name` for the month of NOW."""
    reports = {
        "rating": rating,
        "coverage": coverage,
        "kpi": kpi,
        "calls": calls,
        "missed": missed,
        "plan": plan,
        "funnel": funnel,
        "conversion": conversion,
        "lost": lost,
        "abc": abc,
        "tasks": tasks,
        "streaks": streaks,
        "channels": channels,
    }
    return reports[name]()


def empty(name: str) -> object:
    """A report of `name` with nothing in it: no people, no calls, no money."""
    reports: dict[str, object] = {
        "rating": rating(0),
        "coverage": coverage(0),
        "kpi": _empty_kpi(),
        "calls": _empty_calls(),
        "missed": missed(0),
        "plan": _empty_plan(),
        "funnel": _empty_funnel(),
        "conversion": conversion(0),
        "lost": lost(0),
        "abc": _empty_abc(),
        "tasks": tasks(0),
        "streaks": streaks(0),
        "channels": channels(0),
    }
    return reports[name]


def _empty_kpi() -> KpiReport:
    row = KpiRow(None, "Итого", {name: Metric(None, Decimal(0), None, None) for name in METRICS})
    return KpiReport(meta("kpi", 0), (), row, row)


def _empty_calls() -> CallsReport:
    row = CallsRow(None, "Итого", 0, 0, 0, 0, 0, 0, 0, 0, 0, None)
    report = calls()
    days = tuple(DayCalls(d.day, 0, 0) for d in report.by_day)
    return CallsReport(meta("calls", 0), (), row, row, (0,) * 24, days)


def _empty_plan() -> PlanReport:
    report = plan()
    row = PlanRow(None, "Итого", ZERO, None, 0, ZERO, ZERO)
    days = tuple(DayRevenue(d.day, ZERO, ZERO) for d in report.daily)
    return PlanReport(meta("plan", 0), (), row, row, days, report.as_of_day)


def _empty_funnel() -> FunnelReport:
    total = FunnelTotal(0, ZERO, 0, ZERO)
    return FunnelReport(meta("funnel", 0), (), total, total)


def _empty_abc() -> AbcReport:
    total = AbcTotal(0, ZERO, dict.fromkeys(ABC + XYZ, 0))
    report = abc()
    cells = tuple(MatrixCell(c.abc, c.xyz, 0, ZERO) for c in report.matrix)
    return AbcReport(
        meta("abc", 0), report.first_day, report.last_day, 12, (), total, total, cells
    )
