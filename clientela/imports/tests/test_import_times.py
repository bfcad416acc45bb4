"""The import page's start and end times: the page opened while the import waits for a worker
polls its progress, and the poll brings the times too (the finished page said "Started —")."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import formats, timezone

from clientela.conftest import login
from clientela.imports.leads import import_run
from clientela.imports.models import ImportJob
from clientela.imports.tests.test_import_doors import csv_bytes


def times_of(html: str) -> tuple[str, str]:
    started = re.search(r"data-started>(.*?)</dd>", html, re.S)
    finished = re.search(r"data-finished>(.*?)</dd>", html, re.S)
    assert started and finished, "the page shows when the import started and finished"
    return started.group(1).strip(), finished.group(1).strip()


def test_the_progress_poll_brings_the_start_and_end_times(client, world, django_capture_on_commit_callbacks):
    login(client, world.marketer_north)
    upload = SimpleUploadedFile("expo.csv", csv_bytes(), content_type="text/csv")
    client.post("/imports/new/", {"file": upload, "team": world.north.pk, "default_source": "exhibition"})
    job = ImportJob.objects.get()
    fields = {f"col_{i}": v for i, v in enumerate(["last_name", "first_name", "phone", "email", "company"])}
    with django_capture_on_commit_callbacks(execute=False):
        client.post(f"/imports/{job.pk}/mapping/", fields)
    waiting = client.get(f"/imports/{job.pk}/").content.decode()
    assert times_of(waiting) == ("waiting for a worker", "—")

    import_run(job=job)
    job.refresh_from_db()
    poll = client.get(f"/imports/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert 'id="import-times" hx-swap-oob="true"' in poll
    local = timezone.localtime
    assert times_of(poll) == (
        formats.date_format(local(job.started_at), "SHORT_DATETIME_FORMAT"),
        formats.date_format(local(job.finished_at), "SHORT_DATETIME_FORMAT"),
    )
    assert "—" not in times_of(client.get(f"/imports/{job.pk}/").content.decode())
