"""An import writes its leads' timeline lines, first tasks and the report's reasons as messages:
each reader sees them in their own language, not in the language the import ran in."""

from __future__ import annotations

import csv
import io

from django.utils import translation

from clientela.activities.models import Task
from clientela.imports.leads import import_file, report_lines
from clientela.leads.choices import LeadEventKind
from clientela.leads.models import Lead, LeadEvent, LeadPolicy


def _file(tmp_path):
    path = tmp_path / "people.csv"
    with path.open("w", newline="") as stream:
        csv.writer(stream).writerows([["name", "email"], ["Ana Pop", "ana@example.ro"]])
    return path


def test_imported_leads_read_in_the_readers_language(world, tmp_path):
    LeadPolicy.objects.update_or_create(team=world.north, defaults={"capacity_cap": 1000})
    with translation.override("ro"):
        import_file(path=_file(tmp_path), by=world.head_north, team=world.north)
    lead = Lead.objects.get()
    created = LeadEvent.objects.get(lead=lead, kind=LeadEventKind.CREATED)
    task = Task.objects.get(lead=lead)
    with translation.override("en"):
        assert created.shown_text == "Lead created from Imported file"
        assert task.shown_title == "First contact with Ana Pop"
        assert lead.shown_assignment_reason.startswith("Assigned to ")
    with translation.override("ru"):
        assert created.shown_text == "Лид создан, источник: Импорт из файла"
        assert task.shown_title == "Первый контакт: Ana Pop"
        assert "Assigned" not in lead.shown_assignment_reason and "Alocat" not in lead.shown_assignment_reason


def test_the_dry_run_report_gives_its_reasons_in_the_readers_language(world, tmp_path):
    LeadPolicy.objects.update_or_create(team=world.north, defaults={"capacity_cap": 1000})
    with translation.override("ro"):
        job = import_file(path=_file(tmp_path), by=world.head_north, team=world.north, dry_run=True)
    with translation.override("en"):
        rows = list(csv.DictReader(io.StringIO("".join(report_lines(job)))))
    assert rows[0]["outcome"] == "created"
    assert rows[0]["reason"].startswith("Assigned to ") and "least loaded" in rows[0]["reason"]
    with translation.override("ru"):
        rows = list(csv.DictReader(io.StringIO("".join(report_lines(job)))))
    assert "наименее загруженный" in rows[0]["reason"]
