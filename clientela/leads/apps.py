import datetime as dt
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def ensure_search_index(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After every migrate (a fresh or restored database, a migration that rebuilt the leads
    table and dropped its triggers) the SQLite full-text index of leads exists and is current.

    Infrastructure, not business logic: the FTS table and triggers are schema the migration
    framework cannot express. PostgreSQL keeps its indexes through migrations (no-op there).
    """
    from django.db import DEFAULT_DB_ALIAS, connections

    from clientela.leads import search

    if using != DEFAULT_DB_ALIAS:
        return  # search.ensure_sqlite_index works on the default connection
    connection = connections[using]
    if connection.vendor == "sqlite" and "leads_lead" in connection.introspection.table_names():
        search.ensure_sqlite_index()


class LeadsConfig(AppConfig):
    name = "clientela.leads"
    label = "leads"
    verbose_name = _("Leads")

    def ready(self) -> None:
        post_migrate.connect(ensure_search_index, sender=self, dispatch_uid="leads_ensure_search_index")
        # What this app does for the apps below it (core.hooks); imported here, once models exist.
        from clientela.clients.selectors import HANDOVER_SUMMARY_PARTS
        from clientela.clients.status import LAST_CONTACT_SOURCES
        from clientela.comms.clocks import CLOCK_TAKEN
        from clientela.core.periodic import PERIODIC_JOBS, Periodic
        from clientela.leads import scoring, selectors, tasks
        from clientela.leads.services.lifecycle import lead_follow_clock

        PERIODIC_JOBS.register(Periodic(tasks.return_postponed_leads, dt.timedelta(minutes=30)))
        PERIODIC_JOBS.register(Periodic(scoring.rescore_open_leads, dt.timedelta(hours=24)))
        CLOCK_TAKEN.register(lead_follow_clock)
        LAST_CONTACT_SOURCES.register(selectors.client_last_lead_touch)
        HANDOVER_SUMMARY_PARTS.register(selectors.client_source_leads)
