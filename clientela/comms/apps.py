import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommsConfig(AppConfig):
    name = "clientela.comms"
    label = "comms"
    verbose_name = _("Communication")

    def ready(self) -> None:
        from clientela.comms import tasks
        from clientela.core.periodic import PERIODIC_JOBS, Periodic

        PERIODIC_JOBS.register(Periodic(tasks.sweep_clocks, dt.timedelta(minutes=5)))
        PERIODIC_JOBS.register(Periodic(tasks.send_notification_digests, dt.timedelta(minutes=10)))
