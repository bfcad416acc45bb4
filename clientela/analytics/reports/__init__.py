"""The reports, one module each; importing this package registers them all (engine.REPORTS)."""

from clientela.analytics.reports import (
    activity,  # noqa: F401
    conversion,  # noqa: F401
    deal_funnel,  # noqa: F401
    lifecycle_funnel,  # noqa: F401
)
