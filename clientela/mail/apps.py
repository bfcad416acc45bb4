from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "clientela.mail"
    label = "mail"
    verbose_name = _("E-mail")

    def ready(self) -> None:
        # What this app does for the apps below it (core.hooks); imported here, once models exist.
        from clientela.activities.acknowledgement import ACKNOWLEDGEMENT_LETTER
        from clientela.clients.hooks import client_handed_over
        from clientela.comms.clocks import CLOCK_TAKEN
        from clientela.core.demo import DEMO_LOADERS, DemoLoader
        from clientela.core.periodic import PERIODIC_JOBS, Periodic
        from clientela.mail import demo, handover, imap, services

        client_handed_over.register(handover.move_threads_on_handover)
        CLOCK_TAKEN.register(services.thread_follow_clock)
        ACKNOWLEDGEMENT_LETTER.provide(services.acknowledgement_letter_send)
        PERIODIC_JOBS.register(Periodic(imap.poll_mailbox, imap.POLL_EVERY))
        DEMO_LOADERS.register(DemoLoader(60, demo.load))
