from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "clientela.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Every app's `texts.py` defines the codes of the texts it stores (core.texts), so a
        # stored line renders in any process, whatever that process has imported.
        autodiscover_modules("texts")
