from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "clientela.intake"
    label = "intake"
    verbose_name = _("Lead intake")

    def ready(self) -> None:
        from clientela.core.demo import DEMO_LOADERS, DemoLoader
        from clientela.intake import demo

        # The demo's leads arrive through the intake doors, before the clients step (see core.demo).
        DEMO_LOADERS.register(DemoLoader(20, demo.load))
