"""Retention under /api/v1/ (records and figures, scoped like the pages)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["retention"])

from clientela.retention.value_api import router as value_router  # noqa: E402

router.add_router("", value_router)
