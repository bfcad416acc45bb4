"""Deduplication across a contact's or client's other e-mails and phones: an arrival that
matches a secondary address is a touch on that record, never a new lead — whatever format the
phone was written in."""

from __future__ import annotations

import pytest

from clientela.clients.models import Client, Contact
from clientela.core.models import Notification
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.duplicates import find_duplicate
from clientela.leads.models import Interest, Lead


@pytest.fixture
def ctx(world):
    return IntakeContext(door="api", team=world.north, default_source="web_form")


@pytest.fixture
def known(world):
    client = Client.objects.create(
        name="Alpha SRL",
        owner=world.manager_north,
        team=world.north,
        phone="+40215551234",
        other_phones=["+40215559999"],
        other_emails=["office@alpha.example"],
    )
    contact = Contact.objects.create(
        client=client,
        first_name="Ioana",
        last_name="Pop",
        email="ioana@alpha.example",
        phone="+40721000001",
        other_phones=["+40722333444"],
        other_emails=["ioana.pop@gmail.example"],
    )
    return {"client": client, "contact": contact}


@pytest.mark.parametrize("phone", ["0722 333 444", "+40 (722) 333-444", "0040722333444", "722.333.444"])
def test_contact_other_phone_in_another_format_is_a_touch(ctx, world, known, phone):
    result = intake_submit(raw=RawLead(name="Ioana Pop", phone=phone), ctx=ctx)
    assert (result.kind, result.id, result.duplicate_of) == (
        "contact",
        known["contact"].pk,
        known["contact"].pk,
    )
    assert not Lead.objects.exists() and not Interest.objects.exists()
    assert Notification.objects.filter(user=world.manager_north, verb="client_touch").exists()


def test_contact_other_email_in_capitals_is_a_touch(ctx, known):
    result = intake_submit(raw=RawLead(name="Ioana Pop", email="Ioana.Pop@GMAIL.example"), ctx=ctx)
    assert (result.kind, result.duplicate_of) == ("contact", known["contact"].pk)
    assert not Lead.objects.exists()


def test_client_other_phone_and_other_email_are_touches(ctx, known):
    by_phone = intake_submit(raw=RawLead(name="Dan Ene", phone="021 555 9999"), ctx=ctx)
    by_email = intake_submit(raw=RawLead(name="Dan Ene", email="OFFICE@alpha.example"), ctx=ctx)
    assert (by_phone.kind, by_phone.duplicate_of) == ("client", known["client"].pk)
    assert (by_email.kind, by_email.duplicate_of) == ("client", known["client"].pk)
    assert not Lead.objects.exists()


def test_a_longer_address_containing_a_known_one_is_not_a_match(ctx, known):
    """Matching is on whole addresses: 'xoffice@alpha.example' is someone else."""
    assert find_duplicate("xoffice@alpha.example", "") is None
    assert find_duplicate("", "+402155599990") is None
    result = intake_submit(raw=RawLead(name="Dan Ene", email="xoffice@alpha.example"), ctx=ctx)
    assert result.kind == "lead" and result.duplicate_of is None


def test_an_open_lead_still_comes_first(ctx, known):
    lead = intake_submit(raw=RawLead(name="Ion Popescu", phone="+40733000111"), ctx=ctx)
    Contact.objects.filter(pk=known["contact"].pk).update(other_phones=["+40733000111"])
    found = find_duplicate("", "+40733000111")
    assert isinstance(found, Lead) and found.pk == lead.id, "order: open lead → contact → client"
