"""The public intake endpoint `POST /api/v1/intake/{form_key}`: no login, JSON or form posts,
dedup, interests, idempotency, honeypot, rate limits, CORS, and the HTML form's redirect."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.cache import cache

from clientela.activities.choices import Priority, TaskKind
from clientela.activities.models import Task
from clientela.core import api as core_api
from clientela.intake import api as intake_api
from clientela.intake.choices import FormKind
from clientela.intake.services import intake_form_create, intake_form_deactivate
from clientela.leads.choices import LeadEventKind
from clientela.leads.models import Interest, Lead


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def web_form(world):
    return intake_form_create(
        by=world.marketer_north, name="Pricing page", default_campaign="spring-sale", rate_limit_per_hour=50
    )


@pytest.fixture
def callback_form(world):
    return intake_form_create(by=world.marketer_north, name="Call me widget", kind=FormKind.CALLBACK)


def url(form) -> str:
    return f"/api/v1/intake/{form.key}"


def post_json(client, form, body, **headers):
    return client.post(url(form), data=json.dumps(body), content_type="application/json", headers=headers)


def assert_error_shape(body: dict) -> None:
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str) and body["detail"]


# --- Leads, interests, defaults ----------------------------------------------------------------


def test_json_post_without_login_creates_a_lead_in_the_forms_team(client, web_form, world):
    response = post_json(
        client,
        web_form,
        {"name": "Ana Pop", "phone": "0721 123 456", "email": "Ana@Example.com", "consent": True},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    lead = Lead.objects.get()
    assert body == {"kind": "lead", "id": lead.pk, "duplicate_of": None}
    assert response["Access-Control-Allow-Origin"] == "*"
    assert (lead.first_name, lead.last_name) == ("Ana", "Pop")
    assert (lead.phone, lead.email) == ("+40721123456", "ana@example.com"), "team North's country is RO"
    assert lead.team == world.north
    assert lead.intake_form == web_form
    assert (lead.source, lead.campaign, lead.origin) == ("web_form", "spring-sale", "net")
    assert lead.consent and lead.consent_at is not None and lead.consent_source == "form"
    task = Task.objects.get(lead=lead)
    assert task.kind == TaskKind.FIRST_CONTACT


def test_split_name_and_the_forms_own_source_and_campaign_are_kept(client, web_form):
    response = post_json(
        client,
        web_form,
        {
            "first_name": "Ștefan",
            "last_name": "Ionescu",
            "email": "stefan@example.ro",
            "source": "webinar",
            "utm_campaign": "webinar-may",
            "interest": "CRM Pro",
            "message": "Please send prices",
        },
    )
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.source) == ("Ștefan", "Ionescu", "webinar")
    assert (lead.campaign, lead.product, lead.message) == ("webinar-may", "CRM Pro", "Please send prices")


@pytest.mark.parametrize(
    "body",
    [
        {"company": "Alpha SRL", "phone": "+40 21 555 1234"},  # switchboard, no person
        {"name": "Ion Popescu", "message": "call me"},  # nobody to reach
    ],
)
def test_attention_without_a_reachable_person_becomes_an_interest(client, web_form, world, body):
    response = post_json(client, web_form, body)
    assert response.status_code == 201
    interest = Interest.objects.get()
    assert response.json() == {"kind": "interest", "id": interest.pk, "duplicate_of": None}
    assert (interest.team, interest.intake_form, interest.source) == (world.north, web_form, "web_form")
    assert not Lead.objects.exists()


# --- Deduplication ------------------------------------------------------------------------------


@pytest.mark.parametrize("second", ["0040721123456", "(+40) 721-123-456", "0721 123 456", "+40721123456"])
def test_same_phone_written_differently_is_a_touch_not_a_second_lead(client, web_form, second):
    first = post_json(client, web_form, {"name": "Ana Pop", "phone": "+40 721 123 456"}).json()
    response = post_json(client, web_form, {"name": "Ana P.", "phone": second, "message": "again"})
    assert response.status_code == 201
    assert response.json() == {"kind": "lead", "id": first["id"], "duplicate_of": first["id"]}
    lead = Lead.objects.get()
    assert lead.touch_count == 2
    assert lead.events.filter(kind=LeadEventKind.TOUCH).count() == 1


def test_same_email_in_other_case_is_a_touch(client, web_form):
    first = post_json(client, web_form, {"name": "Ana Pop", "email": "ana.pop@example.com"}).json()
    response = post_json(client, web_form, {"name": "Ana Pop", "email": "  ANA.Pop@Example.COM "})
    assert response.json()["duplicate_of"] == first["id"]
    assert Lead.objects.count() == 1


def test_duplicate_across_doors_is_found_too(client, web_form, callback_form):
    first = post_json(client, web_form, {"name": "Ana Pop", "phone": "+40 721 123 456"}).json()
    again = post_json(client, callback_form, {"name": "Ana", "phone": "0721123456"}).json()
    assert again == {"kind": "lead", "id": first["id"], "duplicate_of": first["id"]}


# --- Idempotency --------------------------------------------------------------------------------


def test_repeated_idempotency_key_returns_the_first_answer_and_creates_nothing(client, web_form):
    body = {"name": "Ana Pop", "phone": "+40 721 123 456", "idempotency_key": "order-42"}
    first = post_json(client, web_form, body)
    second = post_json(client, web_form, body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    lead = Lead.objects.get()
    assert lead.touch_count == 1, "a replay is not a new touch"
    assert lead.events.count() == 2  # created + assigned, nothing from the replay


def test_idempotency_key_may_come_as_a_header(client, web_form):
    body = {"name": "Ana Pop", "email": "ana@example.com"}
    first = post_json(client, web_form, body, **{"Idempotency-Key": "k-1"}).json()
    second = post_json(client, web_form, {**body, "email": "other@example.com"}, **{"Idempotency-Key": "k-1"})
    assert second.json() == first
    assert Lead.objects.count() == 1


def test_failed_submission_does_not_burn_the_key(client, web_form):
    bad = post_json(client, web_form, {"name": "Ana", "email": "not-an-email", "idempotency_key": "k-2"})
    assert bad.status_code == 422
    good = post_json(client, web_form, {"name": "Ana", "email": "ana@example.com", "idempotency_key": "k-2"})
    assert good.status_code == 201 and good.json()["kind"] == "lead"


# --- Spam protection ----------------------------------------------------------------------------


def test_honeypot_answers_success_but_keeps_nothing_and_logs(client, web_form, caplog):
    with caplog.at_level(logging.WARNING, logger="clientela.intake.api"):
        response = post_json(
            client, web_form, {"name": "Bot", "email": "bot@spam.example", "website": "http://spam.example"}
        )
    assert response.status_code == 201
    assert response.json()["kind"] == "lead"
    assert not Lead.objects.exists() and not Interest.objects.exists()
    assert any("honeypot" in record.getMessage() for record in caplog.records)


def test_rate_limit_per_address(client, web_form):
    web_form.rate_limit_per_hour = 3
    web_form.save()
    statuses = [
        post_json(client, web_form, {"name": f"P{i}", "email": f"p{i}@example.com"}).status_code
        for i in range(5)
    ]
    assert statuses == [201, 201, 201, 429, 429]
    assert Lead.objects.count() == 3
    limited = post_json(client, web_form, {"name": "P9", "email": "p9@example.com"})
    assert_error_shape(limited.json())
    assert int(limited["Retry-After"]) >= 1
    assert limited["Access-Control-Allow-Origin"] == "*"
    other_address = client.post(
        url(web_form),
        data=json.dumps({"name": "Q", "email": "q@example.com"}),
        content_type="application/json",
        REMOTE_ADDR="10.1.2.3",
    )
    assert other_address.status_code == 201, "the limit is per address"


def test_rate_limit_per_form_across_addresses(client, web_form, monkeypatch):
    monkeypatch.setattr(intake_api, "FORM_CAP_PER_HOUR", 2)
    statuses = [
        client.post(
            url(web_form),
            data=json.dumps({"name": f"P{i}", "email": f"p{i}@example.com"}),
            content_type="application/json",
            REMOTE_ADDR=f"10.0.0.{i}",
        ).status_code
        for i in range(4)
    ]
    assert statuses == [201, 201, 429, 429]


def test_forwarded_for_is_ignored_unless_behind_a_trusted_proxy(client, web_form, settings):
    web_form.rate_limit_per_hour = 1
    web_form.save()
    settings.AXES_IPWARE_PROXY_COUNT = None
    first = post_json(
        client, web_form, {"name": "A", "email": "a@example.com"}, **{"X-Forwarded-For": "1.1.1.1"}
    )
    spoofed = post_json(
        client, web_form, {"name": "B", "email": "b@example.com"}, **{"X-Forwarded-For": "2.2.2.2"}
    )
    assert (first.status_code, spoofed.status_code) == (201, 429)
    settings.AXES_IPWARE_PROXY_COUNT = 1
    behind_proxy = post_json(
        client, web_form, {"name": "C", "email": "c@example.com"}, **{"X-Forwarded-For": "3.3.3.3"}
    )
    assert behind_proxy.status_code == 201


def test_the_api_throttles_do_not_apply(client, web_form, monkeypatch):
    for throttle in core_api.api.throttle:
        monkeypatch.setattr(throttle, "num_requests", 1)
    statuses = [
        post_json(client, web_form, {"name": f"P{i}", "email": f"p{i}@x.example"}).status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 201]


# --- Unknown forms, bad input -------------------------------------------------------------------


def test_unknown_or_closed_form_is_404(client, web_form, world):
    response = client.post("/api/v1/intake/no-such-key", data="{}", content_type="application/json")
    assert response.status_code == 404
    assert_error_shape(response.json())
    assert response["Access-Control-Allow-Origin"] == "*"
    intake_form_deactivate(by=world.marketer_north, form=web_form)
    closed = post_json(client, web_form, {"name": "Ana", "email": "ana@example.com"})
    assert closed.status_code == 404
    assert not Lead.objects.exists()


def test_bad_values_are_422_per_field_and_nothing_is_written(client, web_form):
    response = post_json(
        client, web_form, {"name": "Ana", "email": "ana@@example", "phone": "12", "country": "Romania"}
    )
    assert response.status_code == 422
    body = response.json()
    assert_error_shape(body)
    assert set(body["errors"]) == {"email", "phone", "country"}
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not Lead.objects.exists() and not Interest.objects.exists()


def test_nothing_to_go_on_is_422_on_name(client, web_form):
    response = post_json(client, web_form, {"consent": "yes"})
    assert response.status_code == 422
    assert "name" in response.json()["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ["Ana"], "email": "a@example.com"}, "name"),
        ({"name": "Ana", "email": {"x": 1}}, "email"),
        ({"name": "A" * 201, "email": "a@example.com"}, "name"),
        ({"name": "Ana", "email": "a@example.com", "consent": "maybe"}, "consent"),
        ({"name": "Ana", "email": "a@example.com", "source": "billboard"}, "source"),
    ],
)
def test_wrong_types_and_lengths_name_the_field(client, web_form, body, field):
    response = post_json(client, web_form, body)
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not Lead.objects.exists()


def test_numbers_and_booleans_in_json_are_accepted_as_text(client, web_form):
    response = post_json(client, web_form, {"name": "Ana", "phone": 40721123456, "consent": False})
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert lead.phone == "+40721123456" and lead.consent is False


def test_malformed_json_is_400(client, web_form):
    response = client.post(url(web_form), data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert_error_shape(response.json())
    assert client.post(url(web_form), data="[1, 2]", content_type="application/json").status_code == 400


def test_oversized_body_is_413_not_500(client, web_form, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post_json(client, web_form, {"name": "Ana", "email": "a@example.com", "message": "x" * 4000})
    assert response.status_code == 413
    assert_error_shape(response.json())
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    many_fields = "&".join(f"f{i}=1" for i in range(20))
    response = client.post(url(web_form), data=many_fields, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert not Lead.objects.exists()


# --- Form-encoded posts, HTML redirect, CORS ----------------------------------------------------


def test_form_encoded_body_is_accepted(client, web_form):
    response = client.post(
        url(web_form),
        data="name=Ana+Pop&phone=%2B40+721+123+456&consent=on&company=Alpha+SRL",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 201, response.content
    lead = Lead.objects.get()
    assert (lead.full_name, lead.phone, lead.company_name, lead.consent) == (
        "Ana Pop",
        "+40721123456",
        "Alpha SRL",
        True,
    )


def test_multipart_body_is_accepted(client, web_form):
    response = client.post(url(web_form), data={"name": "Ana Pop", "email": "ana@example.com"})
    assert response.status_code == 201
    assert response.json()["kind"] == "lead"


def test_browser_form_post_is_redirected_to_the_thank_you_page(client, web_form):
    response = client.post(
        url(web_form),
        data={"name": "Ana Pop", "email": "ana@example.com", "website": ""},
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    assert response.status_code == 303
    assert response["Location"] == f"/f/{web_form.key}/thanks/"
    assert Lead.objects.count() == 1
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Thank you" in page.content.decode()


def test_browser_form_post_with_errors_gets_a_readable_page(client, web_form):
    response = client.post(
        url(web_form),
        data={"name": "Ana", "email": "broken@"},
        headers={"Accept": "text/html", "Referer": "https://customer.example/contact"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Not a valid e-mail address" in page
    assert 'href="https://customer.example/contact"' in page


def test_honeypot_in_a_browser_post_also_redirects(client, web_form):
    response = client.post(
        url(web_form),
        data={"name": "Bot", "email": "b@x.example", "website": "spam"},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 303
    assert not Lead.objects.exists()


def test_cors_preflight(client, web_form):
    response = client.options(
        url(web_form),
        headers={
            "Origin": "https://customer.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Content-Type" in response["Access-Control-Allow-Headers"]


def test_other_api_endpoints_do_not_answer_cors(client, world, api_token):
    response = client.get("/api/v1/me", headers=api_token(world.admin))
    assert "Access-Control-Allow-Origin" not in response


# --- Callback ("call me") forms -----------------------------------------------------------------


def test_callback_form_creates_a_lead_with_an_urgent_call_back_task(client, callback_form, world):
    response = post_json(client, callback_form, {"name": "Ana Pop", "phone": "0721 123 456"})
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert lead.source == "callback_widget"
    task = Task.objects.get(lead=lead)
    assert (task.kind, task.priority) == (TaskKind.CALL_BACK, Priority.URGENT)
    assert task.assignee == lead.owner


def test_callback_form_needs_a_phone(client, callback_form):
    response = post_json(client, callback_form, {"name": "Ana Pop", "email": "ana@example.com"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["phone"]
    assert not Lead.objects.exists()


def test_endpoint_is_documented_without_auth(client, db):
    spec = client.get("/api/v1/openapi.json").json()
    operation = spec["paths"]["/api/v1/intake/{form_key}"]["post"]
    assert not operation.get("security")
    assert "application/x-www-form-urlencoded" in operation["requestBody"]["content"]
