"""The middle of `crm-pulse init`: the sales team, its people and plans, from the store."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.config import Config
from app.settings import kpi_settings
from app.setup_config import Draft, Person
from app.setup_discover import DeptNode, heads, propose_sales, suggest_plans, tree, user_names
from app.setup_portal import PortalProbe
from app.setup_prompt import Prompt
from kpi.settings import METRICS


def show_tree(ask: Prompt, nodes: list[DeptNode], proposed: list[int]) -> None:
    ask.say("Departments (head, active employees with sub-departments); * proposed as sales:")
    for node in nodes:
        mark = "*" if node.id in proposed else " "
        head = f"head {node.head_name}" if node.head_name else "no head"
        ask.say(
            f" {mark} {'  ' * node.depth}{node.name} [id {node.id}] - {head}, {node.employees}"
        )


def _ids(text: str, known: set[int]) -> list[int] | None:
    parts = [p for p in text.replace(",", " ").split() if p]
    if not all(p.isdecimal() and int(p) in known for p in parts):
        return None
    return sorted({int(p) for p in parts})


def choose_departments(ask: Prompt, nodes: list[DeptNode], proposed: list[int]) -> list[int]:
    known = {n.id for n in nodes}
    default = ", ".join(str(d) for d in proposed)
    while True:
        answer = ask.text("Sales departments (ids; empty: every department)", default)
        chosen = _ids(answer, known)
        if chosen is not None:
            return chosen
        ask.say(f"Not department ids of this portal: {answer!r}. Ids are in [id N] above.")


def choose(
    ask: Prompt, session: Session, config: Config, *, url: str, found: PortalProbe, now: datetime
) -> Draft:
    nodes = tree(session)
    proposed = propose_sales(session, now)
    show_tree(ask, nodes, proposed)
    sales = choose_departments(ask, nodes, proposed)
    names = {n.id: n.name for n in nodes}
    people_names = user_names(session)
    people = []
    if found.user_id is not None:
        people.append(Person(found.user_id, "admin", people_names.get(found.user_id, "")))
    roots = sales or [n.id for n in nodes if n.parent_id is None]
    people += [
        Person(uid, "head", people_names.get(uid, f"#{uid}"))
        for uid in heads(session, roots)
        if uid != found.user_id
    ]
    ask.say("People: " + "; ".join(f"{p.name} ({p.role})" for p in people))
    settings = kpi_settings(
        config.model_copy(
            update={"scope": config.scope.model_copy(update={"sales_departments": sales})}
        )
    )
    plans = suggest_plans(session, settings, sales, now) if sales else {}
    for dept, metrics in plans.items():
        shown = ", ".join(f"{m} {metrics[m]:,}" for m in METRICS if m in metrics)
        ask.say(f"Plan per employee a month, {names.get(dept, dept)}: {shown or 'no activity'}")
    if plans and not ask.yes("Write these plans?"):
        plans = {}
    return Draft(
        webhook_url=url,
        timezone=config.portal.timezone,
        storage_url=config.storage.url,
        sales_departments=sales,
        department_names=names,
        people=people,
        plans=plans,
    )
