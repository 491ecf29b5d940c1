"""The list methods we read, each with its own dialect, and the keyset chain over them.

Bitrix24 list methods all return 50 rows a page but spell their parameters differently
(``filter`` vs ``FILTER``, ``order: {ID: ASC}`` vs ``SORT``/``ORDER`` strings), wrap rows
differently (a plain list, ``result.tasks``, ``result.categories``) and name the id ``ID`` or
``id``. A ``ListSpec`` records one method's dialect; ``BitrixClient.iter_pages`` reads it.

Keyset paging (``order ID ASC``, ``filter >ID last``, ``start=-1``: no COUNT(*)) is chained inside
one ``batch``: command k filters on ``$result[c(k-1)][49][ID]``, the last row of the page before.
When a page is short the listing is over; the commands after it referenced a row that does not
exist, and the portal then substitutes whatever it found on the way (a list, or nothing), so
their results are garbage and are ignored (``read_chain``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from crm.errors import ApiError, BitrixError, ServerError
from crm.query import MAX_BATCH, BatchResult, Ref, cmd_key

__all__ = [
    "ACTIVITIES",
    "CALLS",
    "COMPANIES",
    "CONTACTS",
    "DEALS",
    "DEAL_CATEGORIES",
    "DEPARTMENTS",
    "LEADS",
    "PAGE_SIZE",
    "STATUSES",
    "TASKS",
    "USERS",
    "ChainStep",
    "ListSpec",
    "read_chain",
]

PAGE_SIZE = 50  # fixed by the portal for every list method

logger = logging.getLogger(__name__)

_CRM_ORDER = MappingProxyType({"order": MappingProxyType({"ID": "ASC"})})


@dataclass(frozen=True)
class ListSpec:
    """How one list method is called and how its reply is read."""

    method: str
    # Where filter keys go: "filter", "FILTER", or None for top-level params (department.get).
    filter_param: str | None = "filter"
    # The parameters that sort by id ascending, in this method's spelling.
    order: Mapping[str, Any] = field(default_factory=lambda: _CRM_ORDER, hash=False)
    # Keys from ``result`` down to the row list: () for a plain list, ("tasks",) ...
    rows_path: tuple[str, ...] = ()
    id_key: str = "ID"  # the id in a returned row
    id_filter: str = ">ID"  # the filter key for "id greater than"
    keyset: bool = True  # False: plain ``start`` offsets following ``next``, a request a page
    select_param: str | None = "select"  # None: the method takes no field list
    start_param: str = "start"
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    # False: a count (``start=0``) scans the whole table whatever the filter, so listings
    # never ask for one (voximplant.statistic.get is read in windows of time, not of ids).
    countable: bool = True

    def id_of(self, row: object) -> int:
        """A row's id as an int (legacy methods send ids as strings)."""
        value = row.get(self.id_key) if isinstance(row, Mapping) else None
        if isinstance(value, int | str) and not isinstance(value, bool):
            try:
                return int(value)
            except ValueError:
                pass
        msg = f"{self.method}: a row without a readable {self.id_key!r}"
        raise BitrixError(msg)

    def rows(self, result: object) -> list[dict[str, Any]]:
        """The rows of one page's ``result``."""
        node = result
        for key in self.rows_path:
            # An empty wrapper may come as [] (a PHP empty array) instead of {key: []}.
            node = node.get(key) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping):  # rows keyed by id
            node = list(node.values())
        if node is None:
            return []
        if not isinstance(node, list):
            msg = f"{self.method}: the reply holds no row list"
            raise BitrixError(msg)
        return [row for row in node if isinstance(row, dict)]

    def _base(
        self, filter: Mapping[str, Any] | None, select: Sequence[str] | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        params: dict[str, Any] = {**self.params, **_plain(self.order)}
        if select:
            if self.select_param is None:
                msg = f"{self.method} takes no field list (select)"
                raise ValueError(msg)
            params[self.select_param] = list(select)
        return params, dict(filter or {})

    def _place_filter(self, params: dict[str, Any], flt: dict[str, Any]) -> dict[str, Any]:
        if self.filter_param is None:
            params.update(flt)
        elif flt:
            params[self.filter_param] = flt
        return params

    def keyset_commands(
        self,
        *,
        filter: Mapping[str, Any] | None,
        select: Sequence[str] | None,
        after_id: int,
        pages: int,
        prefix: str = "",
    ) -> dict[str, tuple[str, dict[str, Any]]]:
        """``pages`` chained commands reading rows with id > ``after_id``."""
        if not 1 <= pages <= MAX_BATCH:
            msg = f"pages per request must be 1..{MAX_BATCH}, not {pages}"
            raise ValueError(msg)
        commands: dict[str, tuple[str, dict[str, Any]]] = {}
        previous: str | None = None
        for index in range(1, pages + 1):
            params, flt = self._base(filter, select)
            bound: int | Ref = after_id
            if previous is not None:
                bound = Ref(previous, (*self.rows_path, PAGE_SIZE - 1, self.id_key))
            flt[self.id_filter] = bound
            params[self.start_param] = -1
            key = cmd_key(index, prefix)
            commands[key] = (self.method, self._place_filter(params, flt))
            previous = key
        return commands

    def page_params(
        self, *, filter: Mapping[str, Any] | None, select: Sequence[str] | None, start: int
    ) -> dict[str, Any]:
        """Parameters of one offset page (methods without keyset support)."""
        params, flt = self._base(filter, select)
        params[self.start_param] = start
        return self._place_filter(params, flt)


@dataclass(frozen=True)
class ChainStep:
    """What one chained batch brought: new rows, the cursor after them, and how it ended."""

    rows: list[dict[str, Any]]
    cursor: int
    finished: bool
    # The failure that cut the chain before the listing ended (retry from ``cursor``).
    error: ApiError | None = None


def read_chain(spec: ListSpec, keys: Sequence[str], result: BatchResult, cursor: int) -> ChainStep:
    """Walk the chained pages in order, stopping at the first short page.

    Rows at or below the cursor are dropped, so a page the portal served without honouring the
    id filter adds no duplicates; a page whose last id does not move the cursor ends the listing
    (the method ignores ``>ID``, and paging on would loop).
    """
    rows: list[dict[str, Any]] = []
    for key in keys:
        if key in result.errors:
            return ChainStep(rows, cursor, finished=False, error=result.errors[key])
        if key not in result.results:
            msg = f"the batch reply lacks {key} and says nothing about it"
            error = ServerError("", msg, method=spec.method)
            return ChainStep(rows, cursor, finished=False, error=error)
        page = spec.rows(result.results[key])
        if not page:
            return ChainStep(rows, cursor, finished=True)
        ids = [spec.id_of(row) for row in page]
        if any(b <= a for a, b in zip(ids, ids[1:], strict=False)):
            # With unsorted pages the [49] reference skips rows: refuse rather than lose them.
            msg = f"{spec.method}: rows are not in ascending id order; the sort was ignored"
            raise BitrixError(msg)
        if ids[-1] <= cursor:
            logger.warning(
                "%s ignored the %s filter (last id %d again); stopping",
                spec.method,
                spec.id_filter,
                ids[-1],
            )
            return ChainStep(rows, cursor, finished=True)
        rows.extend(row for row, row_id in zip(page, ids, strict=True) if row_id > cursor)
        cursor = ids[-1]
        if len(page) < PAGE_SIZE:
            return ChainStep(rows, cursor, finished=True)
    return ChainStep(rows, cursor, finished=False)


def _plain(value: Any) -> Any:
    # Presets hold read-only mappings; requests get fresh dicts they may extend.
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


USERS = ListSpec(
    "user.get",
    filter_param="FILTER",
    order=MappingProxyType({"sort": "ID", "order": "ASC"}),
    select_param=None,
)
DEPARTMENTS = ListSpec(
    "department.get",
    filter_param=None,
    order=MappingProxyType({"sort": "ID", "order": "ASC"}),
    keyset=False,
    select_param=None,
    start_param="START",
)
COMPANIES = ListSpec("crm.company.list")
CONTACTS = ListSpec("crm.contact.list")
ACTIVITIES = ListSpec("crm.activity.list")
DEALS = ListSpec("crm.deal.list")
LEADS = ListSpec("crm.lead.list")
CALLS = ListSpec(
    "voximplant.statistic.get",
    filter_param="FILTER",
    # Exactly "ASC": the method silently ignores anything else and returns rows unsorted.
    order=MappingProxyType({"SORT": "ID", "ORDER": "ASC"}),
    select_param=None,
    countable=False,
)
STATUSES = ListSpec("crm.status.list", keyset=False, select_param=None)
DEAL_CATEGORIES = ListSpec(
    "crm.category.list",
    # Pipelines come in their display order (the default one, id 0, last); the client sorts.
    order=MappingProxyType({}),
    rows_path=("categories",),
    id_key="id",
    id_filter=">id",
    keyset=False,
    select_param=None,
    params=MappingProxyType({"entityTypeId": 2}),
)
TASKS = ListSpec(
    "tasks.task.list",
    rows_path=("tasks",),
    id_key="id",  # camelCase in the reply, upper-case ID in order and filter
)
