from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def ensure_search_index(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After every migrate (a fresh or restored database, a migration that rebuilt a clients
    table and dropped its triggers) the SQLite full-text indexes of clients and contacts exist
    and are current. PostgreSQL keeps its indexes through migrations (no-op there)."""
    from django.db import DEFAULT_DB_ALIAS, connections

    from clientela.clients import search

    if using != DEFAULT_DB_ALIAS:
        return  # search.ensure_sqlite_index works on the default connection
    connection = connections[using]
    tables = set(connection.introspection.table_names()) if connection.vendor == "sqlite" else set()
    if set(search.TABLES) <= tables:
        search.ensure_sqlite_index()


class ClientsConfig(AppConfig):
    name = "clientela.clients"
    label = "clients"
    verbose_name = _("Clients")

    def ready(self) -> None:
        post_migrate.connect(ensure_search_index, sender=self, dispatch_uid="clients_ensure_search_index")
        from clientela.clients import demo
        from clientela.core.demo import DEMO_LOADERS, DemoLoader

        DEMO_LOADERS.register(DemoLoader(30, demo.load))
