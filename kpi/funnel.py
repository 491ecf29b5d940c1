"""The deal funnel: the scope's deals by their current stage, per pipeline.

Which deals: every deal of an employee in scope that is open now (whatever its close
date: an open deal sits in the funnel until it is won or lost), plus the deals won or lost
whose close day is in the period, so the final stages show the period's outcome instead
of all history. Rows follow the stage dictionary's order within each pipeline (every
stage listed, zeros included); a stage missing from the dictionary comes after them under
its code. With no pipeline given, every pipeline that has a deal in the funnel is shown,
pipelines in their own order; a pipeline asked for by id is shown even when empty.
``semantics`` is the dictionary's word: process, success, failure or apology.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlmodel import Session, col

from kpi.common import ReportMeta, data_as_of
from kpi.deals import ZERO, close_day_in, deal_lost, deal_open, deal_won, meta_json, money_json
from kpi.periods import Period, previous
from kpi.scope import Scope
from kpi.settings import KpiSettings
from store.models import Deal, DictionaryEntry, Pipeline

_SEMANTICS_WORDS = {"P": "process", "S": "success", "F": "failure"}


@dataclass(frozen=True)
class FunnelRow:
    pipeline_id: int
    stage_id: str
    stage: str
    semantics: str
    deals: int
    amount: Decimal


@dataclass(frozen=True)
class PipelineFunnel:
    pipeline_id: int
    pipeline: str
    rows: tuple[FunnelRow, ...]
    deals: int
    amount: Decimal


@dataclass(frozen=True)
class FunnelTotal:
    deals: int
    amount: Decimal
    open_deals: int
    open_amount: Decimal


@dataclass(frozen=True)
class FunnelReport:
    meta: ReportMeta
    pipelines: tuple[PipelineFunnel, ...]
    total: FunnelTotal
    previous_total: FunnelTotal

    @property
    def rows(self) -> tuple[FunnelRow, ...]:
        return tuple(row for pipeline in self.pipelines for row in pipeline.rows)


Counts = dict[tuple[int, str], tuple[int, Decimal, str]]


def _grouped(
    session: Session,
    user_ids: tuple[int, ...],
    pipeline_id: int | None,
    condition: ColumnElement[bool],
) -> Counts:
    """(pipeline, stage) -> (deals, amount, semantics letter) over the deals that match."""
    if not user_ids:
        return {}
    query = select(
        col(Deal.pipeline_id),
        col(Deal.stage_id),
        func.count(),
        func.sum(col(Deal.amount)),
        func.max(col(Deal.stage_semantics)),
    ).where(col(Deal.responsible_id).in_(user_ids), condition)
    if pipeline_id is not None:
        query = query.where(col(Deal.pipeline_id) == pipeline_id)
    query = query.group_by(col(Deal.pipeline_id), col(Deal.stage_id))
    return {
        (pipe, stage): (int(count), amount or ZERO, letter or "P")
        for pipe, stage, count, amount, letter in session.execute(query)
    }


def _closed(
    session: Session, user_ids: tuple[int, ...], period: Period, pipeline_id: int | None
) -> Counts:
    # the close-day range goes first: it is what an index can serve
    return _grouped(
        session, user_ids, pipeline_id, and_(close_day_in(period), or_(deal_won(), deal_lost()))
    )


def _total(open_counts: Counts, closed: Counts) -> tuple[FunnelTotal, Counts]:
    counts = dict(closed)
    for key, (deals, amount, letter) in open_counts.items():
        # a stage is open or final, but a portal's data may still mix the two in one stage
        before = counts.get(key, (0, ZERO, letter))
        counts[key] = (before[0] + deals, before[1] + amount, max(before[2], letter))
    total = FunnelTotal(
        deals=sum(c[0] for c in counts.values()),
        amount=sum((c[1] for c in counts.values()), ZERO),
        open_deals=sum(c[0] for c in open_counts.values()),
        open_amount=sum((c[1] for c in open_counts.values()), ZERO),
    )
    return total, counts


def funnel_report(
    session: Session,
    scope: Scope,
    period: Period,
    settings: KpiSettings,
    *,
    now: datetime,
    pipeline_id: int | None = None,
) -> FunnelReport:
    before = previous(period, now=now)
    ids = scope.employee_ids
    # Open deals are the same for both periods: read them once (the costly part).
    open_counts = _grouped(session, ids, pipeline_id, deal_open())
    total, counts = _total(open_counts, _closed(session, ids, period, pipeline_id))
    previous_total, _ = _total(open_counts, _closed(session, ids, before, pipeline_id))
    stages_query = select(
        col(DictionaryEntry.pipeline_id),
        col(DictionaryEntry.code),
        col(DictionaryEntry.name),
        col(DictionaryEntry.semantics),
    ).where(col(DictionaryEntry.kind) == "deal_stage")
    if pipeline_id is not None:
        stages_query = stages_query.where(col(DictionaryEntry.pipeline_id) == pipeline_id)
    stages_query = stages_query.order_by(
        col(DictionaryEntry.pipeline_id), col(DictionaryEntry.sort), col(DictionaryEntry.code)
    )
    stages: dict[int, list[tuple[str, str, str]]] = {}
    for pipe, code, name, semantics in session.execute(stages_query):
        stages.setdefault(pipe, []).append((code, name, semantics))
    shown = {pipe for pipe, _ in counts}
    if pipeline_id is not None:
        shown.add(pipeline_id)
    pipelines = tuple(
        _pipeline(pipe, name, stages.get(pipe, []), counts)
        for pipe, name in _pipeline_names(session, shown)
    )
    return FunnelReport(
        meta=ReportMeta("funnel", scope, period, before, data_as_of(session)),
        pipelines=pipelines,
        total=total,
        previous_total=previous_total,
    )


def _pipeline_names(session: Session, ids: set[int]) -> list[tuple[int, str]]:
    """The pipelines in their portal order (sort, then id); unknown ones last by id."""
    known = {
        pid: (sort, name)
        for pid, name, sort in session.execute(
            select(col(Pipeline.id), col(Pipeline.name), col(Pipeline.sort)).where(
                col(Pipeline.id).in_(ids)
            )
        )
    }
    unknown_sort = 1 + max((sort for sort, _ in known.values()), default=0)
    ordered = sorted(ids, key=lambda pid: (known.get(pid, (unknown_sort, ""))[0], pid))
    return [(pid, known[pid][1] if pid in known else f"#{pid}") for pid in ordered]


def _pipeline(
    pipeline_id: int,
    name: str,
    stages: list[tuple[str, str, str]],
    counts: Counts,
) -> PipelineFunnel:
    rows = []
    listed = set()
    for code, stage_name, semantics in stages:
        listed.add(code)
        deals, amount, _ = counts.get((pipeline_id, code), (0, ZERO, "P"))
        rows.append(FunnelRow(pipeline_id, code, stage_name, semantics, deals, amount))
    extra = sorted(code for pipe, code in counts if pipe == pipeline_id and code not in listed)
    for code in extra:
        deals, amount, letter = counts[(pipeline_id, code)]
        word = _SEMANTICS_WORDS.get(letter, "process")
        rows.append(FunnelRow(pipeline_id, code, code, word, deals, amount))
    return PipelineFunnel(
        pipeline_id=pipeline_id,
        pipeline=name,
        rows=tuple(rows),
        deals=sum(row.deals for row in rows),
        amount=sum((row.amount for row in rows), ZERO),
    )


def _total_json(total: FunnelTotal) -> dict[str, Any]:
    return {
        "deals": total.deals,
        "amount": money_json(total.amount),
        "open_deals": total.open_deals,
        "open_amount": money_json(total.open_amount),
    }


def to_json(report: FunnelReport) -> dict[str, Any]:
    names = {p.pipeline_id: p.pipeline for p in report.pipelines}
    return {
        **meta_json(report.meta),
        "rows": [
            {
                "pipeline_id": row.pipeline_id,
                "pipeline": names[row.pipeline_id],
                "stage_id": row.stage_id,
                "stage": row.stage,
                "semantics": row.semantics,
                "deals": row.deals,
                "amount": money_json(row.amount),
            }
            for row in report.rows
        ],
        "total": _total_json(report.total),
        "previous_total": _total_json(report.previous_total),
    }
