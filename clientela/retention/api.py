"""Retention under /api/v1/ (records and figures, scoped like the pages)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["retention"])

from clientela.retention.loyalty_api import router as loyalty_router  # noqa: E402

router.add_router("", loyalty_router)
