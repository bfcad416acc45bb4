"""The lead card: what it shows, and every quick action through its page (happy path and a bad input)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clientela.clients.models import Client, Contact
from clientela.conftest import login
from clientela.core.audit import history_for
from clientela.leads.models import Lead, LeadEvent, LeadPolicy, RefusalReason
from clientela.leads.services.convert import lead_convert
from clientela.leads.services.lifecycle import lead_start_work, lead_touch
from clientela.leads.services.merge import lead_merge
from clientela.leads.tests.test_views_helpers import make_lead


def card(client, lead) -> str:
    response = client.get(f"/leads/{lead.pk}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def lead(world):
    return make_lead(
        owner=world.manager_north,
        team=world.north,
        first_name="Alexei",
        last_name="Morozov",
        company_name="Vektor SRL",
        email="alexei@alfa.ro",
        phone="+40721555111",
        product="Fleet tracking",
    )


def test_card_shows_fields_links_timeline_and_candidates(client, world, lead):
    twin = make_lead(
        owner=world.manager_north,
        team=world.north,
        first_name="Алексей",
        last_name="Морозов",
        company_name="ООО Вектор",
    )
    stranger = make_lead(owner=world.manager_north, team=world.north, first_name="Maria", last_name="Ionescu")
    lead_start_work(by=world.manager_north, lead=lead)
    body = card(login(client, world.manager_north), lead)
    assert 'href="tel:+40721555111"' in body and 'href="mailto:alexei@alfa.ro"' in body
    assert "Vektor SRL" in body and "Fleet tracking" in body
    # the timeline: creation, assignment and the status change, with their icons
    for text in ("Lead created from Web form", "Assigned to Mara by hand", "New → In work"):
        assert text in body
    assert "ti-sparkles" in body and "ti-user-share" in body and "ti-arrows-exchange" in body
    # fuzzy duplicates (transliteration-aware) with a merge button
    assert f'href="/leads/{twin.pk}/"' in body
    assert f'href="/leads/{stranger.pk}/"' not in body
    assert f'name="other" value="{twin.pk}"' in body and "data-confirm" in body
    # score breakdown, completeness, checklist
    assert "Why this score" in body and "Card completeness" in body and "5 of 5 fields" in body
    assert "Budget / solvency" in body


def test_card_explains_temperature_and_missing_fields(client, world):
    sparse = make_lead(
        owner=world.manager_north,
        team=world.north,
        company_name="",
        product="",
        source="other",
        temperature="hot",
    )
    body = card(login(client, world.manager_north), sparse)
    assert "lead-temp-hot" in body and "Hot" in body
    assert "given at intake" in body, "the why of the temperature is on the card"
    assert "2 of 5 fields" in body and "below the 3–5 field norm" in body
    assert "Missing: Interested in, Company, Source" in body


def test_card_of_an_invisible_lead_is_404(client, world, lead):
    assert login(client, world.manager_south).get(f"/leads/{lead.pk}/").status_code == 404
    assert client.get(f"/leads/{lead.pk}/refuse/").status_code == 404


def test_card_query_count_is_bounded(client, world, lead, django_assert_max_num_queries):
    """A constant number of queries, however long the timeline (the panels other apps add to
    the card — activities, mail threads, clocks — bring their own few)."""
    login(client, world.manager_north)
    with CaptureQueriesContext(connection) as short:
        card(client, lead)
    for _ in range(10):
        lead_touch(lead=lead, by=None, source="web")
    with django_assert_max_num_queries(len(short.captured_queries)):
        card(client, lead)
    assert len(short.captured_queries) <= 22


# --- quick actions --------------------------------------------------------------------------


def test_take_into_work(client, world, lead):
    login(client, world.manager_north)
    response = client.post(f"/leads/{lead.pk}/start/")
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "in_work"
    # twice: a clear message, no 500
    response = client.post(f"/leads/{lead.pk}/start/", follow=True)
    assert "Only a new lead can be taken into work" in response.content.decode()


def test_qualify_all_required_items_makes_it_qualified(client, world, lead):
    login(client, world.manager_north)
    response = client.post(
        f"/leads/{lead.pk}/qualify/", {"need": "on", "budget": "on", "authority": "on", "timing": "on"}
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "qualified"
    assert lead.qualification == {"need": True, "budget": True, "authority": True, "timing": True}


def test_qualify_partly_says_what_is_missing(client, world, lead):
    LeadPolicy.objects.create(team=world.north, qualification_items=["need", "budget"])
    login(client, world.manager_north)
    response = client.post(f"/leads/{lead.pk}/qualify/", {"need": "on"}, follow=True)
    assert "Still missing: Budget / solvency" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == "new" and lead.qualification["budget"] is False


def test_qualify_a_converted_lead_shows_the_error(client, world, lead):
    lead_convert(by=world.manager_north, lead=lead, client_name="Alfa")
    login(client, world.manager_north)
    response = client.post(f"/leads/{lead.pk}/qualify/", {"need": "on"})
    assert response.status_code == 422
    assert "already converted" in response.content.decode()


def test_inline_edit_normalises_and_records(client, world, lead):
    login(client, world.manager_north)
    data = {
        "first_name": "Alexei",
        "last_name": "Morozov",
        "phone": "0721 000 999",
        "email": "  Alexei@ALFA.ro ",
        "company_name": "Alfa Group",
        "source": "referral",
        "temperature": "warm",
        "consent": "on",
    }
    response = client.post(f"/leads/{lead.pk}/edit/", data)
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.phone, lead.phone_raw, lead.email) == ("+40721000999", "0721 000 999", "alexei@alfa.ro")
    assert lead.company_name == "Alfa Group" and lead.origin == "seed"
    assert lead.temperature == "warm" and lead.temperature_manual
    assert lead.consent and lead.consent_at is not None
    event = LeadEvent.objects.filter(lead=lead, kind="edited").get()
    assert "phone" in event.data["changes"] and "company_name" in event.data["changes"]
    assert history_for(lead).filter(action="update").exists()


def test_inline_edit_bad_email_is_a_field_error_and_changes_nothing(client, world, lead):
    login(client, world.manager_north)
    response = client.post(
        f"/leads/{lead.pk}/edit/",
        {
            "first_name": "Alexei",
            "last_name": "Morozov",
            "email": "not-an-email",
            "phone": "",
            "source": "web_form",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Not a valid e-mail address" in body and "is-invalid" in body
    lead.refresh_from_db()
    assert lead.email == "alexei@alfa.ro"


def test_htmx_action_errors_come_back_as_the_form_only(client, world, lead):
    login(client, world.manager_north)
    response = client.post(
        f"/leads/{lead.pk}/postpone/", {"until": "2001-01-01"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "<html" not in body and 'id="action-postpone"' in body
    assert "Choose a date after today" in body


def test_htmx_action_success_redirects_the_page(client, world, lead):
    login(client, world.manager_north)
    until = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    response = client.post(f"/leads/{lead.pk}/postpone/", {"until": until}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/leads/{lead.pk}/"
    lead.refresh_from_db()
    assert lead.status == "postponed" and lead.postponed_until.isoformat() == until


def test_convert_to_a_new_client_with_another_owner(client, world, lead):
    login(client, world.manager_north)
    response = client.post(
        f"/leads/{lead.pk}/convert/",
        {
            "client_name": "Alfa Group SRL",
            "client_owner": world.manager_north2.pk,
            "contact_role": "decision_maker",
        },
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "converted" and lead.converted_at is not None
    assert lead.client.name == "Alfa Group SRL" and lead.client.owner == world.manager_north2
    assert lead.contact.role == "decision_maker" and lead.contact.email == "alexei@alfa.ro"
    body = card(client, lead)
    assert "Alfa Group SRL" in body and "Converted on" in body
    assert 'id="modal-convert"' not in body, "a converted lead offers no conversion"


def test_convert_attaches_to_an_existing_visible_client(client, world, lead):
    existing = Client.objects.create(name="Alfa Holding", owner=world.manager_north, team=world.north)
    login(client, world.manager_north)
    search = client.get(f"/leads/{lead.pk}/convert/clients/?client_q=holding").content.decode()
    assert f'value="{existing.pk}"' in search
    response = client.post(f"/leads/{lead.pk}/convert/", {"client": existing.pk})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.client == existing
    assert Client.objects.count() == 1 and Contact.objects.filter(client=existing).count() == 1


def test_convert_cannot_use_a_client_of_another_team(client, world, lead):
    foreign = Client.objects.create(name="Alfa South", owner=world.manager_south, team=world.south)
    login(client, world.manager_north)
    search = client.get(f"/leads/{lead.pk}/convert/clients/?client_q=alfa").content.decode()
    assert "Alfa South" not in search
    response = client.post(f"/leads/{lead.pk}/convert/", {"client": foreign.pk})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == "new" and not Contact.objects.exists()


def test_convert_does_not_duplicate_a_client_someone_else_manages(client, world, lead, api_token):
    Client.objects.create(
        name="Vektor SRL", country=lead.country, owner=world.manager_south, team=world.south
    )
    login(client, world.manager_north)
    response = client.post(f"/leads/{lead.pk}/convert/", {"client_name": " vektor srl "})
    assert response.status_code == 422
    page = response.content.decode()
    assert f"Vektor SRL is already a client of {world.manager_south}" in page and "invalid-feedback" in page
    api = client.post(
        f"/api/v1/leads/{lead.pk}/convert",
        data={"client_name": "Vektor SRL"},
        content_type="application/json",
        headers=api_token(world.manager_north),
    )
    assert api.status_code == 422 and "client_name" in api.json()["errors"]
    lead.refresh_from_db()
    assert lead.status == "new" and Client.objects.count() == 1 and not Contact.objects.exists()
    # Another company that happens to share the name converts under a distinguishing one.
    response = client.post(f"/leads/{lead.pk}/convert/", {"client_name": "Vektor SRL Cluj"})
    assert response.status_code == 302 and Client.objects.count() == 2


def test_convert_points_to_the_visible_client_of_that_name(client, world, lead):
    existing = Client.objects.create(
        name="Vektor SRL", country=lead.country, owner=world.manager_north, team=world.north
    )
    login(client, world.manager_north)
    response = client.post(f"/leads/{lead.pk}/convert/", {"client_name": "Vektor SRL"})
    assert response.status_code == 422
    assert "Vektor SRL is already a client: choose it above" in response.content.decode()
    response = client.post(f"/leads/{lead.pk}/convert/", {"client": existing.pk})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.client == existing and Client.objects.count() == 1


def test_convert_needs_a_client(client, world, lead):
    login(client, world.manager_north)
    response = client.post(f"/leads/{lead.pk}/convert/", {"client_name": "  "})
    assert response.status_code == 422
    assert "Choose an existing client or name a new one" in response.content.decode()


def test_refuse_with_farewell_and_recontact_date(client, world, lead, django_capture_on_commit_callbacks):
    reason = RefusalReason.objects.get(code="competitor")
    until = timezone.localdate() + dt.timedelta(days=60)
    login(client, world.manager_north)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            f"/leads/{lead.pk}/refuse/",
            {
                "reason": reason.pk,
                "note": "went with X",
                "farewell": "on",
                "postpone_until": until.isoformat(),
            },
        )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.status, lead.refusal_reason, lead.postponed_until) == ("postponed", reason, until)
    assert callbacks, "the farewell letter is queued on commit"
    assert "Refused: Chose a competitor" in card(client, lead)


def test_refuse_without_reason_or_with_past_date_shows_field_errors(client, world, lead):
    login(client, world.manager_north)
    response = client.post(f"/leads/{lead.pk}/refuse/", {"note": "x"})
    assert response.status_code == 422 and "This field is required" in response.content.decode()
    response = client.post(
        f"/leads/{lead.pk}/refuse/",
        {"reason": RefusalReason.objects.first().pk, "postpone_until": "2001-01-01"},
    )
    assert response.status_code == 422 and "Choose a date after today" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == "new"


def test_refuse_farewell_needs_an_email(client, world):
    phone_only = make_lead(owner=world.manager_north, team=world.north, email="")
    login(client, world.manager_north)
    response = client.post(
        f"/leads/{phone_only.pk}/refuse/", {"reason": RefusalReason.objects.first().pk, "farewell": "on"}
    )
    assert response.status_code == 422
    assert "Add an e-mail address first" in response.content.decode()


def test_switched_off_reason_cannot_be_chosen(client, world, lead):
    reason = RefusalReason.objects.get(code="quality")
    reason.is_active = False
    reason.save()
    login(client, world.manager_north)
    response = client.post(f"/leads/{lead.pk}/refuse/", {"reason": reason.pk})
    assert response.status_code == 422
    lead.refresh_from_db()
    assert lead.status == "new"


def test_postpone_page_without_javascript(client, world, lead):
    login(client, world.manager_north)
    page = client.get(f"/leads/{lead.pk}/postpone/").content.decode()
    assert "<html" in page and 'name="until"' in page
    response = client.post(f"/leads/{lead.pk}/postpone/", {"until": "tomorrow"})
    assert response.status_code == 422 and "Enter a valid date" in response.content.decode()


def test_head_reassigns_and_both_are_told(client, world, lead):
    login(client, world.head_north)
    response = client.post(
        f"/leads/{lead.pk}/assign/", {"owner": world.manager_north2.pk, "reason": "holiday"}
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.owner == world.manager_north2
    assert world.manager_north2.notifications.filter(verb="lead_assigned").exists()
    assert world.manager_north.notifications.filter(verb="lead_reassigned").exists()


def test_reassign_to_someone_outside_the_team_is_a_field_error(client, world, lead):
    login(client, world.head_north)
    response = client.post(f"/leads/{lead.pk}/assign/", {"owner": world.manager_south.pk})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    lead.refresh_from_db()
    assert lead.owner == world.manager_north


def test_manager_cannot_reassign(client, world, lead):
    login(client, world.manager_north)
    assert client.get(f"/leads/{lead.pk}/assign/").status_code == 403
    response = client.post(f"/leads/{lead.pk}/assign/", {"owner": world.manager_north2.pk})
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.owner == world.manager_north


def test_manager_takes_an_unassigned_lead_of_the_team(client, world):
    queued = make_lead(owner=None, team=world.north, unassigned=True)
    login(client, world.manager_north2)
    body = card(client, queued)
    assert "Take this lead" in body and "Take into work" not in body
    response = client.post(f"/leads/{queued.pk}/take/")
    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.owner == world.manager_north2 and queued.status == "in_work"


@pytest.mark.parametrize("action", ["refuse", "postpone", "convert", "qualify", "edit"])
def test_marketer_sees_the_card_but_actions_are_403(client, world, lead, action):
    login(client, world.marketer_north)
    body = card(client, lead)
    assert 'id="modal-refuse"' not in body
    response = client.post(
        f"/leads/{lead.pk}/{action}/", {"reason": RefusalReason.objects.first().pk, "client_name": "X"}
    )
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.status == "new"


def test_merge_from_the_card_keeps_both_histories(client, world, lead):
    twin = make_lead(
        owner=world.manager_north,
        team=world.north,
        first_name="Алексей",
        last_name="Морозов",
        company_name="",
        email="",
        phone="+40721555999",
        position="CEO",
    )
    lead_start_work(by=world.manager_north, lead=twin)
    twin_events = set(LeadEvent.objects.filter(lead=twin).values_list("pk", flat=True))
    login(client, world.manager_north)
    response = client.post(f"/leads/{lead.pk}/merge/", {"other": twin.pk}, follow=True)
    assert response.status_code == 200
    twin.refresh_from_db()
    lead.refresh_from_db()
    assert twin.merged_into == lead
    assert twin_events <= set(LeadEvent.objects.filter(lead=lead).values_list("pk", flat=True))
    assert lead.position == "CEO", "empty fields are filled from the merged lead"
    body = response.content.decode()
    assert f"Lead #{twin.pk} merged into this one" in body
    assert "This lead was merged into lead" in card(client, twin)


def test_merge_errors_are_messages_not_500(client, world, lead):
    login(client, world.manager_north)
    response = client.post(f"/leads/{lead.pk}/merge/", {"other": lead.pk}, follow=True)
    assert "cannot be merged into itself" in response.content.decode()
    foreign = make_lead(owner=world.manager_south, team=world.south)
    assert client.post(f"/leads/{lead.pk}/merge/", {"other": foreign.pk}).status_code == 404
    assert client.post(f"/leads/{lead.pk}/merge/", {"other": "x"}).status_code == 302
    assert not Lead.objects.filter(merged_into__isnull=False).exists()


def test_note_goes_on_the_timeline(client, world, lead):
    login(client, world.manager_north)
    response = client.post(f"/leads/{lead.pk}/note/", {"text": "Called, asked for a demo next week"})
    assert response.status_code == 302
    note = LeadEvent.objects.get(lead=lead, kind="note")
    assert note.actor == world.manager_north
    assert "Called, asked for a demo next week" in card(client, lead)
    assert history_for(lead).filter(event="note").exists()


def test_empty_note_is_a_field_error(client, world, lead):
    login(client, world.manager_north)
    response = client.post(f"/leads/{lead.pk}/note/", {"text": "  "}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "This field is required" in body and "<html" not in body
    assert not LeadEvent.objects.filter(lead=lead, kind="note").exists()


def test_no_notes_on_a_merged_lead(client, world, lead):
    twin = make_lead(owner=world.manager_north, team=world.north, first_name="Alexei", last_name="Morozov")
    lead_merge(by=world.manager_north, target=lead, other=twin)
    login(client, world.manager_north)
    response = client.post(f"/leads/{twin.pk}/note/", {"text": "late"})
    assert response.status_code == 422 and "add the note there" in response.content.decode()
    assert not LeadEvent.objects.filter(kind="note").exists()


def test_marketer_cannot_add_notes(client, world, lead):
    login(client, world.marketer_north)
    assert client.post(f"/leads/{lead.pk}/note/", {"text": "hi"}).status_code == 403
    assert not LeadEvent.objects.filter(lead=lead, kind="note").exists()


def test_refusal_questionnaire_records_the_answer(client, world, lead):
    from clientela.leads.tasks import questionnaire_token

    url = f"/q/refusal/{questionnaire_token(lead)}/"
    assert "What mattered most" in client.get(url).content.decode()
    assert client.post(url, {"reason": "nonsense"}).status_code == 422
    response = client.post(url, {"reason": "price", "comment": "too dear"})
    assert response.status_code == 200
    answer = LeadEvent.objects.get(lead=lead, kind="note")
    assert answer.data == {"questionnaire_reason": "price", "comment": "too dear"}
    assert client.get("/q/refusal/forged-token/").status_code == 404
