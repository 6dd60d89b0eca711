"""Gate scans: admissions, and refusals by reason (`verifier.Refusal`, a fixed set)."""

from __future__ import annotations

from prometheus_client import Counter

from ticketsafe.checkin.verifier import Refusal

CHECKINS = Counter("ticketsafe_checkins_total", "Tickets admitted at a gate (online scans)")
CHECKIN_REFUSALS = Counter(
    "ticketsafe_checkin_refusals_total", "Online scans refused, by reason", ["reason"]
)
REASONS = frozenset(r.value for r in Refusal)
for _reason in sorted(REASONS):  # present (at 0) before the first refusal
    CHECKIN_REFUSALS.labels(_reason)
