from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "clientela.mail"
    label = "mail"
    verbose_name = _("E-mail")

    def ready(self) -> None:
        from clientela.clients.hooks import client_handed_over
        from clientela.mail import handover

        client_handed_over.register(handover.move_threads_on_handover)
