"""Conversion "+ deal" (SPEC §2: lead → client + contact, optionally + deal), and what a
conversion leaves for the clients capability: search keys and the contact's employment period.
Through the service, the API and the card's convert dialog."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from clientela.clients.lists import CLIENTS, CONTACTS
from clientela.clients.models import Client, Contact, ContactMembership
from clientela.clients.selectors import client_list, contact_list
from clientela.conftest import login
from clientela.core.errors import BusinessError
from clientela.deals.defaults import ensure_defaults
from clientela.deals.models import Deal, Pipeline
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.choices import LeadEventKind, LeadStatus
from clientela.leads.models import Lead
from clientela.leads.services.convert import DealPlaceholder, lead_convert


@pytest.fixture(autouse=True)
def _pipelines(db):
    ensure_defaults()


def make_lead(world, owner=None, **fields) -> Lead:
    owner = owner or world.manager_north
    ctx = IntakeContext(door="manual", by=owner, team=world.north, owner=owner)
    data = {
        "name": "Алексей Морозов",
        "phone": "+40721123456",
        "email": "alexei@vektor.example",
        "company": "ООО Вектор",
        "interest": "Fleet tracking",
        **fields,
    }
    return Lead.objects.get(pk=intake_submit(raw=RawLead(**data), ctx=ctx).id)


def other_pipeline() -> Pipeline:
    return Pipeline.objects.filter(is_active=True).exclude(is_default=True).order_by("position", "id").first()


# --- The service ----------------------------------------------------------------------------------


def test_conversion_with_a_deal_starts_it_linked_to_lead_client_and_contact(world):
    lead = make_lead(world)
    pipeline = other_pipeline()
    close = timezone.localdate() + dt.timedelta(days=30)
    conversion = lead_convert(
        by=world.manager_north,
        lead=lead,
        deal=DealPlaceholder(pipeline=pipeline, amount="12500.50", currency="eur", expected_close_date=close),
    )
    deal = conversion.deal
    assert deal is not None and Deal.objects.count() == 1
    deal.refresh_from_db()
    assert (deal.client, deal.source_lead, deal.pipeline) == (conversion.client, lead, pipeline)
    assert list(deal.contacts.all()) == [conversion.contact]
    assert (deal.amount, deal.currency, deal.expected_close_date) == (Decimal("12500.50"), "EUR", close)
    assert deal.title == "Fleet tracking", "the lead's interest names the deal"
    assert deal.owner == world.manager_north and deal.stage.pipeline == pipeline
    assert list(lead.deals.all()) == [deal], "the deal keeps its source lead"
    event = lead.events.get(kind=LeadEventKind.CONVERTED)
    assert event.data["deal"] == deal.pk and "deal" in event.text


def test_deal_defaults_to_the_default_pipeline_and_the_client_name(world):
    lead = make_lead(world, interest="")
    conversion = lead_convert(by=world.manager_north, lead=lead, deal=DealPlaceholder())
    deal = conversion.deal
    assert deal is not None
    assert deal.pipeline == Pipeline.objects.get(is_default=True)
    assert deal.title == "ООО Вектор" and deal.amount == 0


def test_conversion_without_a_deal_starts_none(world):
    conversion = lead_convert(by=world.manager_north, lead=make_lead(world))
    assert conversion.deal is None and not Deal.objects.exists()


def test_deal_of_a_client_handed_to_a_colleague_belongs_to_the_colleague(world):
    """A telemarketer converts and hands the client over: the deal goes with the client, and the
    record still says who started it."""
    lead = make_lead(world)
    conversion = lead_convert(
        by=world.manager_north,
        lead=lead,
        client_owner=world.manager_north2,
        deal=DealPlaceholder(),
    )
    deal = Deal.objects.get(pk=conversion.deal.pk)
    assert deal.owner == world.manager_north2 and deal.client.owner == world.manager_north2
    assert deal.created_by == world.manager_north


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"currency": "EURO"}, "deal_currency"),
        ({"amount": "lots"}, "deal_amount"),
        ({"amount": "-5"}, "deal_amount"),
        ({"title": "x" * 201}, "deal_title"),
        ({"expected_close_date": dt.date(2000, 1, 1)}, "deal_expected_close_date"),
    ],
)
def test_a_bad_deal_keeps_the_whole_conversion_from_happening(world, spec, field):
    lead = make_lead(world)
    with pytest.raises(BusinessError) as caught:
        lead_convert(by=world.manager_north, lead=lead, deal=DealPlaceholder(**spec))
    assert field in caught.value.errors
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW and lead.client_id is None
    assert not Client.objects.exists() and not Contact.objects.exists() and not Deal.objects.exists()


def test_an_inactive_pipeline_is_refused_and_nothing_is_written(world):
    pipeline = other_pipeline()
    Pipeline.objects.filter(pk=pipeline.pk).update(is_active=False)
    pipeline.refresh_from_db()
    lead = make_lead(world)
    with pytest.raises(BusinessError) as caught:
        lead_convert(by=world.manager_north, lead=lead, deal=DealPlaceholder(pipeline=pipeline))
    assert "deal_pipeline" in caught.value.errors
    assert not Client.objects.exists() and Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def test_deal_errors_raised_by_the_deal_service_name_the_conversion_fields(world):
    """Failures found only when the deal starts (here: no open stage) roll the conversion back."""
    lead = make_lead(world)
    Pipeline.objects.get(is_default=True).stages.filter(is_won=False, is_lost=False).update(is_active=False)
    with pytest.raises(BusinessError) as caught:
        lead_convert(by=world.manager_north, lead=lead, deal=DealPlaceholder())
    assert "deal_pipeline" in caught.value.errors
    assert not Client.objects.exists() and not Contact.objects.exists()
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


# --- What conversion leaves for clients: search keys and the employment period --------------------


def test_search_finds_the_new_client_and_contact_at_once(world):
    lead = make_lead(world)
    conversion = lead_convert(by=world.manager_north, lead=lead)
    viewer = world.manager_north
    # transliterated spellings exist only in the search keys
    assert list(client_list(viewer=viewer, filters=CLIENTS.values(q="vektor"))) == [conversion.client]
    assert list(contact_list(viewer=viewer, filters=CONTACTS.values(q="morozov"))) == [conversion.contact]
    assert list(contact_list(viewer=viewer, filters=CONTACTS.values(q="721123"))) == [conversion.contact]


def test_conversion_opens_the_contacts_employment_period(world):
    client = Client.objects.create(name="Alpha SRL", owner=world.manager_north, team=world.north)
    lead = make_lead(world, company="Alpha SRL", position="CFO")
    conversion = lead_convert(by=world.manager_north, lead=lead, client=client, contact_role="buyer")
    period = ContactMembership.objects.get(contact=conversion.contact)
    assert (period.client, period.ended_on, period.position, period.role) == (client, None, "CFO", "buyer")
    assert period.started_on == timezone.localdate() and period.created_by == world.manager_north


# --- The API ---------------------------------------------------------------------------------------


def post(client, path, headers, data):
    return client.post(path, data=data, content_type="application/json", headers=headers)


def test_api_convert_with_a_deal_answers_its_id(client, world, api_token):
    lead = make_lead(world)
    response = post(
        client,
        f"/api/v1/leads/{lead.pk}/convert",
        api_token(world.manager_north),
        {"create_deal": True, "deal_amount": "990.00", "deal_currency": "RON", "deal_title": "Pilot"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    deal = Deal.objects.get()
    assert body["deal"] == {"id": deal.pk, "name": "Pilot"}
    assert (deal.source_lead_id, deal.amount, deal.currency) == (lead.pk, Decimal("990.00"), "RON")
    plain = post(
        client,
        f"/api/v1/leads/{make_lead(world, phone='+40721000111', email='', company='Vektor Nord').pk}/convert",
        api_token(world.manager_north),
        {},
    )
    assert plain.status_code == 200 and plain.json()["deal"] is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"deal_currency": "XYZ"}, "deal_currency"),
        ({"deal_pipeline": 999_999}, "deal_pipeline"),
        ({"deal_amount": "-1"}, "deal_amount"),
    ],
)
def test_api_convert_bad_deal_input_is_a_field_error(client, world, api_token, data, field):
    lead = make_lead(world)
    response = post(
        client,
        f"/api/v1/leads/{lead.pk}/convert",
        api_token(world.manager_north),
        {"create_deal": True, **data},
    )
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW
    assert not Client.objects.exists() and not Deal.objects.exists()


# --- The card --------------------------------------------------------------------------------------


def test_card_convert_dialog_starts_a_deal_and_the_card_links_it(client, world):
    lead = make_lead(world)
    login(client, world.manager_north)
    dialog = client.get(f"/leads/{lead.pk}/").content.decode()
    assert 'name="create_deal"' in dialog and 'name="deal_pipeline"' in dialog
    response = client.post(
        f"/leads/{lead.pk}/convert/",
        {"client_name": "Vektor", "create_deal": "on", "deal_amount": "1 500", "deal_currency": "EUR"},
    )
    assert response.status_code == 302, response.content.decode()
    deal = Deal.objects.get()
    assert deal.source_lead == lead and deal.amount == Decimal("1500.00")
    body = client.get(f"/leads/{lead.pk}/").content.decode()
    assert f'href="/deals/{deal.pk}/"' in body


def test_card_convert_dialog_shows_a_bad_deal_field_inline(client, world):
    lead = make_lead(world)
    login(client, world.manager_north)
    response = client.post(
        f"/leads/{lead.pk}/convert/",
        {"client_name": "Vektor", "create_deal": "on", "deal_currency": "XYZ"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "is-invalid" in body and "ISO 4217" in body
    assert "<details" in body and " open" in body, "the deal part stays open to show the error"
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW and not Client.objects.exists()


def test_converted_lead_without_a_deal_offers_to_start_one(client, world):
    lead = make_lead(world)
    lead_convert(by=world.manager_north, lead=lead)
    body = login(client, world.manager_north).get(f"/leads/{lead.pk}/").content.decode()
    assert f"/deals/new/?lead={lead.pk}" in body


def test_the_dialog_opens_with_a_deal_named_and_priced_for_the_lead(client, world):
    lead = make_lead(world)
    login(client, world.manager_north)
    body = client.get(f"/leads/{lead.pk}/").content.decode()
    assert '<details class="lead-convert-deal mb-3" open>' in body, "the deal part is open"
    dialog = body.split('id="action-convert"')[1].split("</form>")[0]
    assert re.search(r'name="create_deal"[^>]*checked', dialog), "a deal is started unless unticked"
    assert re.search(r'name="deal_title"[^>]*value="Fleet tracking"', dialog)
    assert re.search(r'name="deal_currency"[^>]*value="RON"', dialog)


def test_converting_from_the_dialog_lands_on_the_new_deal(client, world):
    lead = make_lead(world)
    login(client, world.manager_north)
    data = {
        "client_name": "Vektor",
        "create_deal": "on",
        "deal_title": "Fleet tracking",
        "deal_currency": "RON",
    }
    response = client.post(f"/leads/{lead.pk}/convert/", data, headers={"HX-Request": "true"})
    deal = Deal.objects.get()
    assert response["HX-Redirect"] == f"/deals/{deal.pk}/"
    page = client.get(response["HX-Redirect"]).content.decode()
    assert "Deal “Fleet tracking” started." in page, "the success message shows on the deal"


def test_converting_without_a_deal_lands_on_the_client(client, world):
    lead = make_lead(world)
    login(client, world.manager_north)
    response = client.post(f"/leads/{lead.pk}/convert/", {"client_name": "Vektor"})
    assert response.status_code == 302 and not Deal.objects.exists()
    assert response["Location"] == f"/clients/{Client.objects.get().pk}/"


def test_a_company_client_is_reached_through_its_new_contact(world):
    lead = make_lead(world)
    conversion = lead_convert(by=world.manager_north, lead=lead)
    client = Client.objects.get(pk=conversion.client.pk)
    assert client.kind == "company"
    assert (client.phone, client.email) == ("+40721123456", "alexei@vektor.example")


def test_a_known_client_keeps_its_own_phone_and_gets_the_missing_e_mail(world):
    known = Client.objects.create(
        name="Vektor", phone="+40219999999", owner=world.manager_north, team=world.north
    )
    lead_convert(by=world.manager_north, lead=make_lead(world), client=known)
    known.refresh_from_db()
    assert (known.phone, known.email) == ("+40219999999", "alexei@vektor.example")
