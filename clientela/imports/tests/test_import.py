"""File import of leads: every row accounted for, the pipeline's rules, dry run, resume."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from openpyxl import Workbook

from clientela.activities.models import Task
from clientela.clients.models import Client, Contact
from clientela.core.models import AuditEntry, Notification
from clientela.imports.bulk import BulkInserter
from clientela.imports.choices import ImportStatus
from clientela.imports.files import open_table, suggest_mapping
from clientela.imports.lead_stages import pg_text_array
from clientela.imports.leads import import_file, import_run, report_lines
from clientela.imports.models import ImportJob
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.choices import LeadEventKind, LeadStatus
from clientela.leads.models import Interest, Lead, LeadEvent, LeadPolicy

GENERATOR = Path(__file__).resolve().parents[4] / "shared" / "bench" / "gen_data.py"
ROWS = 2000


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """2,000 leads from the shared generator: mixed phone formats, near-duplicates, non-leads."""
    out = tmp_path_factory.mktemp("generated")
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(out), "--leads", str(ROWS)], check=True)
    return out / "leads.csv"


@pytest.fixture
def roomy(world):
    """A North policy that lets distribution assign every lead: no capacity cap, and hot and
    warm leads may go to beginners (nobody has closed a lead yet in a fresh database)."""
    LeadPolicy.objects.update_or_create(
        team=world.north, defaults={"capacity_cap": 100_000, "hot_warm_to_beginners": True}
    )
    return world


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        csv.writer(stream, delimiter=delimiter).writerows(rows)
    return path


def report(job: ImportJob) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(report_lines(job)))))


def run(path: Path, world, **options) -> ImportJob:
    options.setdefault("team", world.north)
    return import_file(path=path, by=world.head_north, **options)


def test_generated_file_every_row_gets_one_outcome(generated, roomy):
    job = run(generated, roomy)
    assert job.status == ImportStatus.DONE
    counts = (job.created_count, job.merged_count, job.interest_count, job.rejected_count)
    assert sum(counts) == job.processed_rows == job.total_rows == ROWS
    assert all(counts), f"the generator's file has every kind of row: {counts}"
    rows = report(job)
    assert [int(r["line"]) for r in rows] == list(range(2, ROWS + 2)), (
        "one report line per data row, in order"
    )
    outcomes = [r["outcome"] for r in rows]
    assert outcomes.count("created") == job.created_count == Lead.objects.count()
    assert outcomes.count("interest") == job.interest_count == Interest.objects.count()
    created_ids = {int(r["lead_id"]) for r in rows if r["outcome"] == "created"}
    assert created_ids == set(Lead.objects.values_list("id", flat=True))
    merged = [r for r in rows if r["outcome"] == "merged"]
    assert all(
        int(r["lead_id"]) in created_ids and r["merged_into"] == f"lead #{r['lead_id']}" for r in merged
    )
    assert all(r["reason"] for r in rows if r["outcome"] in ("rejected", "interest"))
    # every created lead: its "created" event, its first task, an owner from the team, search keys
    assert LeadEvent.objects.filter(kind=LeadEventKind.CREATED).count() == job.created_count
    assert Task.objects.filter(lead__isnull=False).count() == job.created_count
    assert not Lead.objects.filter(owner__isnull=True).exists()
    assert set(Lead.objects.values_list("owner__username", flat=True)) == {"mnorth", "mnorth2"}
    assert not Lead.objects.filter(search_text="").exists()
    # the merged rows are touches on the lead of their first row
    assert LeadEvent.objects.filter(kind=LeadEventKind.TOUCH).count() == job.merged_count
    assert sum(Lead.objects.values_list("touch_count", flat=True)) == job.created_count + job.merged_count


def test_the_import_is_one_audit_entry_with_its_counts(generated, roomy):
    job = run(generated, roomy, batch_size=700)
    entries = AuditEntry.objects.filter(event="import")
    assert entries.count() == 1, "one audited event for the whole import, whatever the batches"
    changes = entries.get().changes
    assert (changes["status"], changes["rows"], changes["created"]) == ("done", ROWS, job.created_count)
    assert entries.get().actor == roomy.head_north
    assert not AuditEntry.objects.filter(action="create", content_type__model="lead").exists()


def test_owners_and_importer_are_told_once_per_import(generated, roomy):
    job = run(generated, roomy, batch_size=700)
    for manager in (roomy.manager_north, roomy.manager_north2):
        mine = Notification.objects.filter(user=manager, verb="leads_imported")
        assert mine.count() == 1
        assert str(Lead.objects.filter(owner=manager).count()) in mine.get().text
    assert Notification.objects.get(user=roomy.head_north, verb="import_done").text.endswith(
        f"{job.created_count} created, {job.merged_count} merged, "
        f"{job.interest_count} interests, {job.rejected_count} rejected."
    )


def test_xlsx_gives_the_same_outcomes_as_csv(generated, roomy, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    with generated.open(encoding="utf-8", newline="") as stream:
        for row in csv.reader(stream):
            sheet.append(row)
    xlsx = tmp_path / "leads.xlsx"
    workbook.save(xlsx)
    as_csv = run(generated, roomy, dry_run=True)
    as_xlsx = run(xlsx, roomy, dry_run=True)
    assert as_xlsx.file_format == "xlsx"
    summary = lambda j: (j.created_count, j.merged_count, j.interest_count, j.rejected_count)  # noqa: E731
    assert summary(as_xlsx) == summary(as_csv)
    assert [r["outcome"] for r in report(as_xlsx)] == [r["outcome"] for r in report(as_csv)]
    real = run(xlsx, roomy)
    assert Lead.objects.count() == real.created_count == as_csv.created_count


def test_xlsx_numbers_and_line_numbers(world, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Phone", "Consent"])
    sheet.append(["Ana Pop", 40721123456, True])  # a phone typed as a number
    sheet.append([None, None, None])  # an empty row is not a data row
    sheet.append(["Ion Rusu", "not a phone", False])
    path = tmp_path / "people.xlsx"
    workbook.save(path)
    job = run(path, world)
    rows = report(job)
    assert [(r["line"], r["outcome"]) for r in rows] == [("2", "created"), ("4", "rejected")]
    lead = Lead.objects.get()
    assert (lead.phone, lead.consent) == ("+40721123456", True)
    assert "Phone" in rows[1]["reason"] and "not a phone" in rows[1]["reason"]


def test_cp1251_csv_with_cyrillic_names_and_semicolons(world, tmp_path):
    path = write_csv(
        tmp_path / "legacy.csv",
        [
            ["Имя", "Фамилия", "Телефон", "Почта", "Компания"],
            ["Алексей", "Морозов", "+7 912 345 67 89", "a.morozov@example.ru", "ООО Альфа"],
            ["Ольга", "Фёдорова", "8 (912) 111-22-33", "", "ООО Бета"],
        ],
        encoding="cp1251",
        delimiter=";",
    )
    job = run(path, world, default_country="RU")
    assert (job.encoding, job.delimiter) == ("cp1251", ";")
    assert job.created_count == 2, report(job)
    names = set(Lead.objects.values_list("last_name", "company_name", "phone"))
    assert names == {("Морозов", "ООО Альфа", "+79123456789"), ("Фёдорова", "ООО Бета", "+79121112233")}
    lead = Lead.objects.get(last_name="Морозов")
    assert "morozov" in lead.search_text, "transliterated for search"


def test_utf8_with_bom_and_tabs(world, tmp_path):
    path = write_csv(
        tmp_path / "tabs.csv",
        [["E-mail", "Nume", "Prenume"], ["ana@example.ro", "Ștefănescu", "Ana"]],
        delimiter="\t",
    )
    with path.open("rb") as stream:
        table = open_table(stream)
        assert (table.encoding, table.delimiter, table.headers) == (
            "utf-8",
            "\t",
            ["E-mail", "Nume", "Prenume"],
        )
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    job = run(path, world)
    assert job.encoding == "utf-8-sig"
    assert Lead.objects.get().last_name == "Ștefănescu"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["E-mail", "Telefon", "Nume", "Prenume"],
            {"E-mail": "email", "Telefon": "phone", "Nume": "last_name", "Prenume": "first_name"},
        ),
        (
            ["Почта", "Телефон", "ФИО", "Компания"],
            {"Почта": "email", "Телефон": "phone", "ФИО": "name", "Компания": "company"},
        ),
        (
            ["email", "phone", "utm_campaign", "note", "interest"],
            {
                "email": "email",
                "phone": "phone",
                "utm_campaign": "campaign",
                "note": "message",
                "interest": "interest",
            },
        ),
        (
            ["Vezetéknév", "Keresztnév", "Telefonszám", "Cég"],
            {"Vezetéknév": "last_name", "Keresztnév": "first_name", "Telefonszám": "phone", "Cég": "company"},
        ),
        (
            ["Nama", "No Telefon", "Emel", "Syarikat"],
            {"Nama": "name", "No Telefon": "phone", "Emel": "email", "Syarikat": "company"},
        ),
        (["Email", "E-mail", "Favourite colour"], {"Email": "email"}),
    ],
)
def test_mapping_is_suggested_from_headers_in_several_languages(headers, expected):
    assert suggest_mapping(headers) == expected


def test_generator_headers_map_to_every_field_but_the_date():
    headers = [
        "external_id",
        "created_at",
        "first_name",
        "last_name",
        "company",
        "position",
        "email",
        "phone",
        "country",
        "city",
        "source",
        "origin",
        "interest",
        "temperature",
        "utm_campaign",
        "consent",
        "note",
    ]
    mapping = suggest_mapping(headers)
    assert set(headers) - set(mapping) == {"created_at"}


def test_dry_run_writes_nothing_but_the_job_and_its_report(generated, roomy):
    job = run(generated, roomy, dry_run=True)
    assert job.status == ImportStatus.DONE and job.dry_run
    assert sum((job.created_count, job.merged_count, job.interest_count, job.rejected_count)) == ROWS
    for model in (Lead, Interest, LeadEvent, Task, Notification):
        assert not model.objects.exists(), model
    assert not AuditEntry.objects.filter(event="import").exists()
    rows = report(job)
    assert len(rows) == ROWS
    created = [r for r in rows if r["outcome"] == "created"]
    assert all(r["lead_id"] == "" and r["reason"].startswith("Assigned to") for r in created), created[:2]
    merged = [r for r in rows if r["outcome"] == "merged"]
    assert all(r["merged_into"].startswith("line ") for r in merged)
    real = run(generated, roomy)
    assert (real.created_count, real.merged_count, real.interest_count, real.rejected_count) == (
        job.created_count,
        job.merged_count,
        job.interest_count,
        job.rejected_count,
    ), "a dry run predicts the real import"


def test_duplicates_within_the_file_in_different_phone_formats(world, tmp_path):
    path = write_csv(
        tmp_path / "dups.csv",
        [
            ["first_name", "last_name", "phone", "email", "country"],
            ["Ana", "Pop", "+40 721 123 456", "", "RO"],
            ["Ana", "Pop", "0040721123456", "", ""],
            ["ANA", "POP", "(+40) 721-123-456", "", ""],
            ["Ana", "Pop", "0721 123 456", "ana@example.ro", "RO"],
            ["Ion", "Rusu", "", "ION@EXAMPLE.RO", ""],
            ["Ion", "Rusu", "", "  ion@example.ro ", ""],
        ],
    )
    job = run(path, world, batch_size=2)  # the duplicates fall into later batches too
    assert (job.created_count, job.merged_count) == (2, 4)
    ana = Lead.objects.get(first_name="Ana")
    assert (ana.phone, ana.touch_count) == ("+40721123456", 4)
    assert Lead.objects.get(first_name="Ion").email == "ion@example.ro"
    rows = report(job)
    assert [r["merged_into"] for r in rows] == [
        "",
        f"lead #{ana.pk}",
        f"lead #{ana.pk}",
        f"lead #{ana.pk}",
        "",
        rows[5]["merged_into"],
    ]
    assert ana.events.filter(kind=LeadEventKind.TOUCH).count() == 3


def test_duplicates_of_existing_leads_and_clients_are_touches(world, tmp_path):
    existing = intake_submit(
        raw=RawLead(name="Mara Ionescu", phone="+40 744 000 111"),
        ctx=IntakeContext(door="api", team=world.north),
    ).record
    existing.owner = world.manager_north
    existing.save(update_fields=["owner"])
    client = Client.objects.create(
        name="Alpha SRL", phone="+40213334444", owner=world.manager_north2, team=world.north
    )
    path = write_csv(
        tmp_path / "existing.csv",
        [
            ["name", "phone", "company"],
            ["Mara Ionescu", "0744-000-111", ""],
            ["", "021 333 4444", "Alpha SRL"],
        ],
    )
    job = run(path, world)
    assert (job.created_count, job.merged_count) == (0, 2)
    existing.refresh_from_db()
    assert existing.touch_count == 2
    rows = report(job)
    assert (rows[0]["merged_into"], rows[0]["lead_id"]) == (f"lead #{existing.pk}", str(existing.pk))
    assert rows[1]["merged_into"] == f"client #{client.pk}"
    assert Notification.objects.filter(user=world.manager_north, verb="lead_touch").exists()
    assert Notification.objects.filter(user=world.manager_north2, verb="client_touch").exists()
    assert AuditEntry.objects.get(event="import").changes["touched_clients"] == [client.pk]
    before = client.last_contact_at
    client.refresh_from_db()
    assert client.last_contact_at > before, "the client got in touch: its status follows"


def test_refused_leads_do_not_catch_duplicates(world, tmp_path):
    old = intake_submit(
        raw=RawLead(name="Old Lead", email="old@example.com"), ctx=IntakeContext(door="api", team=world.north)
    ).record
    Lead.objects.filter(pk=old.pk).update(status=LeadStatus.REFUSED)
    path = write_csv(tmp_path / "again.csv", [["name", "email"], ["Old Lead", "OLD@example.com"]])
    job = run(path, world)
    assert job.created_count == 1, "only open leads, contacts and clients are duplicates (as in the pipeline)"


def test_bad_rows_are_rejected_with_line_number_and_reason(world, tmp_path):
    path = write_csv(
        tmp_path / "bad.csv",
        [
            ["name", "email", "phone", "source", "temperature", "position"],
            ["Ana Pop", "not-an-email", "", "", "", ""],
            ["Ion Rusu", "", "12", "", "", ""],
            ["Eva Kiss", "eva@example.hu", "", "carrier pigeon", "", ""],
            ["Dan Stan", "dan@example.ro", "", "", "boiling", ""],
            ["", "", "", "", "", "CEO"],
            ["", "", "", "", "", ""],
            ["Ok Person", "ok@example.ro", "", "", "", ""],
        ],
    )
    job = run(path, world)
    rows = {r["line"]: r for r in report(job)}
    assert (job.rejected_count, job.created_count, job.processed_rows) == (5, 1, 6), (
        "the empty line is no data row"
    )
    assert "E-mail" in rows["2"]["reason"] and "not-an-email" in rows["2"]["reason"]
    assert "Phone" in rows["3"]["reason"]
    assert "Source" in rows["4"]["reason"] and "carrier pigeon" in rows["4"]["reason"]
    assert "Temperature" in rows["5"]["reason"]
    assert "Nothing to go on" in rows["6"]["reason"]
    assert rows["8"]["outcome"] == "created"
    assert not Lead.objects.exclude(first_name="Ok").exists(), "no partial records"


def test_report_csv_columns(world, tmp_path):
    path = write_csv(
        tmp_path / "small.csv",
        [
            ["name", "email", "company"],
            ["Ana Pop", "ana@example.ro", ""],
            ["", "", "Beta SRL"],
            ["Ana P", "ANA@example.ro", ""],
        ],
    )
    job = run(path, world)
    text = "".join(report_lines(job))
    lead = Lead.objects.get()
    interest = Interest.objects.get()
    assert text.splitlines() == [
        "line,outcome,lead_id,interest_id,merged_into,reason",
        f"2,created,{lead.pk},,,",
        f"3,interest,,{interest.pk},,no person's name",
        f"4,merged,{lead.pk},,lead #{lead.pk},",
    ]
    assert job.report.name.endswith(".csv"), "the finished report is stored on the job"
    assert not job.report_chunks.exists()


def test_resume_after_a_crash_between_batches(generated, roomy):
    expected = run(generated, roomy, dry_run=True)

    def crash_after_first(job: ImportJob) -> None:
        if job.processed_rows == 500:
            raise RuntimeError("worker killed")

    with open(generated, "rb") as stream:
        from clientela.imports.leads import import_job_create

        job = import_job_create(by=roomy.head_north, file=stream, name="leads.csv", team=roomy.north)
    from clientela.imports.leads import ImportRunner

    with pytest.raises(RuntimeError):
        ImportRunner(job, by=roomy.head_north, batch_size=500, after_batch=crash_after_first).run()
    job.refresh_from_db()
    assert (job.status, job.processed_rows) == (ImportStatus.FAILED, 500)
    assert "worker killed" in job.error
    first_batch = Lead.objects.count()
    assert first_batch == job.created_count > 0
    assert len(report(job)) == 500, "the report so far is downloadable"

    job = import_run(job=job, batch_size=500)
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.merged_count, job.interest_count, job.rejected_count) == (
        expected.created_count,
        expected.merged_count,
        expected.interest_count,
        expected.rejected_count,
    )
    assert Lead.objects.count() == job.created_count, "no lead twice"
    assert Lead.objects.values("external_id").distinct().count() == job.created_count
    assert [int(r["line"]) for r in report(job)] == list(range(2, ROWS + 2)), "no row lost, none twice"
    assert AuditEntry.objects.filter(event="import").count() == 1


def test_a_failing_batch_leaves_nothing_half_written(generated, roomy, monkeypatch):
    with open(generated, "rb") as stream:
        from clientela.imports.leads import ImportRunner, import_job_create

        job = import_job_create(by=roomy.head_north, file=stream, name="leads.csv", team=roomy.north)
    real_insert = BulkInserter.insert
    calls = {"tasks": 0}

    def failing_insert(self, rows):
        if self.model is Task:
            calls["tasks"] += 1
            if calls["tasks"] == 2:
                raise OSError("disk full")
        return real_insert(self, rows)

    monkeypatch.setattr(BulkInserter, "insert", failing_insert)
    with pytest.raises(OSError):
        ImportRunner(job, by=roomy.head_north, batch_size=400).run()
    job.refresh_from_db()
    assert job.processed_rows == 400
    assert Lead.objects.count() == Task.objects.count() == job.created_count, "batch 2 rolled back whole"
    monkeypatch.setattr(BulkInserter, "insert", real_insert)
    job = import_run(job=job, batch_size=400)
    assert job.processed_rows == ROWS
    assert Lead.objects.count() == Task.objects.count() == job.created_count


def test_a_second_runner_of_the_same_job_is_refused(world, tmp_path):
    from clientela.core.errors import ConflictError
    from clientela.imports.leads import ImportRunner, import_job_create

    path = write_csv(tmp_path / "one.csv", [["name", "email"], ["Ana Pop", "ana@example.ro"]])
    with path.open("rb") as stream:
        job = import_job_create(by=world.head_north, file=stream, name="one.csv", team=world.north)
    first = ImportRunner(job, by=world.head_north)
    assert first.claim()
    with pytest.raises(ConflictError):
        ImportRunner(job, by=world.head_north).run()
    first.run_claimed()
    assert Lead.objects.count() == 1
    assert ImportRunner(job, by=world.head_north).run().status == ImportStatus.DONE, "done stays done"
    assert Lead.objects.count() == 1


def test_default_country_for_phones_without_a_code(world, tmp_path):
    path = write_csv(tmp_path / "hu.csv", [["name", "phone"], ["Kiss Éva", "06 30 123 4567"]])
    run(path, world, default_country="HU")
    lead = Lead.objects.get()
    assert (lead.phone, lead.country) == ("+36301234567", "HU")


def test_bulk_inserter_fills_columns_it_is_not_given_with_model_defaults(world):
    inserter = BulkInserter(Lead, ["first_name", "email"])
    (pk,) = inserter.reserve_ids(1)
    inserter.insert([(pk, "Ana", "ana@example.ro")])
    lead = Lead.objects.get(pk=pk)
    assert (lead.status, lead.touch_count, lead.qualification, lead.score_factors) == (
        LeadStatus.NEW,
        1,
        {},
        [],
    )
    (next_pk,) = inserter.reserve_ids(1)
    assert next_pk > pk


def test_bulk_inserter_keeps_every_character_and_type_exactly(world):
    """Tabs, newlines, backslashes, `\\N`, quotes and non-Latin text in a written row come back
    unchanged (PostgreSQL writes the rows as COPY text, which escapes them)."""
    tricky = 'Tab\there\nnew line\r\\ back\\slash \\N "quoted" Ştefan Морозов 日本'
    inserter = BulkInserter(Lead, ["first_name", "message", "consent", "touch_count", "score_factors"])
    (pk,) = inserter.reserve_ids(1)
    inserter.insert([(pk, "\\N", tricky, True, 7, '[{"factor": "a\\tb"}]')])
    lead = Lead.objects.get(pk=pk)
    assert (lead.first_name, lead.message, lead.consent, lead.touch_count) == ("\\N", tricky, True, 7)
    assert lead.score_factors == [{"factor": "a\tb"}]
    assert lead.email is None or lead.email == ""


@pytest.mark.django_db
def test_text_array_literal_round_trips_quotes_and_backslashes():
    values = {'a"b@example.ro', "back\\slash@example.ro", "comma,brace}{@example.ro", "+40744000111", ""}
    # Every value quoted, its quotes and backslashes escaped, in a stable order.
    assert pg_text_array(values) == (
        '{"","+40744000111","a\\"b@example.ro","back\\\\slash@example.ro","comma,brace}{@example.ro"}'
    )
    if connection.vendor == "postgresql":  # and PostgreSQL reads back exactly the values sent
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::text[]", [pg_text_array(values)])
            assert set(cursor.fetchone()[0]) == values


def test_contacts_and_clients_match_on_their_other_addresses(world, tmp_path):
    """As at every other door, an e-mail or phone listed among a contact's or a client's other
    addresses is a touch on that record, not a new lead."""
    client = Client.objects.create(
        name="Beta SRL",
        owner=world.manager_north2,
        team=world.north,
        other_phones=["+40213335555"],
        other_emails=["office@beta.example"],
    )
    contact = Contact.objects.create(
        client=client, first_name="Ion", last_name="Pop", other_emails=["ion.pop@gmail.example"]
    )
    path = write_csv(
        tmp_path / "others.csv",
        [
            ["name", "email", "phone"],
            ["Ion Pop", "ION.POP@gmail.example", ""],
            ["Office", "", "021 333 5555"],
            ["Somebody Else", "office@beta.example", ""],
            ["New Person", "new.person@gamma.example", ""],
        ],
    )
    job = run(path, world)
    assert (job.created_count, job.merged_count) == (1, 3)
    rows = report(job)
    assert [r["merged_into"] for r in rows[:3]] == [
        f"contact #{contact.pk}",
        f"client #{client.pk}",
        f"client #{client.pk}",
    ]
    assert AuditEntry.objects.get(event="import").changes["touched_clients"] == [client.pk]


def test_imported_leads_are_found_by_the_search_index(world, tmp_path):
    """On SQLite the import fills the FTS index in bulk (trigger off for the batch): the index
    must hold exactly the imported leads, and later edits still reach it through the trigger."""
    from django.db import connection

    from clientela.leads.search import search_condition, sqlite_index_ready

    path = write_csv(
        tmp_path / "search.csv",
        [
            ["first_name", "last_name", "email"],
            ["Алексей", "Морозов", "am@example.ru"],
            ["Ana", "Pop", "ana@example.ro"],
        ],
    )
    run(path, world, batch_size=1)
    assert set(Lead.objects.filter(search_condition("морозов")).values_list("email", flat=True)) == {
        "am@example.ru"
    }
    assert Lead.objects.filter(search_condition("Morozov")).count() == 1, "transliterated"
    assert Lead.objects.filter(search_condition("example.ro")).count() == 1
    if connection.vendor == "sqlite":
        assert sqlite_index_ready(), "the insert trigger is back after the batch"
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM leads_lead_fts WHERE search_text LIKE '%ana%'")
            assert cursor.fetchone()[0] == 1
        lead = Lead.objects.get(email="ana@example.ro")
        Lead.objects.filter(pk=lead.pk).update(search_text="ioana popescu")
        assert Lead.objects.filter(search_condition("popescu")).get() == lead


def test_values_too_long_for_their_column_reject_the_row_not_the_batch(world, tmp_path):
    long_email = "a" * 63 + "." + "b" * 63 + "@" + ".".join(["c" * 60] * 3) + ".example"
    assert 254 < len(long_email) <= 320, "a valid address, longer than the column"
    path = write_csv(
        tmp_path / "long.csv",
        [
            ["first_name", "last_name", "email"],
            ["Ana", "Pop", long_email],
            ["", "中" * 100, "x@example.com"],
            ["Ion", "Rusu", "ion@example.ro"],
        ],
    )
    job = run(path, world)
    rows = report(job)
    assert [r["outcome"] for r in rows] == ["rejected", "rejected", "created"]
    assert "E-mail" in rows[0]["reason"] and "254" in rows[0]["reason"]
    assert "120" in rows[1]["reason"]
    assert Lead.objects.get().email == "ion@example.ro"


def test_sqlite_search_index_repairs_itself_after_a_table_rebuild(world):
    """Django's SQLite schema editor rebuilds a table for most schema changes and its
    triggers go with it; `ensure_sqlite_index` puts them back and re-indexes what was missed."""
    from django.db import connection

    from clientela.leads.search import ensure_sqlite_index, search_condition, sqlite_index_ready

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        for name in ("leads_lead_fts_ai", "leads_lead_fts_ad", "leads_lead_fts_au"):
            cursor.execute(f"DROP TRIGGER {name}")
    lead = Lead.objects.create(first_name="Zsófia", last_name="Nagy", search_text="zsofia nagy")
    assert not sqlite_index_ready()
    assert list(Lead.objects.filter(search_condition("zsofia"))) == [lead], "without the index: a plain scan"

    def indexed() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM leads_lead_fts WHERE search_text LIKE '%zsofia%'")
            return cursor.fetchone()[0]

    assert indexed() == 0, "the row written while the triggers were gone is not in the index"
    assert ensure_sqlite_index() is True
    assert indexed() == 1, "rebuilt"
    assert list(Lead.objects.filter(search_condition("zsofia"))) == [lead]
    assert ensure_sqlite_index() is False, "nothing to repair the second time"
