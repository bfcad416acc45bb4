"""Import notices are in their reader's language: an import job runs in the site's language, but
the owner, the head and the importer each read their own."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext as _

from clientela.clients.models import Client
from clientela.core.tests.languages import in_ro, romanian, text
from clientela.imports import leads as importer
from clientela.imports import records as import_clients
from clientela.imports.leads import import_file
from clientela.imports.records import records_import_file
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.models import Lead, LeadPolicy

pytestmark = pytest.mark.django_db


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


def test_import_notices_for_the_owners_and_the_importer_are_each_in_their_language(world, tmp_path):
    LeadPolicy.objects.update_or_create(
        team=world.north, defaults={"capacity_cap": 100_000, "hot_warm_to_beginners": True}
    )
    romanian(world.manager_north, world.manager_north2)
    path = write_csv(
        tmp_path / "leads.csv",
        [
            ["name", "phone"],
            ["Ion Pop", "0721 000 001"],
            ["Ana Pop", "0721 000 002"],
            ["Dan Pop", "0721 000 003"],
        ],
    )
    with translation.override("en"):  # the job runs in the site's language
        job = import_file(path=path, by=world.head_north, team=world.north)
    owners = set(Lead.objects.values_list("owner_id", flat=True))
    assert owners and None not in owners
    for manager in (world.manager_north, world.manager_north2):
        if manager.pk in owners:
            count = Lead.objects.filter(owner=manager).count()
            assert text(manager, "leads_imported") == in_ro(
                "%(count)s new leads for you from the import “%(file)s”.",
                {"count": count, "file": job.original_name},
            )
    # The importer (the head) reads English: the command line's wording.
    assert text(world.head_north, "import_done") == f"Import “leads.csv” finished: {importer.summary(job)}."


def test_leads_left_in_the_queue_and_the_done_notice_are_in_the_heads_language(world, tmp_path):
    for manager in (world.manager_north, world.manager_north2):
        manager.is_absent = True
        manager.save(update_fields=["is_absent"])
    romanian(world.head_north)
    path = write_csv(tmp_path / "queue.csv", [["name", "phone"], ["Ion Pop", "0721 000 011"]])
    with translation.override("en"):
        job = import_file(path=path, by=world.head_north, team=world.north)
    assert Lead.objects.get().owner is None
    assert text(world.head_north, "leads_unassigned") == in_ro(
        "%(count)s imported leads wait in the %(team)s queue (“%(file)s”).",
        {"count": 1, "team": world.north, "file": "queue.csv"},
    )
    with translation.override("ro"):
        counts = _(
            "%(created)s created, %(merged)s merged, %(interests)s interests, %(rejected)s rejected"
        ) % {
            "created": 1,
            "merged": 0,
            "interests": 0,
            "rejected": 0,
        }
    assert text(world.head_north, "import_done") == in_ro(
        "Import “%(file)s” finished: %(summary)s.", {"file": "queue.csv", "summary": counts}
    )
    # In English the notice keeps the command line's wording.
    assert importer.summary(job) == "1 created, 0 merged, 0 interests, 0 rejected"


def test_touches_found_by_an_import_are_told_in_the_owners_language(world, tmp_path):
    romanian(world.manager_north, world.manager_north2)
    existing = intake_submit(
        raw=RawLead(name="Mara Ionescu", phone="+40 744 000 111"),
        ctx=IntakeContext(door="api", team=world.north),
    ).record
    Lead.objects.filter(pk=existing.pk).update(owner=world.manager_north)
    Client.objects.create(
        name="Alpha SRL", phone="+40213334444", owner=world.manager_north2, team=world.north
    )
    path = write_csv(
        tmp_path / "again.csv",
        [
            ["name", "phone", "company"],
            ["Mara Ionescu", "0744-000-111", ""],
            ["", "021 333 4444", "Alpha SRL"],
        ],
    )
    with translation.override("en"):
        import_file(path=path, by=world.head_north, team=world.north)
    assert text(world.manager_north, "lead_touch") == in_ro(
        "%(count)s of your leads got in touch again (import “%(file)s”).", {"count": 1, "file": "again.csv"}
    )
    assert text(world.manager_north2, "client_touch") == in_ro(
        "%(count)s of your clients or contacts got in touch again (import “%(file)s”).",
        {"count": 1, "file": "again.csv"},
    )


def test_a_client_import_tells_the_importer_in_their_language(world, tmp_path):
    romanian(world.admin)
    path = write_csv(tmp_path / "firme.csv", [["Denumire", "Țară"], ["Alpha SRL", "RO"]])
    with translation.override("en"):
        job = records_import_file(kind="clients", path=path, by=world.admin)
    assert job.created_count == 1
    with translation.override("ro"):
        counts = _(
            "%(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(rejected)s rejected"
        ) % {
            "created": 1,
            "updated": 0,
            "unchanged": 0,
            "rejected": 0,
        }
    assert text(world.admin, "import_done") == in_ro(
        "Import “%(file)s” finished: %(summary)s.", {"file": "firme.csv", "summary": counts}
    )
    assert import_clients.summary(job) == "1 created, 0 updated, 0 unchanged, 0 rejected"
