from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "clientela.retention"
    label = "retention"
    verbose_name = _("Retention")

    def ready(self) -> None:
        # What this app does for the apps below it (core.hooks); imported here, once models exist.
        # Each part of retention registers what it does in its own `register()`.
        from clientela.retention import cadence

        cadence.register()
        from clientela.retention import satisfaction_tiles, surveys

        surveys.register()
        satisfaction_tiles.register()
        from clientela.retention import greetings, reactivation

        reactivation.register()
        greetings.register()
        from clientela.retention import leak_alerts

        leak_alerts.register()
        from clientela.retention import (
            loyalty,
            loyalty_texts,  # noqa: F401
        )

        loyalty.register()
        from clientela.retention import lifecycle

        lifecycle.register()
        from clientela.retention import value

        value.register()
