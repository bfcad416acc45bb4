"""Fixtures of the mail tests: known counterparts in two teams and the .eml fixtures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from clientela.clients.models import Client, Contact
from clientela.leads.models import Lead

EML = Path(__file__).parent / "eml"


def eml(name: str) -> bytes:
    return (EML / name).read_bytes()


@dataclass
class People:
    acme: Client
    ion: Contact
    maria: Contact
    kovacs: Client
    lead_ana: Lead


@pytest.fixture
def people(world) -> People:
    acme = Client.objects.create(name="Acme SRL", owner=world.manager_north, team=world.north, country="RO")
    ion = Contact.objects.create(
        client=acme, first_name="Ion", last_name="Popescu", email="ion.popescu@acme.ro"
    )
    maria = Contact.objects.create(
        client=acme, first_name="Maria", last_name="Ionescu", email="maria.ionescu@acme.ro"
    )
    kovacs = Client.objects.create(
        name="Kovács Kft",
        owner=world.manager_south,
        team=world.south,
        country="HU",
        email="odon.kovacs@gyar.example.hu",
    )
    lead_ana = Lead.objects.create(
        first_name="Ana",
        last_name="Marin",
        email="ana.marin@shop.example.ro",
        owner=world.manager_north,
        team=world.north,
    )
    return People(acme=acme, ion=ion, maria=maria, kovacs=kovacs, lead_ana=lead_ana)


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.DEFAULT_FROM_EMAIL = "Clientela <crm@example.com>"
    settings.SERVER_EMAIL = "crm@example.com"
    settings.IMAP_USER = ""
    settings.INBOUND_EMAIL_SECRET = "s3cret-inbound"
    settings.MAIL_ATTACHMENT_MAX_BYTES = 2048
