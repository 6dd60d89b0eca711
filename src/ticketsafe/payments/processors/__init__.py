"""Payment processors, one module each, and their registry.

The buyer picks a checkout option (`PaymentMethod`, the public API's values); the first
enabled processor serving it takes the payment, which records that processor and the
method (`Method`: card, PIX, transfer, free). Adding a processor = its module here (a
`Processor`: charges, moves, its webhooks), its settings in `infra.settings`, and one
line in `PROCESSORS`; its webhooks arrive at `/payments/webhooks/<its path>`.
"""

from __future__ import annotations

from ticketsafe.infra.errors import BusinessRuleViolation
from ticketsafe.infra.settings import Settings
from ticketsafe.payments.models import Method, Payment, PaymentMethod
from ticketsafe.payments.processors.base import (
    CardTokenRequired,
    Processor,
    ProviderContext,
    PspEvent,
    StartResult,
)
from ticketsafe.payments.processors.manual import ManualProcessor
from ticketsafe.payments.processors.sandbox import SandboxProcessor

__all__ = [
    "PROCESSORS",
    "CardTokenRequired",
    "Processor",
    "ProviderContext",
    "PspEvent",
    "StartResult",
    "check_start",
    "option_of",
    "processor_of",
    "route",
]

PROCESSORS: dict[str, Processor] = {
    p.name: p
    for p in (
        ManualProcessor(),
        SandboxProcessor(),
    )
}


def route(option: PaymentMethod, settings: Settings) -> tuple[Processor, Method]:
    """Who takes a payment of this checkout option, and as which method."""
    for processor in PROCESSORS.values():
        if option in processor.options and processor.enabled(settings):
            return processor, processor.options[option]
    raise BusinessRuleViolation(f"{option.value} is not available", code="method_unavailable")


def processor_of(payment: Payment) -> Processor:
    return PROCESSORS[payment.processor]


def option_of(payment: Payment) -> PaymentMethod:
    """The checkout option a payment was made with (what the public API shows)."""
    options = PROCESSORS[payment.processor].options
    return next(option for option, method in options.items() if method is payment.method)


def check_start(option: PaymentMethod, settings: Settings, card_token: str | None) -> None:
    """What starting a payment would refuse before any money moves — checked by a caller
    before it commits anything (checkout, before the sale), so a refusal leaves nothing
    behind to clean up."""
    _, method = route(option, settings)  # the option must be available
    if method is Method.CARD and not card_token:
        raise CardTokenRequired("a card token is required")
