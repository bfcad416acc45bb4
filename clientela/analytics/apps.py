from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "clientela.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        # Every report declares itself in its own module (`reports/<name>.py`) and registers on
        # import; the engine (`engine.REPORTS`) is the one list the pages and the API walk.
        from clientela.analytics import (
            plans_views,
            reports,  # noqa: F401
        )

        # The dashboard: its tiles (`dashboard.DASHBOARD_TILES`), the blocks on the home and
        # profile pages, the weekly digest's job and its API operations.
        from clientela.analytics.dashboard_views import register_dashboard

        register_dashboard()
        plans_views.register()  # this month's plan progress under the work list, its tiles
