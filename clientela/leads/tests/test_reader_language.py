"""Texts the system writes about a lead (its timeline, why it went to someone, its first task) are
shown in the language of whoever reads them, not of whoever happened to write them."""

from __future__ import annotations

import importlib

import pytest
from django.utils import translation

from clientela.activities.models import Task
from clientela.conftest import login
from clientela.leads.choices import LeadEventKind, Source
from clientela.leads.models import LeadEvent
from clientela.leads.services.lifecycle import lead_assign, lead_create


def russian(user):
    user.language = "ru"
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def romanian_written(world):
    """A lead that arrived from the web form while the writing process ran in Romanian."""
    with translation.override("ro"):
        lead = lead_create(
            by=None,
            fields={
                "first_name": "Ion",
                "last_name": "Lungu",
                "phone": "+40721550001",
                "source": Source.WEB_FORM,
            },
            owner=world.manager_north,
        )
    return lead


def test_a_russian_reader_sees_the_romanian_written_lead_in_russian(world, client, romanian_written):
    lead = romanian_written
    created = LeadEvent.objects.get(lead=lead, kind=LeadEventKind.CREATED)
    task = Task.objects.get(lead=lead, kind="first_contact")
    with translation.override("ru"):
        assert created.shown_text == "Лид создан, источник: Веб-форма"
        assert task.shown_title == "Первый контакт: Ion Lungu"
        assert lead.shown_assignment_reason == "Назначен вручную: Mara."
    russian(world.manager_north)
    page = login(client, world.manager_north).get(f"/leads/{lead.pk}/").content.decode()
    assert "Лид создан, источник: Веб-форма" in page
    assert "Назначен вручную: Mara." in page
    for romanian_or_english in ("Lead creat", "Lead created from", "Alocat manual", "Assigned to Mara"):
        assert romanian_or_english not in page
    worklist = client.get("/").content.decode()
    assert "Первый контакт: Ion Lungu" in worklist
    assert "Primul contact" not in worklist and "First contact with" not in worklist


def test_the_api_answers_an_english_user_in_english_with_the_code(world, client, api_token, romanian_written):
    lead = romanian_written
    headers = api_token(world.admin)  # reads English
    body = client.get(f"/api/v1/leads/{lead.pk}", headers=headers).json()
    assert body["assignment_reason"] == "Assigned to Mara by hand."
    assert body["assignment_message"] == {"code": "leads.assigned_by_hand", "params": {"name": "Mara"}}
    history = client.get(f"/api/v1/leads/{lead.pk}/history", headers=headers).json()["items"]
    created = next(item for item in history if item["kind"] == "created")
    assert created["text"] == "Lead created from Web form"
    assert created["message"]["code"] == "leads.created"
    assert created["message"]["params"]["source"]["code"] == "web_form"
    tasks = client.get(f"/api/v1/tasks?lead={lead.pk}", headers=headers).json()["items"]
    assert [t["title"] for t in tasks] == ["First contact with Ion Lungu"]
    assert tasks[0]["title_message"]["code"] == "tasks.first_contact"
    # The same lead read through the API by a Russian user: in Russian.
    russian(world.admin)
    body = client.get(f"/api/v1/leads/{lead.pk}", headers=headers).json()
    assert body["assignment_reason"] == "Назначен вручную: Mara."


def test_the_distribution_reason_is_shown_in_the_readers_language(world):
    with translation.override("ro"):
        lead = lead_create(
            by=None,
            fields={"first_name": "Ana", "last_name": "Dima", "phone": "+40721550002", "team": world.north},
        )
    assert lead.owner is not None
    with translation.override("en"):
        english = lead.shown_assignment_reason
    with translation.override("ru"):
        russian_text = lead.shown_assignment_reason
    assert english.startswith(f"Assigned to {lead.owner} because no rule took it")
    assert "least loaded" in english
    assert russian_text.startswith(f"Назначен ответственный {lead.owner}: ни одно правило не подошло")
    assert "наименее загруженный" in russian_text
    assert "least loaded" not in russian_text and "cel mai puțin" not in russian_text


def test_a_typed_reason_and_a_typed_title_stay_as_typed(world):
    with translation.override("ro"):
        lead = lead_create(
            by=None,
            fields={"first_name": "Dan", "last_name": "Rus", "phone": "+40721550003"},
            owner=world.manager_north,
        )
    lead_assign(by=world.head_north, lead=lead, owner=world.manager_north2, reason="Vorbește germană")
    lead.refresh_from_db()
    assert lead.assignment_message is None
    with translation.override("ru"):
        assert lead.shown_assignment_reason == "Vorbește germană"


def test_lines_stored_as_romanian_text_are_converted_and_notes_are_left(world):
    from django.apps import apps

    migration = importlib.import_module("clientela.leads.migrations.0008_stored_texts_as_messages")
    lead = lead_create(
        by=None,
        fields={"first_name": "Vlad", "last_name": "Stan", "phone": "+40721550004"},
        owner=world.manager_north,
    )
    LeadEvent.objects.filter(lead=lead).delete()
    old = LeadEvent.objects.create(lead=lead, kind=LeadEventKind.TOUCH, text="A revenit prin Fișier importat")
    note = LeadEvent.objects.create(lead=lead, kind=LeadEventKind.NOTE, text="Lead creat din Formular web")
    type(lead).objects.filter(pk=lead.pk).update(
        assignment_reason="Alocat manual lui Mara.", assignment_message=None
    )
    migration.convert(apps, None)
    old.refresh_from_db()
    note.refresh_from_db()
    lead.refresh_from_db()
    with translation.override("ru"):
        assert old.shown_text == "Повторное обращение, источник: Импорт из файла"
        assert lead.shown_assignment_reason == "Назначен вручную: Mara."
    assert note.text_message is None  # a person's note stays as typed
