"""Errors raised by the Bitrix24 REST client, and how a portal reply maps onto them.

Every failure that leaves ``crm.client`` is one of these::

    BitrixError                 anything from the portal client
    +-- TransportError          no usable HTTP reply: network error, timeout, redirect loop
    |                           (retried unless ``retryable`` is false)
    +-- ApiError                the portal answered with an error: ``code``, ``description``,
        |                       ``status`` (HTTP status; None inside a batch), ``method``
        +-- RateLimited         QUERY_LIMIT_EXCEEDED: the request-rate bucket is full (retried)
        +-- OperationTimeLimit  OPERATION_TIME_LIMIT: the method's 10-minute execution budget
        |                       is used up; ``reset_at`` says when it frees (retried after it)
        +-- ServerError         5xx, INTERNAL_SERVER_ERROR, or a reply that is not JSON (retried)
        +-- AuthError           NO_AUTH_FOUND, expired_token, invalid_token, INVALID_CREDENTIALS,
        |                       any other 401: the webhook code is wrong, expired or revoked
        +-- ScopeError          insufficient_scope: ``scope`` names what the webhook lacks
        +-- AccessDenied        ACCESS_DENIED and other 403s: the webhook's user lacks rights,
        |                       the plan has no REST, or the portal blocked the client
        +-- MethodNotFound      ERROR_METHOD_NOT_FOUND: unknown method or malformed webhook URL
        +-- BadRequest          everything else: invalid parameters, other 4xx
        +-- BatchError          sub-commands of ``call_many`` failed for good; ``errors`` maps
                                each position in its parameter list to the ApiError

Only the retried kinds are transient; the client never retries the others.

Messages name the method, the portal's code and its description, and never the webhook URL:
the URL holds the webhook's secret code. The client scrubs that secret out of anything the
portal or the network layer says before it reaches a message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "AccessDenied",
    "ApiError",
    "AuthError",
    "BadRequest",
    "BatchError",
    "BitrixError",
    "MethodNotFound",
    "OperationTimeLimit",
    "RateLimited",
    "ScopeError",
    "ServerError",
    "TransportError",
    "error_from_reply",
    "is_retryable",
    "scope_for_method",
]

# Method-name prefix -> the webhook scope code that grants it (api-reference/scopes).
_SCOPES = (
    ("imbot.", "imbot"),
    ("im.", "im"),
    ("crm.", "crm"),
    ("voximplant.", "telephony"),
    ("telephony.", "telephony"),
    ("user.", "user"),
    ("department.", "department"),
    ("tasks.", "task"),
    ("task.", "task"),
    ("disk.", "disk"),
)


def scope_for_method(method: str) -> str | None:
    """The webhook scope a method needs, or None when the prefix is not one we know."""
    name = method.lower()
    for prefix, scope in _SCOPES:
        if name.startswith(prefix):
            return scope
    return None


class BitrixError(Exception):
    """Base of every error raised by the Bitrix24 client."""


class TransportError(BitrixError):
    """No usable HTTP reply came back (connection, timeout, protocol, redirect loop)."""

    def __init__(self, message: str, *, method: str = "", retryable: bool = True) -> None:
        super().__init__(message)
        self.method = method
        self.retryable = retryable


class ApiError(BitrixError):
    """The portal answered with an error code."""

    hint = ""

    def __init__(
        self, code: str, description: str, status: int | None = None, *, method: str = ""
    ) -> None:
        self.code = code
        self.description = description
        self.status = status
        self.method = method
        super().__init__(self._message())

    def _message(self) -> str:
        where = self.method or "Bitrix24"
        http = f" (HTTP {self.status})" if self.status is not None else ""
        what = self.code or "error"
        text = f"{where}: {what}{http}"
        if self.description:
            text += f": {self.description}"
        return f"{text}. {self.hint}" if self.hint else text


class RateLimited(ApiError):
    """QUERY_LIMIT_EXCEEDED: too many requests from this IP to this portal."""


class OperationTimeLimit(ApiError):
    """OPERATION_TIME_LIMIT: the method used its execution-time budget; wait for ``reset_at``."""

    def __init__(
        self,
        code: str,
        description: str,
        status: int | None = None,
        *,
        method: str = "",
        reset_at: float | None = None,
    ) -> None:
        self.reset_at = reset_at
        super().__init__(code, description, status, method=method)

    def _message(self) -> str:
        text = super()._message()
        if self.reset_at is None:
            return text
        when = datetime.fromtimestamp(self.reset_at, tz=UTC).isoformat(timespec="seconds")
        return f"{text} (blocked until {when})"


class ServerError(ApiError):
    """A server fault (5xx) or a reply that could not be read; transient."""


class AuthError(ApiError):
    """The portal did not accept the webhook's credentials."""

    hint = "Check portal.webhook_url: the webhook may be deleted, expired or regenerated"


class ScopeError(ApiError):
    """insufficient_scope: the webhook was created without the scope this method needs."""

    def __init__(
        self, code: str, description: str, status: int | None = None, *, method: str = ""
    ) -> None:
        self.scope = scope_for_method(method)
        super().__init__(code, description, status, method=method)

    def _message(self) -> str:
        needed = f"the '{self.scope}' scope" if self.scope else "the scope of this method"
        return (
            f"{super()._message()}. The webhook lacks {needed}: "
            f"tick it in the inbound webhook's settings on the portal"
        )


class AccessDenied(ApiError):
    """The webhook's user may not do this, or the portal refuses REST for this client."""


class MethodNotFound(ApiError):
    """ERROR_METHOD_NOT_FOUND: the method does not exist, or the webhook URL is malformed."""

    hint = "Check the method name and that portal.webhook_url has the form .../rest/USER/CODE/"


class BadRequest(ApiError):
    """The portal rejected the request as invalid; retrying will not help."""


class BatchError(ApiError):
    """Sub-commands of a batch failed; ``errors`` maps each failed command to its error."""

    def __init__(self, errors: Mapping[str, ApiError], *, method: str = "batch") -> None:
        if not errors:
            msg = "BatchError needs at least one failed sub-command"
            raise ValueError(msg)
        self.errors = dict(errors)
        self.first_key, self.first = next(iter(self.errors.items()))
        super().__init__(self.first.code, self.first.description, None, method=method)

    def _message(self) -> str:
        count = len(self.errors)
        return f"{self.method}: {count} sub-command(s) failed; {self.first_key}: {self.first}"


def is_retryable(exc: BaseException) -> bool:
    """Whether a failed request may succeed if sent again later, unchanged."""
    if isinstance(exc, TransportError):
        return exc.retryable
    return isinstance(exc, RateLimited | OperationTimeLimit | ServerError)


_BY_CODE: dict[str, type[ApiError]] = {
    "QUERY_LIMIT_EXCEEDED": RateLimited,
    "OPERATION_TIME_LIMIT": OperationTimeLimit,
    "INTERNAL_SERVER_ERROR": ServerError,
    "ERROR_UNEXPECTED_ANSWER": ServerError,
    "NO_AUTH_FOUND": AuthError,
    "EXPIRED_TOKEN": AuthError,
    "INVALID_TOKEN": AuthError,
    "INVALID_CREDENTIALS": AuthError,
    "INVALID_GRANT": AuthError,
    "INVALID_CLIENT": AuthError,
    "INSUFFICIENT_SCOPE": ScopeError,
    "INVALID_SCOPE": ScopeError,
    "ACCESS_DENIED": AccessDenied,
    "USER_ACCESS_ERROR": AccessDenied,
    "WRONG_AUTH_TYPE": AccessDenied,
    "PAYMENT_REQUIRED": AccessDenied,
    # A manual block by support or a closed portal: waiting a few seconds changes nothing.
    "OVERLOAD_LIMIT": AccessDenied,
    "PORTAL_DELETED": AccessDenied,
    "ERROR_METHOD_NOT_FOUND": MethodNotFound,
    "ERROR_NOT_FOUND": BadRequest,
    "NOT_FOUND": BadRequest,
}


def _by_status(status: int | None) -> type[ApiError]:
    if status is None or status < 400:
        return BadRequest
    if status >= 500:
        return ServerError
    return {401: AuthError, 403: AccessDenied, 404: MethodNotFound, 429: RateLimited}.get(
        status, BadRequest
    )


def _code_and_description(body: Mapping[str, Any]) -> tuple[str, str]:
    error: Any = body.get("error")
    description: Any = body.get("error_description")
    if isinstance(error, Mapping):  # REST 3.0 puts an object here
        description = error.get("message", description)
        error = error.get("code")
    # Per-method errors often carry "", 0 or "0" as the code, and the text in the description.
    code = "" if error in (None, "", 0, "0", False) else str(error)
    return code, "" if description is None else str(description)


def error_from_reply(
    status: int | None,
    body: object,
    method: str,
    *,
    reset_at: float | None = None,
    scrub: Callable[[str], str] = str,
) -> ApiError:
    """Map one error reply (a whole HTTP reply, or one batch ``result_error`` member) to an error.

    The code decides first, because the portal uses the same status for unrelated things and
    sometimes answers 429 where it means 503; the status decides when the code is empty or new.
    """
    if isinstance(body, Mapping):
        code, description = _code_and_description(body)
        cls = _BY_CODE.get(code.upper()) or _by_status(status)
    else:
        # An HTML page from a proxy or a cut-off body: a fault on the way, unless a 4xx says more.
        code, description = "", "the portal's reply is not a JSON object"
        client_fault = status is not None and 400 <= status < 500
        cls = _by_status(status) if client_fault else ServerError
    code, description = scrub(code), scrub(description)
    if cls is OperationTimeLimit:
        return OperationTimeLimit(code, description, status, method=method, reset_at=reset_at)
    return cls(code, description, status, method=method)
