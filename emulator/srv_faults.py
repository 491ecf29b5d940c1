"""Faults injected on purpose, so that retry paths can be tested against the emulator.

A ``FaultPlan`` holds "the next N calls of method M fail like this". Kinds:

- ``rate_limit``: HTTP 503 QUERY_LIMIT_EXCEEDED, as if the leaky bucket were full;
- ``server_error``: HTTP 500 INTERNAL_SERVER_ERROR;
- ``drop``: the connection is closed without a reply;
- ``operation_limit``: HTTP 429 OPERATION_TIME_LIMIT, freeing ``reset_after`` seconds later.

A fault on ``"*"`` hits the next request whatever its method. A fault on a method also hits that
method inside a ``batch``: ``rate_limit`` and ``drop`` then fail the whole request (they are
transport-level), ``server_error`` and ``operation_limit`` only that command's entry.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

ANY_METHOD = "*"


class FaultKind(StrEnum):
    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    DROP = "drop"
    OPERATION_LIMIT = "operation_limit"


REQUEST_LEVEL = frozenset({FaultKind.RATE_LIMIT, FaultKind.DROP})
COMMAND_LEVEL = frozenset({FaultKind.SERVER_ERROR, FaultKind.OPERATION_LIMIT})


@dataclass
class Fault:
    kind: FaultKind
    method: str  # lower-case method name, or "*"
    remaining: int


class FaultPlan:
    """Pending faults, consumed in the order they were added; safe to change from any thread."""

    def __init__(self, *, reset_after: float = 1.0) -> None:
        self.reset_after = reset_after
        self.injected: Counter[str] = Counter()  # kind -> times it fired
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: FaultKind | str, method: str = ANY_METHOD, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` fail with ``kind``."""
        if times < 1:
            msg = "a fault must fire at least once"
            raise ValueError(msg)
        with self._lock:
            self._faults.append(Fault(FaultKind(kind), method.lower(), times))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return sum(fault.remaining for fault in self._faults)

    def take(
        self, method: str, kinds: Collection[FaultKind] | None = None, *, any_method: bool = True
    ) -> FaultKind | None:
        """Consume the first fault that matches this call, if any."""
        name = method.lower()
        with self._lock:
            for fault in self._faults:
                if kinds is not None and fault.kind not in kinds:
                    continue
                if fault.method != name and not (any_method and fault.method == ANY_METHOD):
                    continue
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                self.injected[fault.kind.value] += 1
                return fault.kind
        return None
