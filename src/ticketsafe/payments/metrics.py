"""Payment attempts and failures, by processor and method (both fixed sets in code):
the payment's own `processor` and `method` fields."""

from __future__ import annotations

from prometheus_client import Counter

from ticketsafe.payments.models import Payment
from ticketsafe.payments.processors import PROCESSORS

PAYMENT_ATTEMPTS = Counter(
    "ticketsafe_payment_attempts_total",
    "Payments started with their processor",
    ["processor", "method"],
)
PAYMENT_FAILURES = Counter(
    "ticketsafe_payment_failures_total",
    "Payments that failed: declined, or the processor erred",
    ["processor", "method", "reason"],
)
for _processor in PROCESSORS.values():  # present (at 0) before the first payment
    for _method in _processor.options.values():
        PAYMENT_ATTEMPTS.labels(_processor.name, _method.value)
        for _reason in ("declined", "error"):
            PAYMENT_FAILURES.labels(_processor.name, _method.value, _reason)


def _labels(payment: Payment) -> tuple[str, str]:
    return payment.processor, payment.method.value


def record_attempt(payment: Payment) -> None:
    PAYMENT_ATTEMPTS.labels(*_labels(payment)).inc()


def record_failure(payment: Payment, reason: str) -> None:
    PAYMENT_FAILURES.labels(*_labels(payment), reason).inc()
