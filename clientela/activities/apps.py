import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "clientela.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        # What this app does for the apps below it (core.hooks); imported here, once models exist.
        from clientela.activities import demo, handover, lead_tasks, selectors, tasks, worklist_views
        from clientela.clients.hooks import client_handed_over
        from clientela.clients.selectors import HANDOVER_SUMMARY_PARTS
        from clientela.core.demo import DEMO_LOADERS, DemoLoader
        from clientela.core.periodic import PERIODIC_JOBS, Periodic
        from clientela.core.views import HOME_PAGE
        from clientela.leads import hooks as lead_hooks

        HOME_PAGE.provide(worklist_views.home_page)
        client_handed_over.register(handover.move_tasks_on_handover)
        HANDOVER_SUMMARY_PARTS.register(selectors.client_lead_open_tasks)
        PERIODIC_JOBS.register(Periodic(tasks.sweep_reminders, dt.timedelta(minutes=5)))
        PERIODIC_JOBS.register(Periodic(tasks.sweep_keep_alive, dt.timedelta(hours=1)))
        DEMO_LOADERS.register(DemoLoader(50, demo.load))
        lead_hooks.LEAD_TASK_DUE.register(lead_tasks.lead_task_due)
        lead_hooks.LEAD_OWNER_CHANGED.register(lead_tasks.lead_tasks_follow_owner)
        lead_hooks.LEAD_NEXT_STEP.provide(lead_tasks.lead_next_step)
        lead_hooks.LEAD_CONVERTED.register(lead_tasks.lead_converted)
        lead_hooks.LEAD_CLOSED.register(lead_tasks.lead_tasks_close)
        lead_hooks.LEADS_MERGED.register(lead_tasks.lead_tasks_merge)
