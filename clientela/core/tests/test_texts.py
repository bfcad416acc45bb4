"""Stored texts (core.texts): a code and parameters, shown in the reader's language; texts written
before codes existed are recognised in any language; people's words stay as typed."""

from __future__ import annotations

import importlib

from django.utils import translation

from clientela.core.texts import Join, Label, Message, as_cell, recognise, render, render_cell, stored
from clientela.leads import texts as lead_texts

leads_migration = importlib.import_module("clientela.leads.migrations.0008_stored_texts_as_messages")
deals_migration = importlib.import_module("clientela.deals.migrations.0010_stored_texts_as_messages")
tasks_migration = importlib.import_module("clientela.activities.migrations.0006_stored_titles_as_messages")


def test_a_message_renders_in_the_active_language_with_translated_parameters():
    message = Message(lead_texts.CREATED, source=Label("lead_source", "web_form", "Web form"))
    data = message.as_json()
    assert data == {
        "code": "leads.created",
        "params": {"source": {"label": "lead_source", "code": "web_form", "text": "Web form"}},
    }
    with translation.override("en"):
        assert render(data) == "Lead created from Web form"
    with translation.override("ro"):
        assert render(data) == "Lead creat din Formular web"
    with translation.override("hu"):
        assert "Web form" not in render(data)


def test_nested_messages_and_joins_render_each_part_for_the_reader():
    why = Join([Message(lead_texts.LOAD, leads=3, clients=1), Message(lead_texts.LEAST_LOADED)])
    data = Message(lead_texts.BY_TEAM, name="Mara", team="North", why=why).as_json()
    with translation.override("en"):
        assert render(data) == (
            "Assigned to Mara because no rule took it, so anyone in North: "
            "3 open leads, 1 clients, least loaded."
        )
    with translation.override("ro"):
        assert "cel mai puțin încărcat" in render(data) and "least loaded" not in render(data)


def test_what_cannot_be_rendered_falls_back_to_the_stored_text():
    assert render(None, "typed by a person") == "typed by a person"
    assert render({"code": "no.such.code", "params": {}}, "old text") == "old text"
    assert render({"code": "leads.created", "params": {}}, "old text") == "old text"  # a parameter missing
    assert stored("Vorbește germană") == ("Vorbește germană", None)
    text, message = stored(Message(lead_texts.TAKEN, name="Olga"))
    assert text == "Taken by Olga from the team queue." and message["code"] == "leads.taken"


def test_a_report_cell_is_rendered_for_its_reader():
    cell = as_cell(Message(lead_texts.NO_TEAM))
    with translation.override("ru"):
        assert "No team" not in render_cell(cell) and render_cell(cell)
    assert render_cell("Invalid e-mail") == "Invalid e-mail"


def test_texts_written_in_any_language_are_recognised():
    found = recognise("Lead creat din Formular web", [lead_texts.CREATED], labels=leads_migration.LABELS)
    assert found is not None
    with translation.override("ru"):
        assert str(found) == "Лид создан, источник: Веб-форма"
    assert recognise("Sunați-l mâine dimineață", [lead_texts.CREATED]) is None


def test_the_data_migrations_read_demo_and_common_texts():
    reason = leads_migration.read(
        "Alocat lui Mara deoarece nicio regulă nu l-a preluat, deci oricui din North: "
        "3 lead-uri deschise, 0 clienți, cel mai puțin încărcat."
    )
    assert reason is not None
    with translation.override("en"):
        assert str(reason) == (
            "Assigned to Mara because no rule took it, so anyone in North: "
            "3 open leads, 0 clients, least loaded."
        )
    touch = leads_migration.read("Came in again via Imported file")
    assert touch is not None and touch.code == "leads.touch"
    deal = deals_migration.read(
        "Deal started in Corporate sales, stage “First contact”. From lead Ion Lungu."
    )
    assert deal is not None
    with translation.override("ro"):
        assert "Deal started" not in str(deal) and "Ion Lungu" in str(deal)
    title = recognise("Primul contact cu Ion Lungu", tasks_migration.CODES["first_contact"])
    assert title is not None
    with translation.override("en"):
        assert str(title) == "First contact with Ion Lungu"
