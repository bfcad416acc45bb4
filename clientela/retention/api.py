"""Retention under /api/v1/ (records and figures, scoped like the pages).

Each part of retention keeps its operations in its own module: most on their own router, added
here; the leak and greetings parts declare theirs on this `router` (so they are imported after it
exists)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["retention"])

from clientela.retention import greetings_api, leak_api  # noqa: E402, F401  (they add to `router`)
from clientela.retention.cadence_api import router as cadence_router  # noqa: E402
from clientela.retention.lifecycle_api import router as lifecycle_router  # noqa: E402
from clientela.retention.loyalty_api import router as loyalty_router  # noqa: E402
from clientela.retention.surveys_api import router as surveys_router  # noqa: E402
from clientela.retention.value_api import router as value_router  # noqa: E402

for part in (cadence_router, surveys_router, loyalty_router, lifecycle_router, value_router):
    router.add_router("", part)
