#!/usr/bin/env python3
"""Clients and deals at scale: load the generator's companies/contacts/deals files, then time the
pages a sales team lives in (kanban board, client list, deal list, client card).

    python ../shared/bench/gen_data.py --out /tmp/crm --leads 0 --companies 200000
    python bench/crm_scale.py --data /tmp/crm                        # SQLite, new file in --work
    CLIENTELA_DATABASE_URL=postgres://clientela:clientela@127.0.0.1/clientela_bench_deals \\
        python bench/crm_scale.py --data /tmp/crm --db url             # that (throwaway) database
    python bench/crm_scale.py --data /tmp/crm --db url --no-load     # time again, same data

Loading (fresh database, migrated): three teams (RO, HU, MY) with a head and ten managers each
and an admin; every company becomes a client of a manager (round robin), its people contacts
(with their first employment period), its deals deals on the default pipeline of the same code
(stage by position, won/lost closing stages, the generator's lost reasons) with one stage-history
row per stage the deal went through, and (`--only activities`, into the database loaded before)
the activities of those deals. Rows are dicts of column values (columns a row does not give get
the model field's default) written with `COPY … FROM STDIN` on PostgreSQL and `executemany`
batches on SQLite; search keys are computed with the same functions the services use.

Timing: each page through Django's test client (URL → view → selectors → template; no
network), warm, median of RUNS runs, with the number of queries and the SQL time of one run.
Results: bench/results/crm-<vendor>-<companies>.json.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7
PASSWORD = "bench-password-1"  # noqa: S105 (throwaway benchmark users)
BATCH = 20_000


def say(text: str) -> None:
    print(f"[bench] {time.strftime('%H:%M:%S')} {text}", flush=True)


def setup(db: str, work: Path, load: bool) -> None:
    os.environ["CLIENTELA_DATA_DIR"] = str(work)
    if db == "sqlite":
        os.environ.pop("CLIENTELA_DATABASE_URL", None)
        if load:
            for suffix in ("", "-wal", "-shm"):
                (work / f"clientela.sqlite3{suffix}").unlink(missing_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if load:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


# --- Writing many rows ----------------------------------------------------------------------------


class Writer:
    """Rows as dicts of attribute → value; columns a row does not give get the model field's
    default (so a field added later is still filled as Django would). PostgreSQL: COPY with
    explicit ids; SQLite: one executemany per batch."""

    def __init__(self, model: Any) -> None:
        from django.db import connection
        from django.db.models import JSONField

        self.model = model
        self.connection = connection
        self.fields = list(model._meta.concrete_fields)
        self.json = [isinstance(f, JSONField) for f in self.fields]
        self.defaults = {f.attname: (None if f.primary_key else f.get_default()) for f in self.fields}
        quote = connection.ops.quote_name
        self.columns = ", ".join(quote(f.column) for f in self.fields)
        self.table = quote(model._meta.db_table)

    def tuple(self, row: dict[str, Any]) -> list[Any]:
        values = []
        sqlite = self.connection.vendor != "postgresql"
        for field, is_json in zip(self.fields, self.json, strict=True):
            value = row.get(field.attname, self.defaults[field.attname])
            if is_json:
                value = json.dumps(value)
            elif sqlite and isinstance(value, dt.datetime):
                value = value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
            elif sqlite and isinstance(value, Decimal):
                value = str(value)
            values.append(value)
        return values

    def write(self, batch: list[dict[str, Any]]) -> None:
        if not batch:
            return
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                sql = f"COPY {self.table} ({self.columns}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in batch:
                        copy.write_row(self.tuple(row))
            else:
                marks = ", ".join(["%s"] * len(self.fields))
                cursor.executemany(
                    f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})",  # noqa: S608
                    [self.tuple(row) for row in batch],
                )


def reset_sequences(models: Iterable[Any]) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )


def rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def aware(text: str) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def e164(raw: str) -> str:
    digits = "".join(ch for ch in raw if ch.isdigit())
    if raw.strip().startswith("00"):
        digits = digits[2:]
    return f"+{digits}"[:20] if digits else ""


def revenue_band(value: str) -> str:
    amount = int(value or 0)
    for limit, band in ((1_000_000, "lt_1m"), (10_000_000, "1m_10m"), (50_000_000, "10m_50m")):
        if amount < limit:
            return band
    return "50m_250m" if amount < 250_000_000 else "gt_250m"


# --- Loading -------------------------------------------------------------------------------------


def make_people() -> dict[str, Any]:
    from clientela.core.roles import Role
    from clientela.users import services as users

    teams, heads, managers = [], [], []
    for index, (name, country) in enumerate([("North", "RO"), ("South", "HU"), ("East", "MY")]):
        team = users.team_create(by=None, name=name, default_country=country, check_permission=False)
        head = users.user_create(
            by=None,
            username=f"head{index}",
            password=PASSWORD,
            role=Role.HEAD,
            team=team,
            check_permission=False,
        )
        team.head = head
        team.save(update_fields=["head"])
        teams.append(team)
        heads.append(head)
        for number in range(10):
            managers.append(
                users.user_create(
                    by=None,
                    username=f"m{index}-{number}",
                    password=PASSWORD,
                    role=Role.MANAGER,
                    team=team,
                    check_permission=False,
                )
            )
    users.user_create(
        by=None, username="admin", password=PASSWORD, role=Role.ADMIN, team=None, check_permission=False
    )
    return {"managers": managers}


def load(data: Path) -> dict[str, Any]:
    from django.db import connection, transaction

    from clientela.clients.models import Client, Contact, ContactMembership
    from clientela.clients.search import client_search_text, contact_search_text
    from clientela.core.normalise import search_text
    from clientela.deals.models import Deal, DealStageChange, LostReason, Pipeline

    timings: dict[str, float] = {}
    clients, contacts, memberships = Writer(Client), Writer(Contact), Writer(ContactMembership)
    deals, changes = Writer(Deal), Writer(DealStageChange)
    managers = make_people()["managers"]
    now = dt.datetime.now(dt.UTC)

    started = time.perf_counter()
    company_ids: dict[str, tuple[int, int, int, str]] = {}  # code → (id, owner, team, name)
    taken_tax: set[tuple[str, str]] = set()
    taken_reg: set[tuple[str, str]] = set()
    batch: list[Any] = []
    with transaction.atomic():
        for n, row in enumerate(rows(data / "companies.csv"), start=1):
            owner = managers[n % len(managers)]
            country = row["country"]
            tax = row["tax_id"] if (country, row["tax_id"]) not in taken_tax else ""
            reg = row["registration_no"] if (country, row["registration_no"]) not in taken_reg else ""
            taken_tax.add((country, tax))
            taken_reg.add((country, reg))
            created = aware(row["created_at"])
            client = {
                "id": n,
                "name": row["name"],
                "legal_form": row["legal_form"],
                "tax_id": tax,
                "tax_key": tax,
                "registration_number": reg,
                "industry": row["industry"],
                "employees": int(row["employees"]),
                "revenue_band": revenue_band(row["annual_revenue"]),
                "country": country,
                "city": row["city"],
                "website": row["website"],
                "phone": e164(row["phone"]),
                "phone_raw": row["phone"][:60],
                "email": row["email"],
                "owner_id": owner.pk,
                "team_id": owner.team_id,
                "created_at": created,
                "last_contact_at": created,  # the rule's floor; recounted after the load
                "updated_at": created,
            }
            client["search_text"] = client_search_text(SimpleNamespace(**{**clients.defaults, **client}))  # type: ignore[arg-type]
            batch.append(client)
            company_ids[row["company_id"]] = (n, owner.pk, owner.team_id, row["name"])
            if len(batch) >= BATCH:
                clients.write(batch)
                batch = []
        clients.write(batch)
    timings["clients"] = time.perf_counter() - started
    say(f"{len(company_ids)} clients in {timings['clients']:.0f} s")

    started = time.perf_counter()
    batch, periods = [], []
    with transaction.atomic():
        for n, row in enumerate(rows(data / "contacts.csv"), start=1):
            client_id = company_ids[row["company_id"]][0]
            contact = {
                "id": n,
                "client_id": client_id,
                "first_name": row["first_name"],
                "last_name": row["last_name"],
                "position": row["position"],
                "role": row["role"],
                "email": row["email"],
                "phone": e164(row["phone"]),
                "phone_raw": row["phone"][:60],
                "birthday": dt.date.fromisoformat(row["birthday"]) if row["birthday"] else None,
                "created_at": now,
                "updated_at": now,
            }
            contact["search_text"] = contact_search_text(SimpleNamespace(**{**contacts.defaults, **contact}))  # type: ignore[arg-type]
            batch.append(contact)
            periods.append(
                {
                    "id": n,
                    "contact_id": n,
                    "client_id": client_id,
                    "position": row["position"],
                    "role": row["role"],
                    "started_on": dt.date(2024, 1, 1),
                    "created_at": now,
                }
            )
            if len(batch) >= BATCH:
                contacts.write(batch)
                memberships.write(periods)
                batch, periods = [], []
        contacts.write(batch)
        memberships.write(periods)
        contact_count = n
    timings["contacts"] = time.perf_counter() - started
    say(f"{contact_count} contacts in {timings['contacts']:.0f} s")

    started = time.perf_counter()
    pipelines = {p.code: p for p in Pipeline.objects.filter(code__in=["corporate", "direct", "retail"])}
    stages = {code: sorted(p.stages.all(), key=lambda s: s.position) for code, p in pipelines.items()}
    reasons = {r.code: r.pk for r in LostReason.objects.all()}
    generator_stages = ["first_contact", "needs_identified", "proposal_sent", "negotiation", "agreement"]
    batch, history = [], []
    change_id = 0
    with transaction.atomic():
        for n, row in enumerate(rows(data / "deals.csv"), start=1):
            client_id, owner_id, team_id, _name = company_ids[row["company_id"]]
            code = row["pipeline"]
            open_stages = [s for s in stages[code] if not s.is_won and not s.is_lost]
            reached = min(generator_stages.index(row["stage"]), len(open_stages) - 1)
            created = aware(row["created_at"])
            assert created is not None
            closed = aware(row["closed_at"])
            status = row["status"]
            path = open_stages[: reached + 1]
            if status == "won":
                path = [*open_stages, next(s for s in stages[code] if s.is_won)]
            elif status == "lost":
                path = [*path, next(s for s in stages[code] if s.is_lost)]
            end = max(created, closed or min(now, created + dt.timedelta(days=7 * len(path))))
            step = (end - created) / max(1, len(path) - 1)
            previous_at = None
            for index, stage in enumerate(path):
                at = created + step * index
                change_id += 1
                history.append(
                    {
                        "id": change_id,
                        "deal_id": n,
                        "pipeline_id": pipelines[code].pk,
                        "from_stage_id": path[index - 1].pk if index else None,
                        "to_stage_id": stage.pk,
                        "at": at,
                        "by_id": owner_id,
                        "seconds_in_previous": int((at - previous_at).total_seconds())
                        if previous_at
                        else None,
                    }
                )
                previous_at = at
            title = row["title"][:200]
            batch.append(
                {
                    "id": n,
                    "title": title,
                    "search_text": search_text(title)[:600],
                    "client_id": client_id,
                    "owner_id": owner_id,
                    "team_id": team_id,
                    "pipeline_id": pipelines[code].pk,
                    "stage_id": path[-1].pk,
                    "status": status,
                    "amount": Decimal(row["amount"]).quantize(Decimal("0.01")),
                    "currency": row["currency"],
                    "stage_entered_at": previous_at,
                    "closed_at": closed,
                    "lost_reason_id": reasons.get(row["lost_reason"]) if status == "lost" else None,
                    "next_step_date": (created + dt.timedelta(days=14)).date() if status == "open" else None,
                    "next_step_subject": "Call back" if status == "open" else "",
                    "created_at": created,
                    "updated_at": end,
                }
            )
            if len(batch) >= BATCH:
                deals.write(batch)
                changes.write(history)
                batch, history = [], []
        deals.write(batch)
        changes.write(history)
        deal_count = n
    timings["deals"] = time.perf_counter() - started
    say(f"{deal_count} deals, {change_id} stage changes in {timings['deals']:.0f} s")
    reset_sequences([Client, Contact, ContactMembership, Deal, DealStageChange])

    # The stored figures the list filters read (clients.completeness, clients.status), set-based,
    # as the services keep them for cards made one by one.
    from clientela.clients.completeness import refresh_completeness
    from clientela.clients.status import refresh_last_contact

    started = time.perf_counter()
    with transaction.atomic():
        refresh_completeness(None)
        refresh_last_contact(None)
    timings["stored_figures"] = time.perf_counter() - started

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    timings["analyze"] = time.perf_counter() - started
    return {
        "clients": len(company_ids),
        "contacts": contact_count,
        "deals": deal_count,
        "stage_changes": change_id,
        "load_seconds": {k: round(v, 1) for k, v in timings.items()},
    }


# --- Activities -----------------------------------------------------------------------------------

ACTIVITY_KINDS = {"printed_ad": "printed"}  # generator kind → ActivityKind (the rest are the same)
TOUCH_KINDS = ("call", "email", "meeting")


def activity_outcome(kind: str, outcome: str) -> str:
    """The generator's outcome (done / no_answer / rescheduled) as an `Outcome` value."""
    if outcome == "done":
        return {"call": "reached", "meeting": "held"}.get(kind, "")
    if (kind, outcome) in {("call", "no_answer"), ("meeting", "rescheduled")}:
        return outcome
    return ""


def load_activities(data: Path) -> dict[str, Any]:
    """`activities.csv` → `activities.Activity` on the deals loaded before (deal `D%08d` is row
    n + 1 of deals.csv, so id n + 1), done by the deal's owner for its team, linked to the deal
    and its client; calls, e-mails and meetings are outbound touches. Then every client's
    `last_activity_at` follows its latest touch, as `activities.services.log.activity_log` keeps it."""
    from django.db import connection, transaction

    from clientela.activities.models import Activity
    from clientela.deals.models import Deal

    started = time.perf_counter()
    if Activity.objects.exists():
        raise SystemExit("activities are loaded already (activities_activity is not empty)")
    deals = {
        pk: (client_id, owner_id, team_id)
        for pk, client_id, owner_id, team_id in Deal.objects.values_list(
            "pk", "client_id", "owner_id", "team_id"
        )
    }
    writer = Writer(Activity)
    batch: list[dict[str, Any]] = []
    n = 0
    with transaction.atomic():
        for n, row in enumerate(rows(data / "activities.csv"), start=1):
            deal_id = int(row["deal_id"][1:]) + 1
            client_id, owner_id, team_id = deals[deal_id]
            kind = ACTIVITY_KINDS.get(row["kind"], row["kind"])
            at = aware(row["at"])
            batch.append(
                {
                    "id": n,
                    "kind": kind,
                    "direction": "out" if kind in TOUCH_KINDS else "",
                    "occurred_at": at,
                    "outcome": activity_outcome(kind, row["outcome"]),
                    "duration_minutes": int(row["duration_min"]) if row["duration_min"] else None,
                    "client_id": client_id,
                    "deal_id": deal_id,
                    "owner_id": owner_id,
                    "team_id": team_id,
                    "created_at": at,
                    "updated_at": at,
                    "created_by_id": owner_id,
                }
            )
            if len(batch) >= BATCH:
                writer.write(batch)
                batch = []
                if n % 500_000 < BATCH:
                    say(f"  {n} activities")
        writer.write(batch)
    reset_sequences([Activity])
    copied = time.perf_counter() - started
    say(f"{n} activities in {copied:.0f} s")

    started = time.perf_counter()
    kinds = ", ".join(f"'{k}'" for k in TOUCH_KINDS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE clients_client SET last_activity_at = ("  # noqa: S608 (constant SQL)
            "SELECT MAX(a.occurred_at) FROM activities_activity a "
            f"WHERE a.client_id = clients_client.id AND a.kind IN ({kinds})) "
            "WHERE EXISTS (SELECT 1 FROM activities_activity a WHERE a.client_id = clients_client.id)"
        )
        # The stored last contact follows (clients.services.derived.client_record_activity keeps both).
        cursor.execute(
            "UPDATE clients_client SET last_contact_at = last_activity_at "
            "WHERE last_activity_at > COALESCE(last_contact_at, created_at)"
        )
    touched = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {
        "activities": n,
        "load_seconds": {
            "activities": round(copied, 1),
            "last_activity_at": round(touched, 1),
            "analyze": round(time.perf_counter() - started, 1),
        },
    }


# --- Retention (`--only retention`) ---------------------------------------------------------------

# The churn taxonomy's shares known from practice, used to pick a lost client's reason.
LOSS_REASONS = [
    ("attitude", 68),
    ("quality", 14),
    ("competition", 10),
    ("parallel_supplier", 5),
    ("no_reason", 3),
]


def load_retention() -> dict[str, Any]:
    """Into the database loaded before: every 16th client lost on a day between a month after it
    became a client and today (reason by the practice shares), then the status history through
    the product's own sweep (`lifecycle.sync_history`, timed: it also records the passive spells
    that fell out of the stored dates), the nightly value classification (timed), and an NPS and a
    CSAT answer for every other client over the last two years."""
    import random

    from django.core.management import call_command
    from django.db import connection, transaction

    from clientela.clients.models import Client, Contact
    from clientela.retention import lifecycle
    from clientela.retention.models import ClientStatusChange, Survey
    from clientela.retention.value import value_classify

    timings: dict[str, Any] = {}
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # the API's throttles keep their counts there
    if Survey.objects.filter(occasion__startswith="bench:").exists():
        say("retention data loaded before: timing only")
        return {}
    rng = random.Random(13)
    now = dt.datetime.now(dt.UTC)
    reasons = [code for code, weight in LOSS_REASONS for _ in range(weight)]

    started = time.perf_counter()
    lost = 0
    with transaction.atomic():
        rows_ = list(
            Client.objects.filter(lost_at__isnull=True).values_list("pk", "created_at").order_by("pk")
        )
        for start in range(0, len(rows_), BATCH):
            batch = [(pk, created) for pk, created in rows_[start : start + BATCH] if pk % 16 == 0]
            for pk, created in batch:
                span = max(1, int((now - created).total_seconds() // 86400) - 30)
                day = created + dt.timedelta(days=30 + rng.randrange(span))
                Client.objects.filter(pk=pk).update(lost_at=min(day, now), lost_reason=rng.choice(reasons))
                lost += 1
    timings["mark_lost_seconds"] = round(time.perf_counter() - started, 1)
    say(f"{lost} clients lost in {timings['mark_lost_seconds']:.0f} s")

    started = time.perf_counter()
    added = lifecycle.sync_history()
    timings["sync_history_seconds"] = round(time.perf_counter() - started, 1)
    timings["status_changes"] = ClientStatusChange.objects.count()
    say(f"status history: {added} changes in {timings['sync_history_seconds']:.0f} s")
    started = time.perf_counter()
    again = lifecycle.sync_history()
    timings["sync_history_again_seconds"] = round(time.perf_counter() - started, 1)
    say(f"status history again: {again} changes in {timings['sync_history_again_seconds']:.0f} s")

    started = time.perf_counter()
    run = value_classify(by=None)
    timings["classify_seconds"] = round(time.perf_counter() - started, 1)
    say(f"classified {run.clients_with_revenue} clients with revenue in {timings['classify_seconds']:.0f} s")

    started = time.perf_counter()
    surveys = Writer(Survey)
    first_contact = dict(
        Contact.objects.order_by("client_id", "id").distinct("client_id").values_list("client_id", "id")
        if connection.vendor == "postgresql"
        else []
    )
    batch, n = [], 0
    with transaction.atomic():
        for pk, _created in rows_:
            if pk % 2:
                continue
            for kind, score in (
                ("nps", rng.choice([10, 10, 9, 9, 8, 8, 7, 6, 5, 3])),
                ("csat", rng.randint(2, 5)),
            ):
                n += 1
                answered = now - dt.timedelta(days=rng.randrange(730), minutes=rng.randrange(1440))
                batch.append(
                    {
                        "id": n,
                        "kind": kind,
                        "client_id": pk,
                        "contact_id": first_contact.get(pk),
                        "occasion": f"bench:{kind}:{pk}",
                        "language": "en",
                        "status": "answered",
                        "created_at": answered - dt.timedelta(days=3),
                        "sent_at": answered - dt.timedelta(days=3),
                        "answered_at": answered,
                        "score": score,
                    }
                )
            if len(batch) >= BATCH:
                surveys.write(batch)
                batch = []
        surveys.write(batch)
    reset_sequences([Survey])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    timings["surveys"] = n
    timings["surveys_seconds"] = round(time.perf_counter() - started, 1)
    say(f"{n} survey answers in {timings['surveys_seconds']:.0f} s")
    return timings


def retention_pages() -> dict[str, str]:
    return {
        "retention_dashboard": "/retention/",
        "leak_rate_12_months": "/api/v1/retention/leak-rate?period=month&periods=12",
        "leak_rate_12_quarters": "/api/v1/retention/leak-rate?period=quarter&periods=12",
        "passive_list": "/retention/passive/",
        "concentration": "/api/v1/retention/concentration",
        "value_page": "/retention/value/",
        "satisfaction": "/api/v1/retention/satisfaction?period=month&periods=12",
    }


# --- Timing --------------------------------------------------------------------------------------


def timed(client: Any, url: str) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm
    assert response.status_code == 200, (url, response.status_code)
    samples, cpu = [], []
    for _ in range(RUNS):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
    return {
        "median_ms": round(statistics.median(samples), 1),
        "min_ms": round(min(samples), 1),
        "python_cpu_ms": round(statistics.median(cpu), 1),
        "queries": len(queries),
        "sql_ms": round(sql_ms, 1),
        "bytes": len(response.content),
    }


def pages(people: dict[str, Any]) -> dict[str, str]:
    from urllib.parse import quote

    from clientela.clients.models import Client, Contact
    from clientela.deals.models import Pipeline

    pipeline = Pipeline.objects.get(code="corporate")
    manager = people["manager"]
    # Search terms taken from a client in the middle of the manager's portfolio.
    sample = Client.objects.filter(owner=manager).order_by("id")[
        Client.objects.filter(owner=manager).count() // 2
    ]
    contact = Contact.objects.filter(client=sample).order_by("id").first()
    assert contact is not None
    card = Client.objects.filter(owner=manager, deals__isnull=False).order_by("id").distinct()[50]
    return {
        "board": f"/deals/board/?pipeline={pipeline.pk}",
        "deal_list": "/deals/",
        "client_list": "/clients/",
        "client_list_filter_country": f"/clients/?country={sample.country}",
        "client_list_filter_status": "/clients/?status=active",
        "client_list_filter_passive": "/clients/?status=passive",
        "client_list_below_norm": "/clients/?completeness=below",
        "client_search_name": f"/clients/?q={quote(sample.name.split()[0] + ' ' + sample.name.split()[1])}",
        "client_search_tax_id": f"/clients/?q={sample.tax_id or sample.registration_number}",
        "client_search_contact_name": f"/clients/?q={quote(contact.last_name)}",
        "client_search_email": f"/clients/?q={quote(contact.email)}",
        "client_search_phone": f"/clients/?q={contact.phone[-7:]}",
        "client_card": f"/clients/{card.pk}/",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True, help="directory with the generator's files")
    parser.add_argument("--db", choices=["sqlite", "url"], default="sqlite")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "clientela-bench-crm")
    parser.add_argument("--no-load", action="store_true", help="time the database loaded before")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated page names to time; 'activities' loads activities.csv into the "
        "database loaded before (then times the other names given, or every page); 'retention' "
        "adds losses, the status history and survey answers to it and times the retention pages "
        "(results in retention-<db>-<clients>.json)",
    )
    args = parser.parse_args()
    only = [name for name in args.only.split(",") if name]
    if "activities" in only or "retention" in only:
        args.no_load = True
    args.work.mkdir(parents=True, exist_ok=True)
    setup(args.db, args.work, load=not args.no_load)
    from django.conf import settings
    from django.db import connection
    from django.test import Client as TestClient
    from django.test.utils import override_settings

    from clientela.clients.models import Client
    from clientela.users.models import User

    results: dict[str, Any] = {}
    if not args.no_load:
        load_before = os.getloadavg()
        started = time.perf_counter()
        results["load"] = load(args.data)
        results["load"]["total_seconds"] = round(time.perf_counter() - started, 1)
        results["load"]["loadavg_before_after"] = [round(load_before[0], 2), round(os.getloadavg()[0], 2)]
        say(f"loaded in {results['load']['total_seconds']:.0f} s")
    retention = "retention" in only
    prefix = "retention" if retention else "crm"
    out = ROOT / "bench" / "results" / f"{prefix}-{connection.vendor}-{Client.objects.count()}.json"
    if args.no_load and out.exists():
        results = {**json.loads(out.read_text()), **results}
    if "activities" in only:
        load_before = os.getloadavg()
        results["load_activities"] = load_activities(args.data)
        results["load_activities"]["loadavg_before_after"] = [
            round(load_before[0], 2),
            round(os.getloadavg()[0], 2),
        ]
        only.remove("activities")
    if retention:
        load_before = os.getloadavg()
        loaded = load_retention()
        if loaded:
            results["load_retention"] = loaded
            results["load_retention"]["loadavg_before_after"] = [
                round(load_before[0], 2),
                round(os.getloadavg()[0], 2),
            ]
        only.remove("retention")
    people = {
        "admin": User.objects.get(username="admin"),
        "head": User.objects.get(username="head0"),
        "manager": User.objects.get(username="m0-1"),
    }
    urls = retention_pages() if retention else pages(people)
    if only:
        urls = {k: v for k, v in urls.items() if k in only}
    results.update(
        {
            "db": connection.vendor,
            "db_version": ".".join(str(x) for x in connection.get_database_version()),
            "clients": Client.objects.count(),
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "runs": RUNS,
            "urls": urls,
        }
    )
    timings = results.setdefault("timings_ms", {})
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    loads = [os.getloadavg()[0]]
    with override_settings(ALLOWED_HOSTS=["*"], DEBUG=False, STORAGES=storages):
        for who, user in people.items():
            client = TestClient()
            client.force_login(user)
            for name, url in urls.items():
                result = timed(client, url)
                timings[f"{who}:{name}"] = result
                say(
                    f"{who:8} {name:28} {result['median_ms']:8.1f} ms (min {result['min_ms']:6.1f}, cpu"
                    f" {result['python_cpu_ms']:6.1f})  sql {result['sql_ms']:7.1f} ms"
                    f"  {result['queries']:3} queries"
                )
    loads.append(os.getloadavg()[0])
    results["loadavg_during_timing"] = [round(x, 2) for x in loads]
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    say(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
