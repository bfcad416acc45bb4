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

        plans_views.register()  # this month's plan progress under the work list
