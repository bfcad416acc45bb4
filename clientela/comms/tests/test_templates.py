"""Message templates: shipped defaults in five languages, the sandbox, save-time checks,
fallback to English, permissions, the API and the pages."""

from __future__ import annotations

import json

import pytest

from clientela.comms.choices import TemplateKey
from clientela.comms.models import MessageTemplate
from clientela.comms.templates import message_template_update, render_message, template_errors
from clientela.conftest import login
from clientela.core.audit import history_for
from clientela.core.errors import BusinessError, PermissionDeniedError

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "ro", "ru", "hu", "ms"]


def farewell(language="en") -> MessageTemplate:
    return MessageTemplate.objects.get(key=TemplateKey.FAREWELL, language=language)


def test_every_message_ships_in_five_languages_and_renders():
    assert MessageTemplate.objects.count() == len(TemplateKey.values) * len(LANGUAGES)
    for key in TemplateKey.values:
        for language in LANGUAGES:
            row = MessageTemplate.objects.get(key=key, language=language)
            assert template_errors(key=key, subject=row.subject, body=row.body) == {}


def test_render_uses_the_recipients_language_and_plain_values(world):
    context = {
        "lead": {"first_name": "Ștefan", "company_name": "Beta SRL"},
        "manager": world.manager_north,
        "questionnaire_url": "http://crm.example/q/abc/",
    }
    romanian = render_message(TemplateKey.FAREWELL, language="ro", context=context)
    assert romanian.language == "ro"
    assert romanian.subject == "Vă mulțumim pentru timpul acordat"
    assert "Bună ziua, Ștefan," in romanian.body
    assert "http://crm.example/q/abc/" in romanian.body
    assert str(world.manager_north) in romanian.body


def test_a_language_without_its_variant_falls_back_to_english():
    farewell("hu").delete()
    message = render_message(TemplateKey.FAREWELL, language="hu", context={"lead": {"first_name": "Anna"}})
    assert message.language == "en"
    assert message.body.startswith("Dear Anna,")


def test_records_are_reduced_to_their_allowed_fields(world):
    """A model instance in the context is never handed to the template: only listed attributes."""
    from clientela.leads.services.lifecycle import lead_create

    lead = lead_create(by=None, fields={"first_name": "Ion", "last_name": "Pop", "phone": "+40721120001"})
    message = render_message(TemplateKey.FOLLOW_UP, language="en", context={"lead": lead, "manager": None})
    assert message.body.startswith("Dear Ion,")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Hello {{ lead.firstname }}", "Unknown variable: lead.firstname"),
        ("{{ promised_at }}", "Unknown variable: promised_at"),  # only the acknowledgement has it
        ("{% load static %}", "cannot be used as a template"),
        ("{% include 'base.html' %}", "cannot be used as a template"),
        ("{% if lead.secret %}x{% endif %}", "Unknown variable: lead.secret"),
        ("{{ x|default:lead.password }}", "lead.password"),
        ("{% if deal.title %}unclosed", "cannot be used as a template"),
    ],
)
def test_bad_texts_are_field_errors_at_save_time(world, body, expected):
    row = farewell()
    with pytest.raises(BusinessError) as exc:
        message_template_update(by=world.admin, template=row, body=body)
    assert expected in exc.value.errors["body"][0]
    row.refresh_from_db()
    assert "{{ questionnaire_url }}" in row.body, "nothing changed"


def test_heads_and_admins_edit_managers_and_marketers_cannot(world):
    row = farewell()
    for person in (world.manager_north, world.marketer_north):
        with pytest.raises(PermissionDeniedError):
            message_template_update(by=person, template=row, subject="Nope")
    message_template_update(by=world.head_north, template=row, subject="Thanks, {{ recipient_name }}")
    row.refresh_from_db()
    assert row.subject == "Thanks, {{ recipient_name }}"
    assert row.updated_by == world.head_north
    assert history_for(row).filter(action="update", actor=world.head_north).exists()


def test_api_lists_reads_previews_and_updates(client, world, api_token):
    manager, admin = api_token(world.manager_north), api_token(world.admin)
    listing = client.get("/api/v1/templates?key=farewell", headers=manager)
    assert listing.status_code == 200
    assert sorted(item["language"] for item in listing.json()) == sorted(LANGUAGES)
    row = farewell("ru")
    one = client.get(f"/api/v1/templates/{row.pk}", headers=manager).json()
    assert one["subject"] == row.subject and any(v["name"] == "questionnaire_url" for v in one["variables"])
    preview = client.post(
        f"/api/v1/templates/{row.pk}/preview",
        json.dumps({"body": "Здравствуйте, {{ recipient_name }}! {{ questionnaire_url }}"}),
        content_type="application/json",
        headers=manager,
    )
    assert preview.status_code == 200
    assert preview.json()["body"].startswith("Здравствуйте, Andrei!")
    bad = client.post(
        f"/api/v1/templates/{row.pk}/preview",
        json.dumps({"subject": "{{ nope }}"}),
        content_type="application/json",
        headers=manager,
    )
    assert bad.status_code == 422 and "subject" in bad.json()["errors"]
    denied = client.patch(
        f"/api/v1/templates/{row.pk}",
        json.dumps({"subject": "x"}),
        content_type="application/json",
        headers=manager,
    )
    assert denied.status_code == 403
    invalid = client.patch(
        f"/api/v1/templates/{row.pk}",
        json.dumps({"body": "{{ client.tax_id }}"}),
        content_type="application/json",
        headers=admin,
    )
    assert invalid.status_code == 422 and "client.tax_id" in invalid.json()["errors"]["body"][0]
    changed = client.patch(
        f"/api/v1/templates/{row.pk}",
        json.dumps({"subject": "Спасибо, {{ recipient_name }}"}),
        content_type="application/json",
        headers=admin,
    )
    assert changed.status_code == 200 and changed.json()["subject"] == "Спасибо, {{ recipient_name }}"
    assert client.get("/api/v1/templates/999999", headers=manager).status_code == 404


def test_pages_list_edit_and_preview(client, world):
    row = farewell()
    login(client, world.manager_north)
    assert "Farewell letter" in client.get("/settings/templates/").content.decode()
    page = client.get(f"/settings/templates/{row.pk}/").content.decode()
    assert 'data-testid="preview-body"' in page and "Dear Andrei," in page, "preview with sample data"
    assert "readonly" in page
    preview = client.post(
        f"/settings/templates/{row.pk}/",
        {"subject": "Hi", "body": "Bye {{ recipient_name }}", "preview": "1"},
        headers={"HX-Request": "true"},
    )
    assert preview.status_code == 200
    assert "Bye Andrei" in preview.content.decode() and "<html" not in preview.content.decode()
    assert client.post(f"/settings/templates/{row.pk}/", {"subject": "Hi", "body": "x"}).status_code == 403
    login(client, world.head_north)
    bad = client.post(f"/settings/templates/{row.pk}/", {"subject": "Hi", "body": "{{ lead.nope }}"})
    assert bad.status_code == 200 and "Unknown variable: lead.nope" in bad.content.decode()
    saved = client.post(
        f"/settings/templates/{row.pk}/",
        {"subject": "Hi {{ recipient_name }}", "body": "Thanks\r\n{{ questionnaire_url }}"},
    )
    assert saved.status_code == 302
    row.refresh_from_db()
    assert row.body == "Thanks\n{{ questionnaire_url }}\n"
