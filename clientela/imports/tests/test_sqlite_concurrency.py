"""The embedded default under a small team's load: on a SQLite file database, a file import, the
periodic sweeps and people's writes at the same time lose nothing and meet no `database is
locked` — every connection, in every thread, has WAL, the busy timeout and IMMEDIATE writers."""

from __future__ import annotations

import csv

import pytest
from django.db import connection

from clientela.core.tests.sqlite_file import run_on_file_database

ROWS = 240
MANUAL = 2 * 15


@pytest.mark.django_db(transaction=True)
def test_an_import_the_sweeps_and_web_writes_at_once_lose_nothing(world, tmp_path):
    path = tmp_path / "expo.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Nume", "Prenume", "Telefon", "E-mail", "Firma"])
        for n in range(ROWS):
            writer.writerow([f"Import{n}", "Ana", f"+4072{n:07d}", f"import{n}@example.ro", f"Firma {n} SRL"])
    outcome = run_on_file_database(
        tmp_path,
        f"""
        import time
        from clientela.core.periodic import PERIODIC_JOBS
        from clientela.imports.leads import import_file
        from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
        from clientela.leads.models import Lead
        from clientela.users.models import Team, User

        head, north = User.objects.get(username="hnorth"), Team.objects.get(name="North")
        mapping = {{"Nume": "last_name", "Prenume": "first_name", "Telefon": "phone", "E-mail": "email",
                    "Firma": "company"}}
        errors, settings_seen, importing = [], [], threading.Event()
        importing.set()

        def seen():
            if connection.vendor != "sqlite":
                settings_seen.append([connection.vendor])
                return
            with connection.cursor() as cursor:
                journal = cursor.execute("PRAGMA journal_mode").fetchone()[0]
                busy = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
            settings_seen.append((journal, busy, connection.transaction_mode))

        def guarded(name, work):
            def run():
                try:
                    seen()
                    work()
                except Exception as exc:
                    errors.append(f"{{name}}: {{exc!r}}")
                finally:
                    connection.close()
            return threading.Thread(target=run, name=name)

        def do_import():
            try:
                job = import_file(path={str(path)!r}, by=head, team=north, mapping=mapping, batch_size=20)
                settings_seen.append(("job", job.status, job.processed_rows))
            finally:
                importing.clear()

        def sweeps():
            rounds = 0
            while importing.is_set() or rounds < 2:
                for job in PERIODIC_JOBS:
                    job.task.call()
                rounds += 1

        def web(n):
            def work():
                for i in range({MANUAL // 2}):
                    ctx = IntakeContext(door="manual", by=head, team=north, owner=head)
                    raw = RawLead(name=f"Web {{n}}-{{i}}", phone=f"+36301{{n}}{{i:05d}}",
                                  email=f"web{{n}}-{{i}}@example.hu", company=f"Web {{n}}-{{i}} Kft")
                    intake_submit(raw=raw, ctx=ctx)
            return work

        threads = [guarded("import", do_import), guarded("sweeps", sweeps),
                   guarded("web-1", web(1)), guarded("web-2", web(2))]
        [thread.start() for thread in threads]
        [thread.join(300) for thread in threads]
        print(json.dumps({{
            "errors": errors,
            "seen": settings_seen,
            "imported": Lead.objects.filter(email__startswith="import").count(),
            "manual": Lead.objects.filter(email__startswith="web").count(),
        }}))
        """,
        timeout=400,
    )
    assert outcome["errors"] == [], outcome["errors"]
    assert ["job", "done", ROWS] in outcome["seen"]
    connections = [entry for entry in outcome["seen"] if entry[0] != "job"]
    # SQLite: every connection of every thread has WAL, the busy timeout and IMMEDIATE writers.
    # PostgreSQL (the same load on the test database): row locks and MVCC, nothing to configure.
    expected = ["wal", 30000, "IMMEDIATE"] if connection.vendor == "sqlite" else ["postgresql"]
    assert len(connections) == 4 and all(entry == expected for entry in connections)
    assert (outcome["imported"], outcome["manual"]) == (ROWS, MANUAL)
