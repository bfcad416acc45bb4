"""The doors of the file import: command line, API (202 + worker), web screens, permissions."""

from __future__ import annotations

import csv
import io
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from clientela.conftest import login
from clientela.imports.choices import ImportStatus
from clientela.imports.leads import import_file, summary, summary_text
from clientela.imports.models import ImportJob
from clientela.leads.models import Interest, Lead

SUMMARY = re.compile(r"^(\d+) created, (\d+) merged, (\d+) interests, (\d+) rejected$")
ROWS = [
    ["Nume", "Prenume", "Telefon", "E-mail", "Firma"],
    ["Pop", "Ana", "0721 123 456", "ana@example.ro", "Alpha SRL"],
    ["Pop", "Ana", "+40 721 123 456", "", ""],
    ["", "", "", "", "Beta SRL"],
    ["Rusu", "Ion", "12", "", ""],
]


def csv_bytes(rows: list[list[str]] = ROWS) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


@pytest.fixture
def leads_csv(tmp_path) -> Path:
    path = tmp_path / "expo.csv"
    path.write_bytes(csv_bytes())
    return path


# --- command line ----------------------------------------------------------------------------


def test_cli_ends_with_the_summary_line_accounting_for_every_row(world, leads_csv):
    out, err = StringIO(), StringIO()
    call_command(
        "import", "leads", str(leads_csv), "--team", "North", "--by", "hnorth", stdout=out, stderr=err
    )
    last = out.getvalue().strip().splitlines()[-1]
    assert last == "1 created, 1 merged, 1 interests, 1 rejected"
    assert sum(int(n) for n in SUMMARY.match(last).groups()) == len(ROWS) - 1
    assert "100%" in err.getvalue() and "4/4 rows" in err.getvalue(), "a progress bar on stderr"
    lead = Lead.objects.get()
    assert (lead.team, lead.created_by, lead.touch_count) == (world.north, world.head_north, 2)


def test_cli_dry_run_with_a_mapping_writes_nothing(world, leads_csv):
    out = StringIO()
    call_command(
        "import", "leads", str(leads_csv), "--team", "North", "--dry-run",
        "--mapping", "Firma=,Nume=last_name", stdout=out, stderr=StringIO(),
    )  # fmt: skip
    lines = out.getvalue().strip().splitlines()
    assert "Dry run: nothing was written." in lines
    assert lines[-1] == "1 created, 1 merged, 0 interests, 2 rejected", "Firma ignored: row 3 has nothing"
    assert not Lead.objects.exists() and not Interest.objects.exists()
    assert ImportJob.objects.get().mapping["Firma"] == ""


def test_cli_rejects_bad_options_clearly(world, leads_csv):
    with pytest.raises(CommandError, match="No team named 'Nowhere'"):
        call_command("import", "leads", str(leads_csv), "--team", "Nowhere")
    with pytest.raises(CommandError, match="Unknown fields in --mapping: colour"):
        call_command("import", "leads", str(leads_csv), "--mapping", '{"Firma": "colour"}')
    with pytest.raises(CommandError, match="No such file"):
        call_command("import", "leads", "/nonexistent.csv")
    with pytest.raises(CommandError, match="no column “Fax”"):
        call_command("import", "leads", str(leads_csv), "--mapping", "Fax=phone", stderr=StringIO())
    assert not Lead.objects.exists()


def test_cli_resume_continues_a_failed_import(world, leads_csv):
    job = import_file(path=leads_csv, by=world.head_north, team=world.north, dry_run=False, batch_size=2)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED)
    out = StringIO()
    call_command("import", "resume", str(job.pk), stdout=out, stderr=StringIO())
    assert out.getvalue().strip().splitlines()[-1] == "1 created, 1 merged, 1 interests, 1 rejected"
    assert Lead.objects.count() == 1, "resuming a finished batch set imports nothing twice"


# --- API ---------------------------------------------------------------------------------------


def post_import(client, headers, content: bytes = b"", name: str = "expo.csv", **data):
    upload = SimpleUploadedFile(name, content or csv_bytes(), content_type="text/csv")
    return client.post("/api/v1/imports", {"file": upload, **data}, headers=headers)


@pytest.mark.django_db(transaction=True)
def test_api_upload_is_accepted_then_a_worker_imports_it(client, world, api_token):
    headers = api_token(world.head_north)
    response = post_import(client, headers, mapping='{"Firma": "company"}', team=str(world.north.pk))
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["queued"], body["columns"][0]) == ("pending", True, "Nume")
    assert body["mapping"]["Telefon"] == "phone", "unmapped columns are suggested"
    assert DBTaskResult.objects.filter(task_path__endswith="run_import").count() == 1
    assert not Lead.objects.exists(), "nothing is imported in the request"

    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--no-reload", verbosity=0
    )

    status = client.get(f"/api/v1/imports/{body['id']}", headers=headers).json()
    assert (status["status"], status["progress_percent"], status["summary"]) == (
        "done",
        100,
        "1 created, 1 merged, 1 interests, 1 rejected",
    )
    report = client.get(status["report_url"], headers=headers)
    assert report.status_code == 200 and report["Content-Type"].startswith("text/csv")
    lines = b"".join(report.streaming_content).decode().splitlines()
    assert lines[0] == "line,outcome,lead_id,interest_id,merged_into,reason" and len(lines) == 5
    listing = client.get("/api/v1/imports", headers=headers).json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == body["id"]


def test_api_dry_run_and_bad_input(client, world, api_token):
    headers = api_token(world.admin)
    assert post_import(client, headers, mapping="{not json").json()["errors"] == {
        "mapping": ['Send a JSON object of column → field, e.g. {"Tel": "phone"}.']
    }
    bad = post_import(client, headers, mapping='{"Fax": "phone", "Nume": "colour"}')
    assert bad.status_code == 422 and len(bad.json()["errors"]["mapping"]) == 2
    assert post_import(client, headers, content=b"\xd0\xcf\x11\xe0old excel", name="x.xls").status_code == 422
    empty = post_import(client, headers, content=b"\n\n", name="empty.csv")
    assert empty.status_code == 422 and empty.json()["errors"]["file"]
    assert post_import(client, headers, default_country="Romania").json()["errors"]["default_country"]
    dry = post_import(client, headers, dry_run="true", team=str(world.south.pk))
    assert dry.status_code == 202 and dry.json()["dry_run"] is True
    assert ImportJob.objects.count() == 1


@pytest.mark.parametrize("who", ["manager_north", "manager_south"])
def test_api_managers_may_not_import(client, world, api_token, who):
    headers = api_token(getattr(world, who))
    assert post_import(client, headers).status_code == 403
    job = import_file(path=_tmp_csv(), by=world.head_north, team=world.north)
    assert client.get(f"/api/v1/imports/{job.pk}", headers=headers).status_code == 403
    assert client.get(f"/api/v1/imports/{job.pk}/report", headers=headers).status_code == 403
    assert client.get("/api/v1/imports", headers=headers).status_code == 403
    assert ImportJob.objects.count() == 1


def test_api_imports_are_scoped_to_teams(client, world, api_token):
    from clientela.conftest import make_user
    from clientela.core.roles import Role

    head_south = make_user("hsouth", Role.HEAD, world.south)
    job = import_file(path=_tmp_csv(), by=world.head_north, team=world.north)
    assert client.get(f"/api/v1/imports/{job.pk}", headers=api_token(world.marketer_north)).status_code == 200
    assert client.get(f"/api/v1/imports/{job.pk}", headers=api_token(head_south)).status_code == 404
    assert client.get("/api/v1/imports", headers=api_token(head_south)).json()["count"] == 0
    refused = post_import(client, api_token(head_south), team=str(world.north.pk))
    assert refused.status_code == 422 and "team" in refused.json()["errors"]


def _tmp_csv() -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "scoped.csv"
    path.write_bytes(csv_bytes())
    return path


# --- web screens -------------------------------------------------------------------------------


def test_web_upload_mapping_dry_run_and_progress(client, world, django_capture_on_commit_callbacks):
    login(client, world.marketer_north)
    page = client.get("/imports/new/")
    assert page.status_code == 200 and b'enctype="multipart/form-data"' in page.content
    upload = SimpleUploadedFile("expo.csv", csv_bytes(), content_type="text/csv")
    response = client.post(
        "/imports/new/", {"file": upload, "team": world.north.pk, "default_source": "exhibition"}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/mapping/"
    mapping = client.get(f"/imports/{job.pk}/mapping/")
    html = mapping.content.decode()
    assert '<option value="phone" selected>' in html, "suggested from the header"
    assert "0721 123 456" in html, "a preview of the first rows"
    fields = {f"col_{i}": v for i, v in enumerate(["last_name", "first_name", "phone", "email", "company"])}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        started = client.post(f"/imports/{job.pk}/mapping/", {**fields, "dry_run": "1"})
    assert started.status_code == 302 and len(callbacks) == 1, "queued for a worker on commit"
    job.refresh_from_db()
    assert job.dry_run and job.queued_at is not None

    waiting = client.get(f"/imports/{job.pk}/", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in waiting.content.decode(), "the progress polls while it waits"
    assert b"<html" not in waiting.content, "HTMX gets the partial only"

    from clientela.imports.leads import import_run

    import_run(job=job)
    done = client.get(f"/imports/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "every 1s" not in done and "Download the report" in done and "Import for real" in done
    job.refresh_from_db()
    assert summary_text(job) in done, "the page gives the counts in words"
    world.marketer_north.language = "ro"
    world.marketer_north.save(update_fields=["language"])
    in_romanian = client.get(f"/imports/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    with translation.override("ro"):
        assert summary_text(job) in in_romanian and summary_text(job) != summary(job)
    world.marketer_north.language = "en"
    world.marketer_north.save(update_fields=["language"])
    assert client.get(f"/imports/{job.pk}/report.csv").status_code == 200
    with django_capture_on_commit_callbacks(execute=False):
        real = client.post(f"/imports/{job.pk}/run/")
    real_job = ImportJob.objects.exclude(pk=job.pk).get()
    assert real.status_code == 302 and real["Location"] == f"/imports/{real_job.pk}/"
    assert not real_job.dry_run and real_job.mapping == job.mapping and real_job.queued_at
    assert client.get("/imports/").status_code == 200


def test_web_mapping_errors_are_shown_on_the_page(client, world):
    login(client, world.head_north)
    upload = SimpleUploadedFile("expo.csv", csv_bytes(), content_type="text/csv")
    client.post("/imports/new/", {"file": upload, "team": world.north.pk, "default_source": "import"})
    job = ImportJob.objects.get()
    twice = {"col_0": "phone", "col_1": "", "col_2": "phone", "col_3": "", "col_4": ""}
    response = client.post(f"/imports/{job.pk}/mapping/", twice)
    assert response.status_code == 200 and "is mapped twice" in response.content.decode()
    nobody = {f"col_{i}": "" for i in range(5)}
    assert "Map at least one column" in client.post(f"/imports/{job.pk}/mapping/", nobody).content.decode()
    job.refresh_from_db()
    assert job.queued_at is None


def test_web_upload_rejects_unreadable_files_inline(client, world):
    login(client, world.head_north)
    upload = SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0junk", content_type="application/vnd.ms-excel")
    response = client.post(
        "/imports/new/", {"file": upload, "team": world.north.pk, "default_source": "import"}
    )
    assert response.status_code == 200 and "Save the file as XLSX or CSV." in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("path", ["/imports/", "/imports/new/"])
def test_web_managers_get_403(client, world, path):
    login(client, world.manager_north)
    assert client.get(path).status_code == 403


def test_web_other_teams_imports_are_404(client, world, leads_csv):
    job = import_file(path=leads_csv, by=world.admin, team=world.south)
    login(client, world.head_north)
    assert client.get(f"/imports/{job.pk}/").status_code == 404
    assert client.get(f"/imports/{job.pk}/report.csv").status_code == 404


def test_import_list_queries_do_not_grow_with_imports(
    client, world, leads_csv, django_assert_max_num_queries
):
    for _i in range(5):
        import_file(path=leads_csv, by=world.head_north, team=world.north, dry_run=True)
    login(client, world.head_north)
    with django_assert_max_num_queries(8):
        response = client.get("/imports/")
    assert response.content.decode().count("expo.csv") == 5
