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
        from clientela.deals.client_card import deal_family_figures, move_deals_on_handover

        extensions.register_family_figures(deal_family_figures)
        extensions.register_handover_hook(move_deals_on_handover)
