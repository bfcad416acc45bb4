from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "clientela.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from clientela.activities import handover
        from clientela.clients.hooks import client_handed_over

        client_handed_over.register(handover.move_tasks_on_handover)
