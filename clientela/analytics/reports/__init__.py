"""The reports, one module each; importing this package registers them all (engine.REPORTS)."""

from clientela.analytics.reports import (
    activity,  # noqa: F401
    completeness,  # noqa: F401
    conversion,  # noqa: F401
    deal_funnel,  # noqa: F401
    forecast,  # noqa: F401
    lifecycle_funnel,  # noqa: F401
    marketing,  # noqa: F401
    sales_plan,  # noqa: F401
    speed,  # noqa: F401
    touches,  # noqa: F401
    workload,  # noqa: F401
)
