"""Typed errors: every expected failure is one of these, rendered as RFC 9457 problem+json.

The tree (status code in brackets)::

    TicketSafeError                 [500] base; never raised directly
    ├── BadRequest                  [400] malformed request outside payload validation
    ├── Unauthenticated             [401] missing or invalid credentials
    ├── Forbidden                   [403] authenticated but not allowed
    ├── NotFound                    [404] no such object (or not yours: never leak existence)
    ├── Conflict                    [409] state conflict (sold out, seat taken, duplicate)
    │   └── RequestInProgress       [409] same Idempotency-Key still being processed
    ├── Gone                        [410] existed once, not any more (hold expired)
    ├── BusinessRuleViolation       [422] valid payload, refused by a business rule
    ├── RateLimited                 [429] slow down; carries Retry-After
    └── ServiceBusy                 [503] transient overload or store unavailable; Retry-After

Payload validation (FastAPI's RequestValidationError) also answers 422, with code
`validation_failed` and the offending fields. Only a bug answers 500.
"""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_BASE_URI = "https://ticketsafe.dev/problems/"


class TicketSafeError(Exception):
    """Base of all typed failures. Subclasses set `status`, `code` and `title`."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.instance_code = code or self.code
        self.headers = headers or {}
        self.extra = extra

    def problem(self) -> dict[str, Any]:
        """The RFC 9457 body (without request id, which the handler adds)."""
        body: dict[str, Any] = {
            "type": PROBLEM_BASE_URI + self.instance_code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.instance_code,
        }
        body.update(self.extra)
        return body


class BadRequest(TicketSafeError):
    status = 400
    code = "bad_request"
    title = "Bad request"


class Unauthenticated(TicketSafeError):
    status = 401
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(TicketSafeError):
    status = 403
    code = "forbidden"
    title = "Not allowed"


class NotFound(TicketSafeError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(TicketSafeError):
    status = 409
    code = "conflict"
    title = "Conflict"


class RequestInProgress(Conflict):
    code = "request_in_progress"
    title = "A request with this Idempotency-Key is still being processed"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail, headers={"Retry-After": "1"}, **extra)


class Gone(TicketSafeError):
    status = 410
    code = "gone"
    title = "No longer available"


class BusinessRuleViolation(TicketSafeError):
    status = 422
    code = "business_rule_violation"
    title = "Refused by a business rule"


class IdempotencyKeyReused(BusinessRuleViolation):
    code = "idempotency_key_reused"
    title = "Refused by a business rule"

    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was used for a different request")


class _RetryLater(TicketSafeError):
    """Failures that tell the client when to come back (Retry-After, in seconds)."""

    def __init__(self, detail: str | None = None, *, retry_after: int = 1, **kw: Any) -> None:
        headers = {"Retry-After": str(max(1, retry_after))}
        super().__init__(detail, headers=headers, retry_after=max(1, retry_after), **kw)


class RateLimited(_RetryLater):
    status = 429
    code = "rate_limited"
    title = "Too many requests"


class ServiceBusy(_RetryLater):
    status = 503
    code = "service_busy"
    title = "Busy, try again shortly"
