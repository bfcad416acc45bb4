"""Retention under /api/v1/ (records and figures, scoped like the pages)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["retention"])
