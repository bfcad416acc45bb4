"""The doors of the clients and contacts import: command line, API (202 + worker), web screens
with the kind choice, and who may use them."""

from __future__ import annotations

import csv
import io
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from clientela.clients.models import Client, Contact
from clientela.conftest import login
from clientela.imports.choices import ImportStatus
from clientela.imports.models import ImportJob
from clientela.imports.records import records_import_file
from clientela.imports.tasks import run_records_import

CUI_A = "RO18547290"
COMPANIES = [
    ["Denumire", "CUI", "Țară", "Oraș", "Telefon"],
    ["Alpha SRL", CUI_A, "RO", "Cluj-Napoca", "0721 123 456"],
    ["Beta SRL", "RO18547291", "RO", "Iași", ""],
]
PEOPLE = [
    ["Firma", "Prenume", "Nume", "Email"],
    ["Alpha SRL", "Ana", "Pop", "ana@alpha.ro"],
    ["Gamma SRL", "Ion", "Rusu", ""],
]


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


@pytest.fixture
def companies_csv(tmp_path) -> Path:
    path = tmp_path / "firme.csv"
    path.write_bytes(csv_bytes(COMPANIES))
    return path


# --- command line ----------------------------------------------------------------------------


def test_cli_imports_clients_then_contacts_with_the_summary_line_last(world, companies_csv, tmp_path):
    out, err = StringIO(), StringIO()
    call_command("import", "clients", str(companies_csv), "--by", "hnorth", stdout=out, stderr=err)
    assert out.getvalue().strip().splitlines()[-1] == "1 created, 0 updated, 0 unchanged, 1 rejected"
    assert "100%" in err.getvalue(), "a progress bar on stderr"
    alpha = Client.objects.get()
    assert (alpha.team, alpha.tax_id, alpha.phone) == (world.north, "18547290", "+40721123456")

    people = tmp_path / "people.csv"
    people.write_bytes(csv_bytes(PEOPLE))
    out = StringIO()
    call_command("import", "contacts", str(people), "--by", "hnorth", stdout=out, stderr=StringIO())
    assert out.getvalue().strip().splitlines()[-1] == "1 created, 0 updated, 0 unchanged, 1 rejected"
    assert Contact.objects.get().client == alpha


def test_cli_dry_run_and_mapping(world, companies_csv):
    out = StringIO()
    call_command(
        "import",
        "clients",
        str(companies_csv),
        "--dry-run",
        "--mapping",
        "CUI=",
        stdout=out,
        stderr=StringIO(),
    )
    lines = out.getvalue().strip().splitlines()
    assert "Dry run: nothing was written." in lines
    assert lines[-1] == "2 created, 0 updated, 0 unchanged, 0 rejected", "CUI ignored: both rows valid"
    assert not Client.objects.exists()


def test_cli_refuses_unknown_fields_and_resumes_a_failed_records_import(world, companies_csv, monkeypatch):
    with pytest.raises(CommandError, match="Unknown fields in --mapping: temperature"):
        call_command("import", "clients", str(companies_csv), "--mapping", "CUI=temperature")
    from clientela.imports import records as import_clients

    def broken(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(import_clients.RecordsImportRunner, "_client_create", broken)
    with pytest.raises(CommandError, match="Resume with: clientela import resume"):
        call_command("import", "clients", str(companies_csv), stdout=StringIO(), stderr=StringIO())
    job = ImportJob.objects.get()
    assert (job.kind, job.status) == ("clients", ImportStatus.FAILED)
    monkeypatch.undo()
    out = StringIO()
    call_command("import", "resume", str(job.pk), stdout=out, stderr=StringIO())
    assert out.getvalue().strip().splitlines()[-1] == "1 created, 0 updated, 0 unchanged, 1 rejected"


# --- API ---------------------------------------------------------------------------------------


def post_import(client, headers, content: bytes, **data):
    upload = SimpleUploadedFile("firme.csv", content, content_type="text/csv")
    return client.post("/api/v1/imports", {"file": upload, **data}, headers=headers)


@pytest.mark.django_db(transaction=True)
def test_api_clients_import_is_queued_then_run_by_a_worker(client, world, api_token):
    headers = api_token(world.head_north)
    response = post_import(client, headers, csv_bytes(COMPANIES), kind="clients", team=str(world.north.pk))
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["kind"], body["status"], body["queued"]) == ("clients", "pending", True)
    assert body["mapping"]["CUI"] == "tax_id" and body["mapping"]["Denumire"] == "name"
    assert DBTaskResult.objects.filter(task_path__endswith="run_records_import").count() == 1
    assert not Client.objects.exists(), "nothing is imported in the request"

    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--no-reload", verbosity=0
    )

    status = client.get(f"/api/v1/imports/{body['id']}", headers=headers).json()
    assert (status["status"], status["created"], status["rejected"], status["summary"]) == (
        "done",
        1,
        1,
        "1 created, 0 updated, 0 unchanged, 1 rejected",
    )
    report = client.get(status["report_url"], headers=headers)
    rows = list(csv.DictReader(io.StringIO(b"".join(report.streaming_content).decode())))
    assert [r["outcome"] for r in rows] == ["created", "rejected"]
    assert rows[1]["line"] == "3" and "check digit" in rows[1]["reason"]


def test_api_checks_the_kind_the_mapping_and_the_role(client, world, api_token):
    head = api_token(world.head_north)
    bad_kind = post_import(client, head, csv_bytes(COMPANIES), kind="deals")
    assert bad_kind.status_code == 422 and "kind" in bad_kind.json()["errors"]
    no_name = post_import(client, head, csv_bytes(COMPANIES), kind="clients", mapping='{"Denumire": ""}')
    assert no_name.status_code == 422 and "company name" in str(no_name.json()["errors"]["mapping"])
    other_team = post_import(client, head, csv_bytes(COMPANIES), kind="clients", team=str(world.south.pk))
    assert other_team.status_code == 422 and "team" in other_team.json()["errors"]
    for user in (world.manager_north, world.marketer_north):
        response = post_import(client, api_token(user), csv_bytes(COMPANIES), kind="clients")
        assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_api_hides_clients_imports_from_those_who_may_not_import_them(
    client, world, api_token, companies_csv
):
    job = records_import_file(kind="clients", path=companies_csv, by=world.head_north, team=world.north)
    marketer = api_token(world.marketer_north)
    assert client.get(f"/api/v1/imports/{job.pk}", headers=marketer).status_code == 404
    assert client.get(f"/api/v1/imports/{job.pk}/report", headers=marketer).status_code == 404
    assert client.get("/api/v1/imports", headers=marketer).json()["count"] == 0
    head = api_token(world.head_north)
    listed = client.get("/api/v1/imports", headers=head).json()
    assert [(i["id"], i["kind"]) for i in listed["items"]] == [(job.pk, "clients")]
    assert client.get(f"/api/v1/imports/{job.pk}", headers=api_token(world.manager_north)).status_code == 403


# --- web ---------------------------------------------------------------------------------------


def test_web_upload_with_kind_then_mapping_then_run(client, world, django_capture_on_commit_callbacks):
    login(client, world.head_north)
    page = client.get(reverse("imports:upload"))
    assert page.status_code == 200 and 'value="clients"' in page.content.decode()
    upload = SimpleUploadedFile("firme.csv", csv_bytes(COMPANIES), content_type="text/csv")
    response = client.post(
        reverse("imports:upload"),
        {"kind": "clients", "file": upload, "team": world.north.pk, "default_source": "import"},
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:mapping", args=[job.pk])
    assert job.kind == "clients"

    mapping = client.get(reverse("imports:mapping", args=[job.pk])).content.decode()
    assert "Tax id" in mapping and "Registration number" in mapping, "the client fields are offered"
    assert "Temperature" not in mapping, "not the lead fields"
    assert "Alpha SRL" in mapping, "a preview of the rows"

    form = {f"col_{i}": target for i, target in enumerate(["name", "tax_id", "country", "city", "phone"])}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        started = client.post(reverse("imports:mapping", args=[job.pk]), {**form, "dry_run": "1"})
    assert started.status_code == 302 and len(callbacks) == 1, "queued for a worker on commit"
    run_records_import.call(job_id=job.pk)  # what the worker does
    job.refresh_from_db()
    assert (job.dry_run, job.status) == (True, ImportStatus.DONE)
    detail = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "1 created, 0 updated, 0 unchanged, 1 rejected" in detail
    assert "would be updated" in detail and not Client.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        real = client.post(reverse("imports:repeat", args=[job.pk]))
    copy = ImportJob.objects.exclude(pk=job.pk).get()
    assert real["Location"] == reverse("imports:detail", args=[copy.pk])
    run_records_import.call(job_id=copy.pk)
    copy.refresh_from_db()
    assert (copy.kind, copy.status, copy.created_count) == ("clients", ImportStatus.DONE, 1)
    assert Client.objects.get().name == "Alpha SRL"
    report = client.get(reverse("imports:report", args=[copy.pk]))
    assert b"line,outcome,id,reason" in b"".join(report.streaming_content)
    listing = client.get(reverse("imports:list")).content.decode()
    assert "Clients" in listing


def test_web_kind_choice_follows_the_role(client, world):
    login(client, world.marketer_north)
    page = client.get(reverse("imports:upload")).content.decode()
    assert 'value="leads"' in page and 'value="clients"' not in page
    upload = SimpleUploadedFile("firme.csv", csv_bytes(COMPANIES), content_type="text/csv")
    response = client.post(
        reverse("imports:upload"),
        {"kind": "clients", "file": upload, "team": world.north.pk, "default_source": "import"},
    )
    assert response.status_code == 200 and "kind" in response.context["form"].errors
    assert not ImportJob.objects.exists()
    login(client, world.manager_north)
    assert client.get(reverse("imports:upload")).status_code == 403


def test_web_list_has_no_n_plus_one(client, world, companies_csv, django_assert_max_num_queries):
    for _n in range(4):
        records_import_file(kind="clients", path=companies_csv, by=world.head_north, team=world.north)
    login(client, world.head_north)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("imports:list"))
    assert page.status_code == 200 and page.content.decode().count("firme.csv") == 4
