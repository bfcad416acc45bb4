"""Managing intake forms: services (audited, scoped), the settings pages with the embeddable
snippet, the `/api/v1/intake-forms` API, and the public hosted form and thank-you pages."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.core.cache import cache

from clientela.conftest import login
from clientela.core.audit import history_for
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.intake.choices import FormKind
from clientela.intake.models import IntakeForm
from clientela.intake.services import (
    intake_form_create,
    intake_form_deactivate,
    intake_form_rotate_key,
    intake_form_update,
)
from clientela.leads.models import Lead


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def north_form(world):
    return intake_form_create(by=world.head_north, name="North site", team=world.north)


@pytest.fixture
def south_form(world):
    return intake_form_create(by=world.admin, name="South site", team=world.south)


# --- Services -----------------------------------------------------------------------------------


def test_create_is_audited_and_defaults_follow_the_kind(world):
    web = intake_form_create(by=world.marketer_north, name="  Pricing   page ")
    callback = intake_form_create(by=world.marketer_north, name="Call me", kind=FormKind.CALLBACK)
    assert (web.name, web.team, web.default_source) == ("Pricing page", world.north, "web_form")
    assert callback.default_source == "callback_widget"
    assert len(web.key) >= 20 and web.key != callback.key
    entry = history_for(web).get()
    assert entry.actor == world.marketer_north and entry.changes["name"] == [None, "Pricing page"]
    assert "key" not in entry.changes, "the key is a credential and stays out of the audit log"


def test_managers_cannot_manage_forms(world):
    with pytest.raises(PermissionDeniedError):
        intake_form_create(by=world.manager_north, name="Mine")
    assert not IntakeForm.objects.exists()


def test_a_marketer_cannot_create_a_form_for_another_team(world):
    with pytest.raises(BusinessError) as exc:
        intake_form_create(by=world.marketer_north, name="Theirs", team=world.south)
    assert "team" in exc.value.errors
    assert not IntakeForm.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "X", "rate_limit_per_hour": 0}, "rate_limit_per_hour"),
        ({"name": "X", "default_source": "billboard"}, "default_source"),
        ({"name": "X", "kind": "popup"}, "kind"),
    ],
)
def test_bad_values_are_field_errors(world, fields, field):
    with pytest.raises(BusinessError) as exc:
        intake_form_create(by=world.admin, team=world.north, **fields)
    assert field in exc.value.errors


def test_active_form_names_are_unique_per_team(world, north_form):
    with pytest.raises(BusinessError) as exc:
        intake_form_create(by=world.marketer_north, name="north SITE")
    assert "name" in exc.value.errors
    intake_form_create(by=world.admin, name="North site", team=world.south)  # another team: fine


def test_update_is_audited_and_scoped(world, north_form, south_form):
    intake_form_update(
        by=world.marketer_north, form=north_form, data={"default_campaign": "may", "rate_limit_per_hour": 5}
    )
    north_form.refresh_from_db()
    assert (north_form.default_campaign, north_form.rate_limit_per_hour) == ("may", 5)
    assert history_for(north_form).filter(action="update", actor=world.marketer_north).exists()
    with pytest.raises(PermissionDeniedError):
        intake_form_update(by=world.head_north, form=south_form, data={"name": "Mine now"})
    south_form.refresh_from_db()
    assert south_form.name == "South site"
    with pytest.raises(BusinessError) as exc:
        intake_form_update(by=world.admin, form=north_form, data={"key": "chosen"})
    assert "key" in exc.value.errors


def test_deactivate_and_rotate_key_close_the_old_door(client, world, north_form):
    old_key = north_form.key
    intake_form_rotate_key(by=world.head_north, form=north_form)
    assert north_form.key != old_key
    assert (
        client.post(f"/api/v1/intake/{old_key}", {"name": "A", "email": "a@example.com"}).status_code == 404
    )
    assert (
        client.post(f"/api/v1/intake/{north_form.key}", {"name": "A", "email": "a@example.com"}).status_code
        == 201
    )
    intake_form_deactivate(by=world.head_north, form=north_form)
    assert not IntakeForm.objects.get(pk=north_form.pk).is_active
    assert (
        client.post(f"/api/v1/intake/{north_form.key}", {"name": "B", "email": "b@example.com"}).status_code
        == 404
    )
    events = set(history_for(north_form).values_list("event", flat=True))
    assert "key_rotated" in events


# --- Settings pages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("head", 200), ("marketer", 200), ("manager", 403)]
)
def test_list_page_access_by_role(client, world, role, status):
    assert login(client, world.by_role(role)).get("/settings/intake-forms/").status_code == status


def test_list_shows_only_forms_of_my_teams_with_counts(
    client, world, north_form, south_form, django_assert_max_num_queries
):
    client.post(f"/api/v1/intake/{north_form.key}", {"name": "Ana", "email": "ana@example.com"})
    client.post(f"/api/v1/intake/{north_form.key}", {"company": "Beta SRL"})
    login(client, world.marketer_north)
    with django_assert_max_num_queries(12):
        page = client.get("/settings/intake-forms/").content.decode()
    assert "North site" in page and "South site" not in page
    form = IntakeForm.objects.filter(pk=north_form.pk)
    from clientela.intake.selectors import intake_form_list

    row = intake_form_list(viewer=world.marketer_north).get(pk=form.get().pk)
    assert (row.lead_count, row.interest_count) == (1, 1)


def test_other_teams_form_is_404(client, world, south_form):
    login(client, world.head_north)
    assert client.get(f"/settings/intake-forms/{south_form.pk}/").status_code == 404
    assert client.post(f"/settings/intake-forms/{south_form.pk}/deactivate/").status_code == 404
    assert IntakeForm.objects.get(pk=south_form.pk).is_active


def test_create_page_makes_a_form_and_shows_its_snippet(client, world):
    login(client, world.marketer_north)
    response = client.post(
        "/settings/intake-forms/new/",
        {
            "name": "Landing",
            "kind": "form",
            "team": world.north.pk,
            "default_source": "",
            "rate_limit_per_hour": 30,
        },
    )
    form = IntakeForm.objects.get(name="Landing")
    assert response.status_code == 302 and response["Location"] == f"/settings/intake-forms/{form.pk}/"
    assert (form.team, form.rate_limit_per_hour, form.default_source) == (world.north, 30, "web_form")
    page = client.get(response["Location"]).content.decode()
    snippet = unescape(re.search(r'<code id="snippet-code">(.*?)</code>', page, re.S).group(1))
    assert f'action="http://testserver/api/v1/intake/{form.key}"' in snippet
    for field in ("name", "phone", "email", "company", "consent", "website"):
        assert f'name="{field}"' in snippet
    assert 'type="checkbox" name="consent"' in snippet
    assert 'tabindex="-1"' in snippet and "aria-hidden" in snippet, "the honeypot is hidden from people"


def test_the_snippet_really_posts_a_lead(client, world, north_form):
    """Fill in the snippet's fields as a browser would and post to its action."""
    from clientela.intake.selectors import embed_snippet

    snippet = embed_snippet(north_form)
    action = re.search(r'action="([^"]+)"', snippet).group(1).removeprefix("http://testserver")
    names = re.findall(r'name="([^"]+)"', snippet)
    values = {
        "name": "Ana Pop",
        "phone": "0721 123 456",
        "email": "ana@example.com",
        "company": "",
        "consent": "yes",
    }
    data = {name: values.get(name, "") for name in names}
    response = client.post(action, data, headers={"Accept": "text/html"})
    assert response.status_code == 303
    lead = Lead.objects.get()
    assert (lead.full_name, lead.phone, lead.consent, lead.intake_form) == (
        "Ana Pop",
        "+40721123456",
        True,
        north_form,
    )


def test_callback_form_shows_a_call_me_snippet(client, world):
    form = intake_form_create(by=world.marketer_north, name="Call me", kind=FormKind.CALLBACK)
    page = login(client, world.marketer_north).get(f"/settings/intake-forms/{form.pk}/").content.decode()
    snippet = unescape(re.search(r'<code id="snippet-code">(.*?)</code>', page, re.S).group(1))
    assert 'name="phone" required' in snippet
    assert 'name="email"' not in snippet
    assert "Call me back" in snippet


def test_edit_page_saves_changes_and_shows_field_errors(client, world, north_form):
    login(client, world.head_north)
    base = {
        "name": "North site",
        "kind": "form",
        "team": world.north.pk,
        "default_source": "webinar",
        "default_campaign": "",
        "rate_limit_per_hour": 20,
        "is_active": "on",
    }
    assert client.post(f"/settings/intake-forms/{north_form.pk}/", base).status_code == 302
    north_form.refresh_from_db()
    assert north_form.default_source == "webinar"
    intake_form_create(by=world.head_north, name="Other", team=world.north)
    response = client.post(f"/settings/intake-forms/{north_form.pk}/", {**base, "name": "other"})
    assert response.status_code == 200
    assert "Choose another name." in response.content.decode()
    north_form.refresh_from_db()
    assert north_form.name == "North site"


def test_deactivate_and_new_key_buttons(client, world, north_form):
    login(client, world.marketer_north)
    old_key = north_form.key
    assert client.post(f"/settings/intake-forms/{north_form.pk}/rotate-key/").status_code == 302
    north_form.refresh_from_db()
    assert north_form.key != old_key
    assert client.post(f"/settings/intake-forms/{north_form.pk}/deactivate/").status_code == 302
    north_form.refresh_from_db()
    assert not north_form.is_active
    assert client.get(f"/settings/intake-forms/{north_form.pk}/deactivate/").status_code == 405


# --- Public pages -------------------------------------------------------------------------------


def test_hosted_form_page_and_thank_you_page_need_no_login(client, north_form, world):
    page = client.get(f"/f/{north_form.key}/")
    assert page.status_code == 200
    assert f'action="http://testserver/api/v1/intake/{north_form.key}"' in page.content.decode()
    assert client.get(f"/f/{north_form.key}/thanks/").status_code == 200
    intake_form_deactivate(by=world.admin, form=north_form)
    assert client.get(f"/f/{north_form.key}/").status_code == 404


# --- API ----------------------------------------------------------------------------------------


def test_api_list_is_scoped(client, world, api_token, north_form, south_form):
    body = client.get("/api/v1/intake-forms", headers=api_token(world.marketer_north)).json()
    assert [item["name"] for item in body["items"]] == ["North site"]
    assert body["count"] == 1
    item = body["items"][0]
    assert item["endpoint"] == f"http://testserver/api/v1/intake/{north_form.key}"
    assert item["team"] == {"id": world.north.pk, "name": "North"}
    assert client.get("/api/v1/intake-forms", headers=api_token(world.admin)).json()["count"] == 2
    assert client.get("/api/v1/intake-forms", headers=api_token(world.manager_north)).status_code == 403


def test_api_create_retrieve_update(client, world, api_token):
    headers = api_token(world.marketer_north)
    created = client.post(
        "/api/v1/intake-forms",
        data={"name": "Webinar signup", "default_source": "webinar", "rate_limit_per_hour": 10},
        content_type="application/json",
        headers=headers,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["team"]["id"] == world.north.pk, "defaults to my team"
    assert body["default_source"] == "webinar" and 'name="website"' in body["snippet"]
    form_id = body["id"]
    assert client.get(f"/api/v1/intake-forms/{form_id}", headers=headers).json()["name"] == "Webinar signup"
    patched = client.patch(
        f"/api/v1/intake-forms/{form_id}",
        data={"rate_limit_per_hour": 99, "is_active": False},
        content_type="application/json",
        headers=headers,
    )
    assert patched.status_code == 200
    assert (patched.json()["rate_limit_per_hour"], patched.json()["is_active"]) == (99, False)


def test_api_bad_input_is_422_with_fields(client, world, api_token):
    headers = api_token(world.marketer_north)
    response = client.post(
        "/api/v1/intake-forms",
        data={"name": "X", "team": world.south.pk, "rate_limit_per_hour": 0},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"team", "rate_limit_per_hour"}
    missing = client.post("/api/v1/intake-forms", data={}, content_type="application/json", headers=headers)
    assert missing.status_code == 422 and "name" in missing.json()["errors"]
    assert not IntakeForm.objects.exists()


def test_api_other_teams_form_is_404(client, world, api_token, south_form):
    headers = api_token(world.head_north)
    assert client.get(f"/api/v1/intake-forms/{south_form.pk}", headers=headers).status_code == 404
    response = client.patch(
        f"/api/v1/intake-forms/{south_form.pk}",
        data={"name": "Mine"},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 404
    assert client.post(f"/api/v1/intake-forms/{south_form.pk}/deactivate", headers=headers).status_code == 404
    assert IntakeForm.objects.get(pk=south_form.pk).name == "South site"


def test_api_deactivate_and_rotate(client, world, api_token, north_form):
    headers = api_token(world.head_north)
    old_key = north_form.key
    rotated = client.post(f"/api/v1/intake-forms/{north_form.pk}/rotate-key", headers=headers).json()
    assert rotated["key"] != old_key
    closed = client.post(f"/api/v1/intake-forms/{north_form.pk}/deactivate", headers=headers).json()
    assert closed["is_active"] is False


def test_large_rate_limits_survive_the_edit_page(client, world, north_form):
    intake_form_update(by=world.admin, form=north_form, data={"rate_limit_per_hour": 1500})
    page = login(client, world.head_north).get(f"/settings/intake-forms/{north_form.pk}/").content.decode()
    assert 'value="1500"' in page and 'max="10000"' in page, "numbers are not localised into '1,500'"
