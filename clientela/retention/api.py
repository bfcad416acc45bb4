"""Retention under /api/v1/ (records and figures, scoped like the pages)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["retention"])

# Each part of retention keeps its endpoints in its own router.
from clientela.retention.cadence_api import router as cadence_router  # noqa: E402

router.add_router("", cadence_router)
