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
