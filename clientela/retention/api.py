"""Retention under /api/v1/ (records and figures, scoped like the pages)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["retention"])

# The leak part: figures, alerts and team policies (leak_api registers on `router`).
from clientela.retention import leak_api  # noqa: E402, F401
