#!/usr/bin/env python3
"""Lead import and lead-list benchmark: 1,000,000 generated leads on PostgreSQL and SQLite.

    python bench/leads_import.py                      # both databases, 1,000,000 leads
    python bench/leads_import.py --db postgres --leads 200000
    python bench/leads_import.py --db sqlite --work /tmp/clientela-bench

For each database it:
1. generates the leads file with ../shared/bench/gen_data.py (deterministic, cached in --work);
2. creates a fresh database (PostgreSQL: --pg-name, default `clientela_bench_leads`, dropped and
   created with the role of CLIENTELA_DATABASE_URL; SQLite: a new file in --work) and migrates it;
3. creates a team with a head of sales and --managers managers;
4. runs `clientela import leads FILE --team Bench --by bench-head` as a separate process and
   measures its wall time (rows/s end to end: reading, validation, normalisation, dedup,
   distribution, writes, indexes) and its peak RSS;
5. checks that the summary line accounts for every data row;
6. times the lead-list queries at that size (median of 5 warm runs, first page of 50 and the
   total count): owner + status ordered by date, as an admin and as the manager (scoped);
   search by e-mail fragment, phone fragment and Cyrillic last name, with the current
   selector and with `leads.search.search_condition` (index-assisted).

Results are printed and written to bench/results/<db>-<leads>.json.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT.parent / "shared" / "bench" / "gen_data.py"
DEFAULT_PG = "postgres://clientela:clientela@localhost:5432/clientela"
BENCH_DB = "clientela_bench_leads"
TIMEOUT = 20 * 60  # seconds per step: a benchmark run stays bounded


def say(text: str) -> None:
    print(f"[bench] {text}", flush=True)


def machine() -> dict[str, object]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem_kb = int(line.split()[1])
    import sqlite3

    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def generate(work: Path, leads: int) -> Path:
    folder = work / f"data-{leads}"
    path = folder / "leads.csv"
    if not path.exists():
        say(f"generating {leads:,} leads into {path}")
        started = time.monotonic()
        subprocess.run(
            [sys.executable, str(GENERATOR), "--out", str(folder), "--leads", str(leads)],
            check=True,
            timeout=TIMEOUT,
        )
        say(f"generated in {time.monotonic() - started:.1f} s")
    return path


def data_rows(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        next(reader)
        return sum(1 for row in reader if any(cell.strip() for cell in row))


def database_url(db: str, work: Path, name: str = BENCH_DB) -> str:
    if db == "sqlite":
        path = work / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    base = os.environ.get("CLIENTELA_DATABASE_URL", "")
    if not base.startswith("postgres"):
        base = DEFAULT_PG
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return base.rsplit("/", 1)[0] + f"/{name}"


def clientela(env: dict[str, str], *args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clientela.cli", *args],
        env=env,
        check=True,
        text=True,
        capture_output=capture,
        timeout=TIMEOUT,
        cwd=ROOT,
    )


def phase_setup(managers: int) -> None:
    """In the bench database: a team with a head, managers and an admin; no capacity cap, so
    the distribution rules spread the whole file (the default cap of 50 would send all but
    the first 50 × managers leads to the team queue)."""
    from clientela.core.roles import Role
    from clientela.leads.models import LeadPolicy
    from clientela.users import services

    password = "bench-password-1"  # noqa: S105 (throwaway benchmark database)
    team = services.team_create(by=None, name="Bench", default_country="RO", check_permission=False)
    head = services.user_create(
        by=None, username="bench-head", password=password, role=Role.HEAD, team=team, check_permission=False
    )
    team.head = head
    team.save(update_fields=["head"])
    for i in range(managers):
        services.user_create(
            by=None,
            username=f"bench-m{i:02d}",
            password=password,
            role=Role.MANAGER,
            team=team,
            check_permission=False,
            first_name=f"Manager {i:02d}",
        )
    services.user_create(
        by=None, username="bench-admin", password=password, role=Role.ADMIN, team=None, check_permission=False
    )
    LeadPolicy.objects.update_or_create(team=team, defaults={"capacity_cap": 10_000_000})


def run_import(env: dict[str, str], path: Path) -> dict[str, object]:
    """`clientela import leads …` in its own process: wall time, peak RSS, its summary line and
    the importer's per-phase timings. On the time limit it is stopped and the rows it had
    committed so far are reported instead."""
    import selectors

    started = time.monotonic()
    command = ["import", "leads", str(path), "--team", "Bench", "--by", "bench-head"]
    process = subprocess.Popen(
        [sys.executable, "-m", "clientela.cli", *command],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    output = {process.stdout.fileno(): b"", process.stderr.fileno(): b""}
    sel = selectors.DefaultSelector()
    for stream in (process.stdout, process.stderr):
        sel.register(stream.fileno(), selectors.EVENT_READ)
    timed_out = False
    while sel.get_map():
        if time.monotonic() > started + TIMEOUT:
            process.kill()
            timed_out = True
            break
        for key, _mask in sel.select(timeout=5):
            data = os.read(key.fd, 65536)  # type: ignore[arg-type]
            if not data:
                sel.unregister(key.fd)
            output[key.fd] = (output[key.fd] + data)[-200_000:]  # type: ignore[index]
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.monotonic() - started
    stdout = output[process.stdout.fileno()].decode(errors="replace")
    stderr = output[process.stderr.fileno()].decode(errors="replace")
    timings = next((line.split("timings: ", 1)[1] for line in stderr.splitlines() if "timings: " in line), "")
    result: dict[str, object] = {
        "seconds": round(elapsed, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "phases": timings,
    }
    if timed_out:
        result["timed_out_after_seconds"] = TIMEOUT
        result["progress"] = stderr.rsplit("\r", 1)[-1].strip()
        return result
    if status != 0:
        raise SystemExit(f"import failed:\n{stdout}\n{stderr[-4000:]}")
    result["summary"] = stdout.strip().splitlines()[-1]
    return result


def phase_queries() -> None:
    """Time the lead-list queries (first page of 50 and the count), median of 5 warm runs."""
    import statistics

    from clientela.leads import search
    from clientela.leads.lists import LEADS
    from clientela.leads.models import Lead
    from clientela.leads.selectors import lead_list
    from clientela.users.models import User

    admin = User.objects.get(username="bench-admin")
    manager = User.objects.get(username="bench-m03")

    def timed(make):
        def once():
            qs = make()
            started = time.perf_counter()
            rows = list(qs[:50])
            first = time.perf_counter() - started
            started = time.perf_counter()
            total = qs.count()
            return first, time.perf_counter() - started, len(rows), total

        once()
        results = [once() for _ in range(5)]
        return {
            "first_page_ms": round(statistics.median(r[0] for r in results) * 1000, 1),
            "count_ms": round(statistics.median(r[1] for r in results) * 1000, 1),
            "rows": results[0][2],
            "total": results[0][3],
        }

    def current(viewer, **filters):
        return lambda: lead_list(viewer=viewer, filters=LEADS.values(**filters))

    def indexed(viewer, q):
        return lambda: lead_list(viewer=viewer, filters=LEADS.values()).filter(search.search_condition(q))

    total = Lead.objects.count()
    sample = Lead.objects.exclude(email="").exclude(phone="").order_by("pk")[total // 2]
    terms = {
        "e-mail fragment": sample.email.split("@")[0][-10:],
        "phone fragment": sample.phone[-7:],
        "Cyrillic last name": "Морозов",
    }
    queries = {
        "owner+status, as admin": timed(current(admin, owner=manager.pk, status="new")),
        "owner+status, as the manager (scoped)": timed(current(manager, owner=manager.pk, status="new")),
    }
    for label, term in terms.items():
        queries[f"search {label}: selectors.search_condition"] = timed(current(admin, q=term))
        queries[f"search {label}: leads.search, as admin"] = timed(indexed(admin, term))
        queries[f"search {label}: leads.search, as a manager"] = timed(indexed(manager, term))
    print("RESULT " + json.dumps({"leads": total, "terms": terms, "queries": queries}, ensure_ascii=False))


def phase_progress() -> None:
    """How far an import stopped at the time limit got (its committed batches)."""
    from clientela.imports.models import ImportJob

    job = ImportJob.objects.order_by("-pk").first()
    assert job is not None
    print("RESULT " + json.dumps({"processed_rows": job.processed_rows, "created_so_far": job.created_count}))


def phase_analyse() -> None:
    """What autovacuum / `PRAGMA optimize` would do after a bulk load: fresh planner statistics.
    Also counts the imported leads' running first-response clocks (one per created lead)."""
    from django.db import connection

    from clientela.comms.models import ResponseClock

    clocks = ResponseClock.objects.filter(stopped_at__isnull=True, lead__isnull=False).count()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in (
                "leads_lead",
                "leads_leadevent",
                "activities_task",
                "leads_interest",
                "comms_responseclock",
            ):
                cursor.execute(f"VACUUM ANALYZE {table}")
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            print("RESULT " + json.dumps({"database_size": cursor.fetchone()[0], "running_clocks": clocks}))
        else:
            cursor.execute("ANALYZE")
            print("RESULT " + json.dumps({"running_clocks": clocks}))


def phase(env: dict[str, str], name: str, *args: str) -> dict[str, object]:
    """Run one phase of this script inside the bench database's settings, in a new process."""
    output = subprocess.run(
        [sys.executable, __file__, "--phase", name, *args],
        env=env,
        check=True,
        text=True,
        capture_output=True,
        timeout=TIMEOUT,
        cwd=ROOT,
    ).stdout
    lines = [x for x in output.splitlines() if x.startswith("RESULT ")]
    return json.loads(lines[-1][len("RESULT ") :]) if lines else {}


def run(db: str, leads: int, work: Path, managers: int, pg_name: str = BENCH_DB) -> dict[str, object]:
    path = generate(work, leads)
    rows = data_rows(path)
    url = database_url(db, work, pg_name)
    data_dir = work / f"var-{db}"
    shutil.rmtree(data_dir, ignore_errors=True)
    env = {**os.environ, "CLIENTELA_DATABASE_URL": url, "CLIENTELA_DATA_DIR": str(data_dir)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    say(f"{db}: migrating {url}")
    clientela(env, "migrate", "--noinput", "-v0")
    phase(env, "setup", "--managers", str(managers))
    say(f"{db}: importing {rows:,} data rows")
    load_before = os.getloadavg()[0]
    result = run_import(env, path)
    result["load_average_before_after"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    result["rows"] = rows
    if "summary" in result:
        numbers = [int(part.split()[0]) for part in str(result["summary"]).split(", ")]
        result["rows_per_second"] = round(rows / float(result["seconds"]))
        result["accounts_for_every_row"] = sum(numbers) == rows
    else:
        done = phase(env, "progress")
        result.update(done)
        result["rows_per_second"] = round(int(done["processed_rows"]) / float(result["seconds"]))
    say(f"{db}: {result}")
    started = time.monotonic()
    analysed = phase(env, "analyse")
    result["analyse_seconds"] = round(time.monotonic() - started, 1)
    result["running_clocks"] = analysed.get("running_clocks")
    say(f"{db}: timing queries")
    result["queries"] = phase(env, "queries")
    if db == "postgres":
        result["database_size"] = analysed.get("database_size")
    else:
        result["database_size"] = f"{(work / 'bench.sqlite3').stat().st_size / 1e6:.0f} MB"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--managers", type=int, default=20)
    parser.add_argument("--pg-name", default=BENCH_DB, help="PostgreSQL database to (re)create")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "clientela-bench")
    parser.add_argument(
        "--phase", choices=["setup", "queries", "analyse", "progress"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.phase:
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
        import django

        django.setup()
        phases = {
            "setup": lambda: phase_setup(args.managers),
            "queries": phase_queries,
            "analyse": phase_analyse,
            "progress": phase_progress,
        }
        phases[args.phase]()
        return
    args.work.mkdir(parents=True, exist_ok=True)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    report: dict[str, object] = {"machine": machine()}
    for db in ["postgres", "sqlite"] if args.db == "both" else [args.db]:
        report[db] = run(db, args.leads, args.work, args.managers, args.pg_name)
        out = ROOT / "bench" / "results" / f"{db}-{args.leads}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(
            json.dumps({"machine": report["machine"], db: report[db]}, indent=2, ensure_ascii=False)
        )
        say(f"written {out}")
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
