"""Retention under /api/v1/ (records and figures, scoped like the pages)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["retention"])

# Each part of retention keeps its endpoints in its own router.
from clientela.retention.cadence_api import router as cadence_router  # noqa: E402

router.add_router("", cadence_router)
# Each part of retention declares its operations on its own router, added here.
from clientela.retention import surveys_api  # noqa: E402

router.add_router("", surveys_api.router)

# Each part of retention adds its operations to the router in its own module.
from clientela.retention import greetings_api  # noqa: E402, F401
# The leak part: figures, alerts and team policies (leak_api registers on `router`).
from clientela.retention import leak_api  # noqa: E402, F401
from clientela.retention.loyalty_api import router as loyalty_router  # noqa: E402

router.add_router("", loyalty_router)
from clientela.retention.lifecycle_api import router as lifecycle_router  # noqa: E402

router.add_router("", lifecycle_router)
from clientela.retention.value_api import router as value_router  # noqa: E402

router.add_router("", value_router)
