"""The catalog's routes: venues and events."""

from __future__ import annotations

from fastapi import APIRouter

from ticketsafe.catalog.events.endpoints import router as event_router
from ticketsafe.catalog.venues.endpoints import router as venue_router

router = APIRouter()
router.include_router(venue_router)
router.include_router(event_router)
