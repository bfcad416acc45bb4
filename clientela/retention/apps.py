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
