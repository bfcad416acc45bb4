import datetime as dt
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def ensure_board_totals(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After every migrate the board-totals triggers exist (a migration that rebuilt the deals
    table on SQLite dropped them) and, if they had to be put back, the totals are recounted."""
    from django.db import connections

    from clientela.deals import board_totals

    connection = connections[using]
    if board_totals.TABLE in connection.introspection.table_names():
        board_totals.ensure(connection)


class DealsConfig(AppConfig):
    name = "clientela.deals"
    label = "deals"
    verbose_name = _("Deals")

    def ready(self) -> None:
        post_migrate.connect(ensure_board_totals, sender=self, dispatch_uid="deals_ensure_board_totals")
        # Plug into the client card and client handovers (clients never imports deals).
        from clientela.clients import hooks
        from clientela.deals import client_card

        hooks.card_sections.register("deals/_client_deals.html")
        hooks.family_figures.register(client_card.deal_family_figures)
        hooks.client_handed_over.register(client_card.move_deals_on_handover)
        hooks.price_lists.provide(
            hooks.PriceListProvider(
                choices=client_card.price_list_choices,
                current=client_card.price_list_current,
                assign=client_card.price_list_assign,
                can_assign=client_card.price_list_can_assign,
            )
        )

        from clientela.core.demo import DEMO_LOADERS, DemoLoader
        from clientela.core.periodic import PERIODIC_JOBS, Periodic
        from clientela.deals import demo, tasks

        PERIODIC_JOBS.register(Periodic(tasks.notify_overdue_receivables, dt.timedelta(hours=24)))
        DEMO_LOADERS.register(DemoLoader(40, demo.load))
