from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "clientela.deals"
    label = "deals"
    verbose_name = _("Deals")

    def ready(self) -> None:
        # Plug into the client card and client handovers (clients never imports deals).
        try:
            from clientela.clients import extensions
        except ImportError:  # an older clients app without extension points
            return
        from clientela.deals import client_card

        extensions.register_family_figures(client_card.deal_family_figures)
        extensions.register_handover_hook(client_card.move_deals_on_handover)
        extensions.register_price_lists(
            extensions.PriceListProvider(
                choices=client_card.price_list_choices,
                current=client_card.price_list_current,
                assign=client_card.price_list_assign,
                can_assign=client_card.price_list_can_assign,
            )
        )
