"""One method call, and ``batch``: lookup, scope, faults, the operating meter, the handler.

Both a plain request and each ``batch`` command go through ``Dispatcher.call``, so a sub-call
is counted, metered and refused exactly like the same method called alone. ``batch`` itself is
one request for the rate limit; its commands run in order, each seeing the replies before it
through ``$result[...]`` / ``$next[...]`` references (``phpquery.resolve_references``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from emulator.phpquery import json_array, parse_str, php_bool, resolve_references, split_call
from emulator.portal import WRITER, Portal
from emulator.srv_core import (
    WEBHOOK,
    ApiError,
    CallContext,
    Caller,
    MethodResult,
    MethodSpec,
    OperatingMeter,
    Settings,
    insufficient_scope,
    method_not_found,
    operation_time_limit,
    time_block,
)
from emulator.srv_faults import COMMAND_LEVEL, FaultKind, FaultPlan
from emulator.srv_methods import allowed

MAX_BATCH = 50

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """A finished call: its result or its error, and the ``time`` block it reports."""

    result: MethodResult | None
    error: ApiError | None
    time: dict[str, Any]


def canonical(method: str) -> str:
    """Method names are case-insensitive; a ``.json`` suffix is the default format."""
    name = method.strip().lower()
    for suffix in (".json", ".xml"):
        name = name.removesuffix(suffix)
    return name


def fault_error(kind: FaultKind) -> ApiError:
    if kind is FaultKind.OPERATION_LIMIT:
        return operation_time_limit()
    if kind is FaultKind.RATE_LIMIT:
        return ApiError(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
    return ApiError(500, "INTERNAL_SERVER_ERROR", "Internal server error")


class Dispatcher:
    def __init__(
        self,
        portal: Portal,
        settings: Settings,
        methods: dict[str, MethodSpec],
        faults: FaultPlan,
    ) -> None:
        self.portal = portal
        self.settings = settings
        self.methods = {**methods, "batch": MethodSpec(None, self._batch, batchable=False)}
        self.faults = faults
        self.meter = OperatingMeter(settings.operating_limit)

    def spec(self, method: str) -> MethodSpec | None:
        return self.methods.get(canonical(method))

    def call(
        self,
        method: str,
        params: dict[str, Any],
        *,
        in_batch: bool = False,
        fault: FaultKind | None = None,
        caller: Caller = WEBHOOK,
    ) -> Outcome:
        """Run one method; ``fault`` is a fault already taken for this request."""
        name = canonical(method)
        started = self.portal.now()
        clock = time.perf_counter()
        now = started.timestamp()
        self.portal.stats.per_method[name] += 1
        if in_batch and fault is None:
            fault = self.faults.take(name, COMMAND_LEVEL, any_method=False)
        reset_at: float | None = None
        result: MethodResult | None = None
        error: ApiError | None = None
        try:
            spec = self.methods.get(name)
            if spec is None:
                raise method_not_found()
            if not allowed(self.settings, spec.scope):
                raise insufficient_scope()
            if in_batch and not spec.batchable:
                raise ApiError(
                    405, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage"
                )
            if fault is not None:
                if fault is FaultKind.OPERATION_LIMIT:
                    reset_at = now + self.faults.reset_after
                raise fault_error(fault)
            if self.meter.blocked(name, now):
                raise operation_time_limit()
            result = self._run(spec, name, params, in_batch, caller)
        except ApiError as exc:
            error = exc
        cost = self.settings.operating_base
        if result is not None:
            cost += result.rows * self.settings.operating_per_row
            cost += result.counted * self.settings.operating_per_counted_row
        if error is None or error.code != "OPERATION_TIME_LIMIT":
            self.meter.add(name, now, cost)
        block = time_block(
            self.portal,
            started,
            time.perf_counter() - clock,
            operating=self.meter.used(name, now),
            reset_at=reset_at if reset_at is not None else self.meter.reset_at(name, now),
        )
        return Outcome(result, error, block)

    def _run(
        self, spec: MethodSpec, name: str, params: dict[str, Any], in_batch: bool, caller: Caller
    ) -> MethodResult:
        ctx = CallContext(self.portal, self.settings, name, in_batch, caller)
        # Changes made by an application carry its auth_connector to the portal's listeners.
        token = WRITER.set(caller.connector if caller.app else None)
        try:
            return spec.handler(ctx, params)
        except ApiError:
            raise
        except Exception:
            # A bug in the emulator must look like a portal fault, not kill the connection.
            log.exception("emulator: %s failed", name)
            raise ApiError(500, "INTERNAL_SERVER_ERROR", "Internal server error") from None
        finally:
            WRITER.reset(token)

    def _batch(self, ctx: CallContext, params: dict[str, Any]) -> MethodResult:
        return MethodResult(self.batch(params, ctx.caller))

    def batch(self, params: dict[str, Any], caller: Caller = WEBHOOK) -> dict[str, Any]:
        """The ``result`` of a ``batch`` request (its five members, empty ones as ``[]``)."""
        raw = params.get("cmd")
        if isinstance(raw, dict):
            commands = [(str(k), v) for k, v in raw.items()]
        elif isinstance(raw, list):
            commands = [(str(i), v) for i, v in enumerate(raw)]
        else:
            commands = []
        if len(commands) > MAX_BATCH:
            raise ApiError(400, "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded")
        halt = php_bool(params.get("halt", 0))
        members: dict[str, dict[str, Any]] = {
            "result": {},
            "error": {},
            "total": {},
            "next": {},
            "time": {},
        }
        for key, command in commands:
            if not isinstance(command, str):
                continue
            method, query = split_call(command)
            sub = resolve_references(parse_str(query), members)
            outcome = self.call(method, sub, in_batch=True, caller=caller)
            members["time"][key] = outcome.time
            if outcome.error is not None or outcome.result is None:
                members["error"][key] = outcome.error.body() if outcome.error else {}
                if halt:
                    break
                continue
            members["result"][key] = outcome.result.result
            if outcome.result.total is not None:
                members["total"][key] = outcome.result.total
            if outcome.result.next is not None:
                members["next"][key] = outcome.result.next
        return {f"result_{k}" if k != "result" else k: json_array(v) for k, v in members.items()}
