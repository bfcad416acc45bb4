"""Manual entry ("New lead"), the interests list and upgrading an interest to a lead."""

from __future__ import annotations

import pytest

from clientela.conftest import login
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.models import Interest, Lead, LeadEvent
from clientela.leads.tests.test_views_helpers import make_lead

NEW = "/leads/new/"


def test_new_lead_assigned_to_me_opens_its_card(client, world):
    login(client, world.manager_north)
    response = client.post(
        NEW,
        {
            "name": "Ana Pop",
            "phone": "0722 123 456",
            "company": "Beta SRL",
            "source": "manual",
            "assign_to_me": "on",
        },
    )
    lead = Lead.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    assert (lead.first_name, lead.last_name, lead.phone, lead.company_name) == (
        "Ana",
        "Pop",
        "+40722123456",
        "Beta SRL",
    )
    assert lead.owner == world.manager_north and lead.team == world.north
    assert lead.source == "manual" and lead.created_by == world.manager_north
    assert lead.tasks.filter(done_at__isnull=True).count() == 1, "the first task is created"


def test_new_lead_without_assign_to_me_goes_through_distribution(client, world):
    login(client, world.manager_north)
    client.post(NEW, {"name": "Ana Pop", "email": "ana@beta.ro", "source": "manual"})
    lead = Lead.objects.get()
    assert lead.owner in (world.manager_north, world.manager_north2)
    assert lead.assignment_reason


def test_new_lead_page_offers_the_fast_form(client, world):
    body = login(client, world.manager_north).get(NEW).content.decode()
    for name in ("name", "phone", "email", "company", "interest", "source", "assign_to_me"):
        assert f'name="{name}"' in body
    assert "autofocus" in body


def test_marketer_may_enter_leads_but_not_own_them(client, world):
    login(client, world.marketer_north)
    assert 'name="assign_to_me"' not in client.get(NEW).content.decode()
    client.post(NEW, {"name": "Ana Pop", "email": "ana@beta.ro", "source": "manual", "assign_to_me": "on"})
    assert Lead.objects.get().owner != world.marketer_north


def test_something_without_a_person_becomes_an_interest(client, world):
    login(client, world.manager_north)
    response = client.post(
        NEW, {"company": "Gamma SA", "phone": "+40 21 300 4000", "source": "incoming_call"}
    )
    assert response.status_code == 302 and response["Location"] == "/interests/"
    assert not Lead.objects.exists()
    interest = Interest.objects.get()
    assert (interest.company_name, interest.phone, interest.source) == (
        "Gamma SA",
        "+40213004000",
        "incoming_call",
    )
    body = client.get("/interests/").content.decode()
    assert "Saved as an interest" in body and "Gamma SA" in body


def test_a_known_person_opens_the_existing_lead(client, world):
    existing = make_lead(owner=world.manager_north, team=world.north, email="ana@beta.ro")
    login(client, world.manager_north)
    response = client.post(NEW, {"name": "Ana P.", "email": "ANA@beta.ro", "source": "manual"})
    assert response.status_code == 302 and response["Location"] == f"/leads/{existing.pk}/"
    assert Lead.objects.count() == 1
    existing.refresh_from_db()
    assert existing.touch_count == 2
    assert LeadEvent.objects.filter(lead=existing, kind="touch").exists()
    body = client.get(response["Location"]).content.decode()
    assert f"already lead #{existing.pk}" in body


def test_a_duplicate_the_user_cannot_see_does_not_leak_the_card(client, world):
    other = make_lead(owner=world.manager_north2, team=world.north, phone="+40722999888")
    login(client, world.manager_north)
    response = client.post(NEW, {"name": "Dan", "phone": "0722 999 888", "source": "manual"})
    assert response["Location"] == "/leads/"
    other.refresh_from_db()
    assert other.touch_count == 2 and Lead.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "Ana", "phone": "12"}, "phone", "Not a possible phone number"),
        ({"name": "Ana", "email": "ana@"}, "email", "Not a valid e-mail address"),
        ({"source": "manual"}, "name", "Give at least a name and a phone or an e-mail"),
        (
            {"name": "Ana", "phone": "0722123456", "source": "carrier-pigeon"},
            "source",
            "Select a valid choice",
        ),
    ],
)
def test_bad_input_is_shown_next_to_the_field(client, world, data, field, message):
    login(client, world.manager_north)
    response = client.post(NEW, {"source": "manual", **data})
    assert response.status_code == 422
    body = response.content.decode()
    assert message in body
    assert f'name="{field}" id="id_{field}"' in body and "is-invalid" in body
    assert not Lead.objects.exists() and not Interest.objects.exists()


# --- interests ------------------------------------------------------------------------------


def interest(team, **raw):
    return intake_submit(raw=RawLead(**raw), ctx=IntakeContext(door="test", team=team)).record


def test_interests_list_counts_per_source_and_filters(client, world):
    call = interest(world.north, company="Gamma SA", phone="+40213004000", source="incoming_call")
    interest(world.north, company="Delta SA", source="incoming_call")
    form = interest(world.north, message="price please?", source="web_form")
    hidden = interest(world.south, company="South Kft", source="web_form")
    login(client, world.manager_north)
    body = client.get("/interests/").content.decode()
    assert "Incoming call <span" in body and ">2</span>" in body
    assert "Gamma SA" in body and "South Kft" not in body
    body = client.get("/interests/?source=web_form").content.decode()
    assert "Delta SA" not in body and f"/interests/{form.pk}/upgrade/" in body
    assert f"/interests/{hidden.pk}/upgrade/" not in body
    partial = client.get("/interests/?q=gamma", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "Gamma SA" in partial and "Delta SA" not in partial
    assert f"/interests/{call.pk}/upgrade/" in partial


def test_upgrade_an_interest_to_a_lead(client, world):
    found = interest(world.north, company="Gamma SA", phone="+40213004000", source="incoming_call")
    login(client, world.head_north)
    page = client.get(f"/interests/{found.pk}/upgrade/").content.decode()
    assert 'value="+40213004000"' in page
    response = client.post(
        f"/interests/{found.pk}/upgrade/",
        {"first_name": "Ioana", "last_name": "Marin", "phone": "+40213004000", "email": "ioana@gamma.ro"},
    )
    found.refresh_from_db()
    lead = found.upgraded_to
    assert lead is not None and lead.company_name == "Gamma SA" and lead.email == "ioana@gamma.ro"
    assert lead.source == "incoming_call"
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    assert lead.owner in (world.manager_north, world.manager_north2), "distributed like any new lead"
    # the interests list links to the lead now, and a second upgrade is refused politely
    assert f"Lead #{lead.pk}" in client.get("/interests/").content.decode()
    again = client.post(f"/interests/{found.pk}/upgrade/", {"first_name": "X", "phone": "+40213004001"})
    assert again.status_code == 302 and Lead.objects.count() == 1


def test_upgrade_needs_a_name_and_a_way_to_reach(client, world):
    found = interest(world.north, company="Gamma SA", source="incoming_call")
    login(client, world.manager_north)
    response = client.post(f"/interests/{found.pk}/upgrade/", {"first_name": "Ioana"})
    assert response.status_code == 422
    assert "Give a phone or an e-mail" in response.content.decode()
    response = client.post(f"/interests/{found.pk}/upgrade/", {"first_name": "Ioana", "phone": "xx"})
    assert response.status_code == 422 and "Not a phone number" in response.content.decode()
    found.refresh_from_db()
    assert found.upgraded_to is None and not Lead.objects.exists()


def test_upgrade_refuses_a_known_phone(client, world):
    existing = make_lead(owner=world.manager_north, team=world.north, phone="+40213004000")
    found = interest(world.north, company="Gamma SA", source="incoming_call")
    login(client, world.head_north)
    response = client.post(
        f"/interests/{found.pk}/upgrade/", {"first_name": "Ioana", "phone": "+40 21 300 4000"}
    )
    assert response.status_code == 422
    assert "Already on record" in response.content.decode()
    assert Lead.objects.get() == existing


def test_marketer_sees_interests_but_does_not_upgrade(client, world):
    found = interest(world.north, company="Gamma SA", source="incoming_call")
    login(client, world.marketer_north)
    body = client.get("/interests/").content.decode()
    assert "Gamma SA" in body and "/upgrade/" not in body
    response = client.post(
        f"/interests/{found.pk}/upgrade/", {"first_name": "Ioana", "phone": "+40213004001"}
    )
    assert response.status_code == 403
    assert not Lead.objects.exists()


def test_interest_of_another_team_is_404(client, world):
    hidden = interest(world.south, company="South Kft", source="web_form")
    login(client, world.manager_north)
    assert client.get(f"/interests/{hidden.pk}/upgrade/").status_code == 404
