"""Request and response models of the check-in API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from ticketsafe.checkin.service import Admission

# Longer than any code (see `tickets.codes.MAX_CODE_CHARS`): a longer one is refused as
# "not a TicketSafe code" by the verifier; only absurd bodies stop at validation.
_MAX_BODY_CODE = 4096
DeviceId = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class ScanIn(BaseModel):
    code: str = Field(max_length=_MAX_BODY_CODE, description="what the scanner read")
    gate: str = Field(min_length=1, max_length=40)
    device_id: str = DeviceId


class AdmissionOut(BaseModel):
    admitted: bool = True
    ticket_id: str
    place: str
    ticket_type_id: str
    kind: str = Field(description="live (app) or static (printed) code")
    gate: str
    at: datetime

    @classmethod
    def of(cls, a: Admission) -> AdmissionOut:
        return cls(
            ticket_id=a.ticket_id, place=a.place, ticket_type_id=a.ticket_type_id,
            kind=a.kind, gate=a.gate, at=a.at,
        )  # fmt: skip


class BundleIn(BaseModel):
    device_id: str = DeviceId
    device_public_key: str = Field(
        min_length=43, max_length=44, description="the device's X25519 public key, base64url"
    )


class SyncedScanIn(BaseModel):
    ticket_id: str = Field(max_length=64)
    version: int = Field(ge=1)
    gate: str = Field(min_length=1, max_length=40)
    at: datetime
    code: str = Field(max_length=_MAX_BODY_CODE, description="the signed code scanned")


class SyncIn(BaseModel):
    device_id: str = DeviceId
    scans: list[SyncedScanIn] = Field(max_length=5000)


class SyncOut(BaseModel):
    accepted: int
    already_synced: int
    duplicates: list[dict[str, Any]] = Field(description="tickets admitted twice: by whom")
    refused: list[dict[str, Any]]


class StatsOut(BaseModel):
    event_id: str
    admitted: int
    per_gate: dict[str, int]
    per_slot: dict[str, int] = Field(description="5-minute slot start (event time) → count")
