"""Import of clients and contacts: the client/contact form rules per row, matching existing
records (fill only empty fields), a per-row report accounting for every row, one audit entry,
all-or-nothing batches and resuming after the last committed batch."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType

from clientela.clients.models import Client, Contact, ContactMembership
from clientela.clients.services.client import client_create
from clientela.core.models import AuditEntry
from clientela.imports import records as import_clients
from clientela.imports.choices import ImportStatus
from clientela.imports.files import resolve_mapping, suggest_mapping
from clientela.imports.models import ExternalRef, ImportJob
from clientela.imports.records import records_import_file, records_import_run, report_lines

GENERATOR = Path(__file__).resolve().parents[4] / "shared" / "bench" / "gen_data.py"
# Valid Romanian CUIs (check digit per the client form's rule).
CUI_A, CUI_B, CUI_C = "RO18547290", "14399840", "RO9010105"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """The shared generator's companies and contacts (30 companies, ~75 contacts)."""
    out = tmp_path_factory.mktemp("accounts")
    subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(out), "--leads", "0", "--companies", "30"], check=True
    )
    return out


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


def report(job: ImportJob) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(report_lines(job)))))


def data_rows(path: Path) -> int:
    with path.open(encoding="utf-8") as stream:
        return sum(1 for _row in csv.reader(stream)) - 1


def accounted(job: ImportJob) -> int:
    return job.created_count + job.merged_count + job.unchanged_count + job.rejected_count


# --- Column suggestions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Denumire", "CUI", "Nr. Reg. Com.", "Oraș", "Telefon"], ["name", "tax_id", "registration_number"]),
        (["Наименование", "ИНН", "ОГРН", "Город", "Менеджер"], ["name", "tax_id", "registration_number"]),
        (["Cégnév", "Adószám", "Cégjegyzékszám", "Város", "Cím"], ["name", "tax_id", "registration_number"]),
        (
            ["Nama Syarikat", "Nombor Cukai", "No Pendaftaran", "Bandar"],
            ["name", "tax_id", "registration_number"],
        ),
        (
            ["Company name", "VAT number", "Company number", "Website"],
            ["name", "tax_id", "registration_number"],
        ),
    ],
)
def test_client_columns_are_suggested_in_five_languages(headers, expected):
    assert list(suggest_mapping(headers, kind="clients").values())[:3] == expected


def test_contact_columns_and_the_generators_headers_are_recognised():
    headers = ["contact_id", "company_id", "first_name", "last_name", "position", "role", "email", "phone"]
    headers.append("birthday")
    assert suggest_mapping(headers, kind="contacts") == {
        "contact_id": "external_id",
        "company_id": "client_external_id",
        "first_name": "first_name",
        "last_name": "last_name",
        "position": "position",
        "role": "role",
        "email": "email",
        "phone": "phone",
        "birthday": "birthday",
    }
    russian = suggest_mapping(
        ["Фамилия", "Имя", "Роль", "Компания", "Дата рождения", "Язык"], kind="contacts"
    )
    assert russian["Компания"] == "client" and russian["Дата рождения"] == "birthday"


def test_a_mapping_must_name_the_company_or_the_contacts_client():
    with pytest.raises(Exception, match="not valid") as caught:
        resolve_mapping(["City"], {"City": "city"}, kind="clients")
    assert "company name" in str(caught.value.errors["mapping"])
    with pytest.raises(Exception, match="not valid") as caught:
        resolve_mapping(["Nume"], {"Nume": "last_name"}, kind="contacts")
    assert "client" in str(caught.value.errors["mapping"])
    with pytest.raises(Exception, match="not valid") as caught:
        resolve_mapping(["X"], {"X": "temperature"}, kind="clients")
    assert "is not a client field" in str(caught.value.errors["mapping"])


# --- The generator's files -------------------------------------------------------------------------


def test_generator_companies_then_contacts_every_row_accounted(world, generated):
    companies = generated / "companies.csv"
    # The generator's tax ids and registration numbers are random digits: by the client form's
    # rules almost all are invalid, so rows carrying them are rejected with the reason …
    strict = records_import_file(kind="clients", path=companies, by=world.admin)
    assert strict.status == ImportStatus.DONE
    assert accounted(strict) == data_rows(companies) == strict.total_rows
    rejected = [r for r in report(strict) if r["outcome"] == "rejected"]
    assert rejected and all("Tax id" in r["reason"] or "Registration number" in r["reason"] for r in rejected)
    assert Client.objects.count() == strict.created_count

    # … and with those two columns ignored, the companies import (bad phones still rejected).
    job = records_import_file(
        kind="clients", path=companies, by=world.admin, mapping={"tax_id": "", "registration_no": ""}
    )
    assert accounted(job) == data_rows(companies)
    assert job.created_count + strict.created_count + job.merged_count + job.unchanged_count >= 25
    lines = report(job)
    assert [int(r["line"]) for r in lines] == list(range(2, data_rows(companies) + 2)), "one line per row"
    created = [r for r in lines if r["outcome"] == "created"]
    client = Client.objects.get(pk=created[0]["id"])
    assert client.phone.startswith("+") and client.website.startswith("https://")
    assert ExternalRef.objects.filter(kind="clients").count() == job.created_count + strict.created_count

    contacts = generated / "contacts.csv"
    people = records_import_file(kind="contacts", path=contacts, by=world.admin)
    assert accounted(people) == data_rows(contacts)
    assert people.created_count > 0
    for row in report(people):
        if row["outcome"] == "rejected":
            assert "No client" in row["reason"] or "Phone" in row["reason"], row
    contact = Contact.objects.select_related("client").first()
    assert contact.role and contact.birthday and contact.email.endswith(".example")
    assert ContactMembership.objects.filter(contact=contact, client=contact.client).exists()

    # The same files again: nothing new is created, every known row is matched.
    again = records_import_file(
        kind="clients", path=companies, by=world.admin, mapping={"tax_id": "", "registration_no": ""}
    )
    assert again.created_count == 0 and again.unchanged_count == job.created_count + strict.created_count
    people_again = records_import_file(kind="contacts", path=contacts, by=world.admin)
    assert people_again.created_count == 0 and people_again.unchanged_count == people.created_count


# --- Client rules --------------------------------------------------------------------------------


def test_client_rows_follow_the_client_form_rules(world, tmp_path):
    path = write_csv(
        tmp_path / "firme.csv",
        [
            ["Denumire", "CUI", "Țară", "Telefon", "Email", "Angajati", "Cifra de afaceri", "Etichete"],
            ["Alpha SRL", CUI_A, "RO", "0721 123 456; 021 311 2233", "office@alpha.ro, sales@alpha.ro",
             "1 200", "2500000", "VIP; expo"],
            ["Beta SRL", "RO18547291", "RO", "", "", "", "", ""],
            ["Gamma SRL", CUI_B, "RO", "12", "not-an-email", "", "", ""],
            ["", CUI_C, "RO", "", "", "", "", ""],
            ["Delta SRL", CUI_C, "XX", "", "", "many", "lots", ""],
        ],
    )  # fmt: skip
    job = records_import_file(kind="clients", path=path, by=world.admin)
    rows = report(job)
    assert [r["outcome"] for r in rows] == ["created", "rejected", "rejected", "rejected", "rejected"]
    assert import_clients.summary(job) == "1 created, 0 updated, 0 unchanged, 4 rejected"
    alpha = Client.objects.get()
    assert (alpha.tax_id, alpha.phone, alpha.other_phones) == ("18547290", "+40721123456", ["+40213112233"])
    assert (alpha.email, alpha.other_emails) == ("office@alpha.ro", ["sales@alpha.ro"])
    assert (alpha.employees, alpha.revenue_band) == (1200, "1m_10m")
    assert sorted(t.name for t in alpha.tags.all()) == ["VIP", "expo"]
    assert "18547290" in alpha.search_text
    assert "check digit" in rows[1]["reason"] and rows[1]["line"] == "3"
    assert "Phone" in rows[2]["reason"] and "E-mail" in rows[2]["reason"], "every bad field is named"
    assert "Company name" in rows[3]["reason"]
    assert "Country" in rows[4]["reason"] or "country" in rows[4]["reason"]


def test_a_matched_client_gets_only_its_empty_fields_filled(world, tmp_path):
    existing = client_create(
        by=world.admin,
        data={"name": "Alpha SRL", "country": "RO", "tax_id": CUI_A, "city": "Cluj-Napoca"},
        check_permission=False,
    )
    path = write_csv(
        tmp_path / "update.csv",
        [
            ["Company", "Tax id", "Country", "City", "Website"],
            ["Alpha Renamed", "RO 185 472 90", "RO", "Iași", "alpha.ro"],
            ["Alpha again", CUI_A, "RO", "Timișoara", "other.ro"],
            ["New One SRL", CUI_B, "RO", "Iași", ""],
            ["New One duplicate row", CUI_B, "RO", "", "newone.ro"],
        ],
    )
    job = records_import_file(kind="clients", path=path, by=world.admin)
    rows = report(job)
    assert [r["outcome"] for r in rows] == ["updated", "unchanged", "created", "updated"]
    assert (
        rows[0]["id"] == str(existing.pk) and "tax id" in rows[0]["reason"] and "Website" in rows[0]["reason"]
    )
    existing.refresh_from_db()
    assert (existing.name, existing.city, existing.website) == (
        "Alpha SRL",
        "Cluj-Napoca",
        "https://alpha.ro",
    )
    new = Client.objects.get(tax_id=CUI_B)
    assert (new.name, new.website) == ("New One SRL", "https://newone.ro"), (
        "a later row completes an earlier one"
    )
    assert Client.objects.count() == 2


def test_owner_by_email_or_username_and_unknown_owners_are_rejected(world, tmp_path):
    path = write_csv(
        tmp_path / "owners.csv",
        [
            ["Company", "Manager"],
            ["Alpha", "mnorth@example.com"],
            ["Beta", "MNORTH2"],
            ["Gamma", "nobody@example.com"],
            ["Delta", ""],
        ],
    )
    job = records_import_file(kind="clients", path=path, by=world.head_north, team=world.north)
    rows = report(job)
    assert [r["outcome"] for r in rows] == ["created", "created", "rejected", "created"]
    assert "not an active manager" in rows[2]["reason"]
    owners = dict(Client.objects.values_list("name", "owner__username"))
    assert owners == {"Alpha": "mnorth", "Beta": "mnorth2", "Delta": None}
    assert set(Client.objects.values_list("team", flat=True)) == {world.north.pk}
    # A head names only people of their teams.
    south = write_csv(tmp_path / "south.csv", [["Company", "Manager"], ["Epsilon", "msouth"]])
    job = records_import_file(kind="clients", path=south, by=world.head_north, team=world.north)
    assert report(job)[0]["outcome"] == "rejected"


def test_another_teams_client_is_not_revealed_nor_changed(world, tmp_path):
    theirs = client_create(
        by=world.manager_south, data={"name": "South Kft", "country": "RO", "tax_id": CUI_A}
    )
    path = write_csv(
        tmp_path / "x.csv", [["Company", "CUI", "Country", "City"], ["Mine", CUI_A, "RO", "Arad"]]
    )
    job = records_import_file(kind="clients", path=path, by=world.head_north, team=world.north)
    row = report(job)[0]
    assert row["outcome"] == "rejected" and "Another team's client" in row["reason"]
    assert "South Kft" not in row["reason"] and str(theirs.pk) not in row["id"]
    theirs.refresh_from_db()
    assert theirs.city == ""


# --- Contacts ------------------------------------------------------------------------------------


def test_contacts_find_their_client_and_match_people(world, tmp_path):
    alpha = client_create(
        by=world.admin, data={"name": "Alpha SRL", "country": "RO", "tax_id": CUI_A}, check_permission=False
    )
    client_create(by=world.admin, data={"name": "Twin SRL", "country": "RO"}, check_permission=False)
    client_create(by=world.admin, data={"name": "Twin SRL", "country": "RO"}, check_permission=False)
    path = write_csv(
        tmp_path / "people.csv",
        [
            ["Firma", "CUI", "Nume", "Prenume", "Funcție", "Rol", "Telefon", "Email", "Data nasterii",
             "Limba"],
            ["", CUI_A, "Pop", "Ana", "CFO", "Decision maker", "0721 123 456", "ana@alpha.ro", "05.03.1980",
             "Romanian"],
            ["Alpha SRL", "", "Pop", "Ana", "", "", "", "", "", ""],
            ["alpha srl", "", "Pop", "Ana", "", "buyer", "", "ana@alpha.ro", "", "ro"],
            ["Alpha SRL", "", "Rusu", "Ion", "", "boss", "", "", "", ""],
            ["Alpha SRL", "", "Rusu", "Ion", "", "", "", "", "2999-01-01", ""],
            ["Twin SRL", "", "Nagy", "Éva", "", "", "", "", "", ""],
            ["Nowhere SRL", "", "Kiss", "Péter", "", "", "", "", "", ""],
            ["Alpha SRL", "", "", "", "", "", "", "", "", ""],
        ],
    )  # fmt: skip
    job = records_import_file(kind="contacts", path=path, by=world.admin)
    rows = report(job)
    assert [r["outcome"] for r in rows] == [
        "created", "unchanged", "unchanged", "rejected", "rejected", "rejected", "rejected", "rejected",
    ]  # fmt: skip
    ana = Contact.objects.get()
    assert (ana.client, ana.phone, ana.role, ana.preferred_language) == (
        alpha,
        "+40721123456",
        "decision_maker",
        "ro",
    )
    assert ana.birthday.isoformat() == "1980-03-05"
    assert "by name" in rows[1]["reason"] and "by e-mail" in rows[2]["reason"]
    assert "Role" in rows[3]["reason"] and "boss" in rows[3]["reason"]
    assert "Birthday" in rows[4]["reason"] or "birthday" in rows[4]["reason"]
    assert "several clients" in rows[5]["reason"]
    assert "No client" in rows[6]["reason"] and "Nowhere SRL" in rows[6]["reason"]
    assert "name" in rows[7]["reason"]


def test_a_contacts_client_must_be_visible_to_the_importer(world, tmp_path):
    client_create(by=world.manager_south, data={"name": "South Kft", "country": "HU"})
    path = write_csv(
        tmp_path / "p.csv", [["Company", "First name", "Last name"], ["South Kft", "Éva", "Nagy"]]
    )
    job = records_import_file(kind="contacts", path=path, by=world.head_north)
    assert report(job)[0]["outcome"] == "rejected" and not Contact.objects.exists()


# --- Dry run, audit, batches ---------------------------------------------------------------------


def test_dry_run_reports_the_same_outcomes_and_writes_nothing(world, tmp_path):
    path = write_csv(
        tmp_path / "dry.csv",
        [
            ["Company", "CUI", "Country", "City"],
            ["A", CUI_A, "RO", ""],
            ["B", "RO1", "RO", ""],
            ["C", CUI_B, "RO", ""],
            ["A2", CUI_A, "RO", "Arad"],
            ["A3", CUI_A, "RO", "Iași"],
        ],
    )
    # batches of two: rows 5 and 6 match a client "created" in an earlier, rolled back batch
    dry = records_import_file(kind="clients", path=path, by=world.admin, dry_run=True, batch_size=2)
    assert import_clients.summary(dry) == "2 created, 1 updated, 1 unchanged, 1 rejected"
    assert not Client.objects.exists() and not ExternalRef.objects.exists()
    assert not AuditEntry.objects.filter(event="import").exists()
    real = records_import_file(kind="clients", path=path, by=world.admin, batch_size=2)
    assert [r["outcome"] for r in report(real)] == [r["outcome"] for r in report(dry)]
    assert Client.objects.get(tax_id="18547290").city == "Arad"


def test_the_import_is_one_audit_entry(world, tmp_path):
    path = write_csv(tmp_path / "a.csv", [["Company"], ["A"], ["B"], ["C"]])
    job = records_import_file(kind="clients", path=path, by=world.admin, batch_size=1)
    entries = AuditEntry.objects.filter(event="import")
    assert entries.count() == 1
    changes = entries.get().changes
    assert (changes["created"], changes["kind"], changes["status"]) == (3, "clients", "done")
    assert sorted(changes["created_ids"]) == sorted(Client.objects.values_list("pk", flat=True))
    assert job.audit_entry_id == entries.get().pk
    per_client = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(Client))
    assert not per_client.exclude(event="import").exists(), "no audit row per imported client"


def test_a_failing_batch_is_all_or_nothing_and_the_import_resumes_after_it(world, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "b.csv", [["Company"], *[[f"Firm {n}"] for n in range(1, 8)]])
    original = import_clients.RecordsImportRunner._client_create
    calls = {"n": 0}

    def crash_on_fifth(self, line, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("disk full")
        return original(self, line, *args, **kwargs)

    monkeypatch.setattr(import_clients.RecordsImportRunner, "_client_create", crash_on_fifth)
    with pytest.raises(RuntimeError):
        records_import_file(kind="clients", path=path, by=world.admin, batch_size=3)
    job = ImportJob.objects.get()
    assert (job.status, job.processed_rows, "disk full" in job.error) == (ImportStatus.FAILED, 3, True)
    assert Client.objects.count() == 3, "the second batch (row 4 saved, row 5 failed) left nothing"
    assert len(report(job)) == 3, "the report holds the committed batch only"

    monkeypatch.setattr(import_clients.RecordsImportRunner, "_client_create", original)
    job = records_import_run(job=job, batch_size=3)
    assert job.status == ImportStatus.DONE
    assert sorted(Client.objects.values_list("name", flat=True)) == [f"Firm {n}" for n in range(1, 8)]
    assert [int(r["line"]) for r in report(job)] == list(range(2, 9))
    assert import_clients.summary(job) == "7 created, 0 updated, 0 unchanged, 0 rejected"


def test_only_heads_and_admins_import_clients(world, tmp_path):
    path = write_csv(tmp_path / "a.csv", [["Company"], ["A"]])
    for user in (world.manager_north, world.marketer_north):
        with pytest.raises(Exception, match="permission"):
            records_import_file(kind="clients", path=path, by=user)
    with pytest.raises(Exception, match="cannot import into this team"):
        records_import_file(kind="clients", path=path, by=world.head_north, team=world.south)
    assert not ImportJob.objects.exists()


def test_contacts_dry_run_matches_rows_of_earlier_batches_like_the_real_run(world, tmp_path):
    client_create(by=world.admin, data={"name": "Alpha SRL", "country": "RO"}, check_permission=False)
    path = write_csv(
        tmp_path / "people.csv",
        [
            ["Company", "First name", "Last name", "E-mail", "Position"],
            ["Alpha SRL", "Ana", "Pop", "ana@alpha.ro", ""],
            ["Alpha SRL", "Ana", "Pop", "ana@alpha.ro", "CFO"],
            ["Alpha SRL", "Ana", "Pop", "ana@alpha.ro", "CEO"],
            ["Alpha SRL", "Ion", "Rusu", "", ""],
            ["Alpha SRL", "Ion", "Rusu", "", ""],
        ],
    )
    dry = records_import_file(kind="contacts", path=path, by=world.admin, dry_run=True, batch_size=1)
    assert not Contact.objects.exists()
    real = records_import_file(kind="contacts", path=path, by=world.admin, batch_size=1)
    outcomes = [r["outcome"] for r in report(real)]
    assert outcomes == ["created", "updated", "unchanged", "created", "unchanged"]
    assert [r["outcome"] for r in report(dry)] == outcomes
    assert Contact.objects.get(email="ana@alpha.ro").position == "CFO", "filled once, never overwritten"
