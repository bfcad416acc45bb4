"""The demo data: realistic clients for every demo team, valid ids, every status, a handover."""

from __future__ import annotations

import pytest

from clientela.clients import demo
from clientela.clients.choices import ClientStatus
from clientela.clients.models import Client, Contact, ContactMembership, Handover
from clientela.clients.status import with_status
from clientela.users import demo as users_demo


@pytest.mark.urls("clientela.clients.tests.urls")
def test_demo_loads_realistic_clients(db):
    context = {"password": "clientela-demo-test"}
    users_demo.load(context)
    demo.load(context)
    clients = Client.objects.all()
    assert clients.count() >= 20 and len(context["clients"]) == clients.count()
    assert set(clients.values_list("country", flat=True)) >= {"RO", "HU", "MY", "RU"}
    assert clients.filter(headquarters__isnull=False).count() >= 4
    assert clients.filter(kind="person").count() == 3
    assert all(c.owner_id and c.team_id for c in clients)
    assert (
        Contact.objects.count() >= 25 and Contact.objects.exclude(role="").count() == Contact.objects.count()
    )
    statuses = set(with_status(Client.objects.all()).values_list("status", flat=True))
    assert statuses == set(ClientStatus.values)
    assert ContactMembership.objects.filter(ended_on__isnull=False).count() == 1
    handover = Handover.objects.get()
    assert handover.to_user.username == "peter" and handover.items.count() == 1
    assert clients.filter(tax_id="").exclude(headquarters__isnull=False).exclude(kind="person").count() == 0
