"""The demo e-mail: client threads on their cards (one still waiting for us), our replies sent,
and a stranger's message turned into a lead."""

from __future__ import annotations

import pytest

from clientela.comms.models import ResponseClock
from clientela.core.demo import DEMO_PASSWORD
from clientela.leads.models import Lead
from clientela.mail import demo
from clientela.mail.models import Direction, Message, Thread


@pytest.mark.django_db
def test_demo_mail_has_client_threads_replies_and_a_new_lead(settings):
    from clientela.clients import demo as clients_demo
    from clientela.intake import demo as leads_demo
    from clientela.users import demo as users_demo

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    context = {"password": DEMO_PASSWORD}
    users_demo.load(context)
    leads_demo.load(context)
    clients_demo.load(context)
    demo.load(context)
    assert context["mail_threads"] == 4
    assert Thread.objects.filter(client__isnull=False).count() == 3
    assert Message.objects.filter(direction=Direction.OUT, status="sent").count() == 2
    waiting = ResponseClock.objects.filter(ref__startswith="mail.thread:", stopped_at__isnull=True)
    assert waiting.count() == 1, "the newest client message still waits for our answer"
    assert Lead.objects.filter(email="elena.vasilescu@nordica.example").exists()
