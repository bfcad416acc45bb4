"""Retention under /api/v1/ (records and figures, scoped like the pages)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["retention"])

from clientela.retention.lifecycle_api import router as lifecycle_router  # noqa: E402

router.add_router("", lifecycle_router)
