"""Fixtures of the activities tests: a lead, clients with contacts and deals, made through the services."""

from __future__ import annotations

import itertools

import pytest

from clientela.clients.models import Client, Contact
from clientela.comms.models import ResponseClock
from clientela.deals import services as deal_services
from clientela.deals.defaults import ensure_defaults
from clientela.deals.models import Deal
from clientela.leads.models import Lead
from clientela.leads.services.lifecycle import lead_create

_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _deal_defaults(request):
    """Pipelines come from a data migration; transactional tests' flush wipes them, so put them back."""
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db"} & set(request.fixturenames)
    )
    if uses_db:
        request.getfixturevalue("db")
        ensure_defaults()


@pytest.fixture
def make_lead(world):
    def make(*, owner=None, team=None, keep_clock: bool = True, **fields) -> Lead:
        n = next(_seq)
        lead = lead_create(
            by=None,
            fields={
                "first_name": "Ion",
                "last_name": f"Popescu{n}",
                "email": f"ion{n}@example.com",
                "phone": f"+4072113{n:04d}",
                "team": team or world.north,
                **fields,
            },
            owner=owner or world.manager_north,
        )
        if not keep_clock:
            ResponseClock.objects.filter(lead=lead).delete()
        return lead

    return make


@pytest.fixture
def records(world):
    """Mara's North client with a contact and an open deal; Sándor's South client and deal."""
    north = Client.objects.create(
        name="Ștefan & Fiii", email="office@stefan.example", owner=world.manager_north, team=world.north
    )
    ioana = Contact.objects.create(
        client=north, first_name="Ioana", last_name="Pop", email="ioana@stefan.example"
    )
    south = Client.objects.create(name="Kovács Kft", owner=world.manager_south, team=world.south)
    deal = deal_services.deal_create(by=world.manager_north, client=north, title="Audit", currency="RON")
    south_deal = deal_services.deal_create(
        by=world.manager_south, client=south, title="Licences", currency="RON"
    )
    return {"north": north, "ioana": ioana, "south": south, "deal": deal, "south_deal": south_deal}


def make_deal(owner, client, title: str = "Deal") -> Deal:
    return deal_services.deal_create(by=owner, client=client, title=title, currency="RON")
