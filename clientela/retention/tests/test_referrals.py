"""Referrals: a lead a client recommended is linked to it (origin seed) from the new-lead form,
the API and an existing lead, counted per client, and its bonus is a benefit recorded once."""

from __future__ import annotations

import pytest

from clientela.conftest import login
from clientela.core.errors import BusinessError
from clientela.leads.models import Lead
from clientela.leads.services.convert import lead_convert
from clientela.leads.services.referral import lead_set_referrer
from clientela.retention import referrals
from clientela.retention.loyalty_models import ClientBenefit
from clientela.retention.tests.loyalty_helpers import make_clients, make_lead


@pytest.fixture
def clients(world):
    return make_clients(world)


def test_referred_leads_are_linked_counted_and_seed(world, clients):
    north = clients["north"]
    first = make_lead(world, referred_by_client=north, phone="+40721000001", company="")
    second = make_lead(world, referred_by_client=north, phone="+40721000002", company="Beta SRL")
    make_lead(world, phone="+40721000003", company="Gamma SRL")  # not referred
    assert (first.referred_by_client_id, first.origin) == (north.pk, "seed")
    lead_convert(by=world.manager_north, lead=second)
    assert referrals.referral_counts(north) == {"referred": 2, "converted": 1}
    report = referrals.referral_report(world.head_north)
    assert [(r["client"], r["referred"], r["converted"], r["bonuses"]) for r in report] == [
        (north.name, 2, 1, 0)
    ]
    assert referrals.referral_report(world.manager_south) == []


def test_an_existing_lead_gets_its_referrer(world, clients):
    lead = make_lead(world)
    lead_set_referrer(by=world.manager_north, lead=lead, client_id=clients["north"].pk)
    lead.refresh_from_db()
    assert (lead.referred_by_client_id, lead.origin) == (clients["north"].pk, "seed")
    with pytest.raises(BusinessError) as exc:
        lead_set_referrer(by=world.manager_north, lead=lead, client_id=clients["south"].pk)
    assert "client" in exc.value.errors


def test_the_referral_bonus_is_a_benefit_recorded_once(world, clients):
    north = clients["north"]
    lead = make_lead(world, referred_by_client=north)
    benefit = referrals.referral_bonus_record(by=world.manager_north, lead=lead, values={"value": "5 % off"})
    assert (benefit.client_id, benefit.kind.code, benefit.value, benefit.referral_lead_id) == (
        north.pk,
        "referral_bonus",
        "5 % off",
        lead.pk,
    )
    with pytest.raises(BusinessError):
        referrals.referral_bonus_record(by=world.manager_north, lead=lead)
    assert ClientBenefit.objects.count() == 1
    plain = make_lead(world, phone="+40721000009")
    with pytest.raises(BusinessError):
        referrals.referral_bonus_record(by=world.manager_north, lead=plain)
    assert referrals.referral_report(world.admin)[0]["bonuses"] == 1


def test_the_new_lead_form_links_the_referrer(world, clients, client):
    north = clients["north"]
    login(client, world.manager_north)
    page = client.get(f"/leads/new/?referred_by_client={north.pk}")
    assert page.status_code == 200 and 'data-testid="lead-referrer"' in page.content.decode()
    response = client.post(
        "/leads/new/",
        {
            "name": "Elena Dobre",
            "phone": "+40722000111",
            "source": "manual",
            "referred_by_client": north.pk,
            "assign_to_me": "on",
        },
    )
    assert response.status_code == 302
    lead = Lead.objects.get(phone="+40722000111")
    assert (lead.referred_by_client_id, lead.origin) == (north.pk, "seed")
    # Another team's client cannot be named.
    response = client.post(
        "/leads/new/",
        {
            "name": "Dan Pop",
            "phone": "+40722000222",
            "source": "manual",
            "referred_by_client": clients["south"].pk,
        },
    )
    assert response.status_code == 422
    assert not Lead.objects.filter(phone="+40722000222").exists()


def test_the_card_and_the_one_click_bonus(world, clients, client):
    north = clients["north"]
    lead = make_lead(world, referred_by_client=north)
    login(client, world.manager_north)
    page = client.get(f"/clients/{north.pk}/loyalty/").content.decode()
    assert "1 referred · 0 became clients" in page
    assert client.post(f"/leads/{lead.pk}/referral-bonus/").status_code == 302
    assert ClientBenefit.objects.filter(client=north, referral_lead=lead).exists()
    card = client.get(f"/clients/{north.pk}/").content.decode()
    assert "1 referred" in card and "Referral bonus" in card
    assert 'data-testid="lead-referred-by"' in client.get(f"/leads/{lead.pk}/").content.decode()
    south_lead = make_lead(
        world,
        owner=world.manager_south,
        team=world.south,
        referred_by_client=clients["south"],
        phone="+36301234567",
    )
    assert client.post(f"/leads/{south_lead.pk}/referral-bonus/").status_code == 404


def test_the_referral_api(world, clients, client, api_token):
    north, south = clients["north"], clients["south"]
    mara = api_token(world.manager_north)
    response = client.post(
        "/api/v1/leads",
        {"name": "Ion Pop", "phone": "+40723000111", "referred_by_client": north.pk},
        content_type="application/json",
        headers=mara,
    )
    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["id"])
    assert (lead.referred_by_client_id, lead.origin) == (north.pk, "seed")
    response = client.post(
        "/api/v1/leads",
        {"name": "Ana Pop", "phone": "+40723000222", "referred_by_client": south.pk},
        content_type="application/json",
        headers=mara,
    )
    assert response.status_code == 422 and "referred_by_client" in response.json()["errors"]
    other = make_lead(world, phone="+40723000333")
    response = client.put(
        f"/api/v1/leads/{other.pk}/referrer",
        {"client": north.pk},
        content_type="application/json",
        headers=mara,
    )
    assert response.status_code == 200 and response.json()["origin"] == "seed"
    response = client.post(
        f"/api/v1/leads/{other.pk}/referral-bonus", {}, content_type="application/json", headers=mara
    )
    assert response.status_code == 201 and response.json()["kind"] == "referral_bonus"
    again = client.post(
        f"/api/v1/leads/{other.pk}/referral-bonus", {}, content_type="application/json", headers=mara
    )
    assert again.status_code == 422
    body = client.get(f"/api/v1/clients/{north.pk}/loyalty", headers=mara).json()
    assert (body["referred_leads"], body["referred_converted"]) == (2, 0)
    south_lead = make_lead(world, owner=world.manager_south, team=world.south, phone="+36301234568")
    assert (
        client.put(
            f"/api/v1/leads/{south_lead.pk}/referrer",
            {"client": None},
            content_type="application/json",
            headers=mara,
        ).status_code
        == 404
    )
