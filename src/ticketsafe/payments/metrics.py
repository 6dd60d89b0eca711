"""Payment attempts and failures, by processor and method (both fixed sets in code).

`processor` is who moves the money for a method today (`PROCESSORS`); when a method may
go through several processors, the payment's own processor field takes its place here.
"""

from __future__ import annotations

from prometheus_client import Counter

from ticketsafe.payments.models import Payment, PaymentMethod

PROCESSORS: dict[PaymentMethod, str] = {
    PaymentMethod.FREE: "none",
    PaymentMethod.BANK_TRANSFER: "manual",
    PaymentMethod.PIX: "pix_psp",
    PaymentMethod.CARD_SANDBOX: "sandbox_psp",
}

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
for _method, _processor in PROCESSORS.items():  # present (at 0) before the first payment
    PAYMENT_ATTEMPTS.labels(_processor, _method.value)
    for _reason in ("declined", "error"):
        PAYMENT_FAILURES.labels(_processor, _method.value, _reason)


def _labels(payment: Payment) -> tuple[str, str]:
    return PROCESSORS.get(payment.method, "other"), payment.method.value


def record_attempt(payment: Payment) -> None:
    PAYMENT_ATTEMPTS.labels(*_labels(payment)).inc()


def record_failure(payment: Payment, reason: str) -> None:
    PAYMENT_FAILURES.labels(*_labels(payment), reason).inc()
