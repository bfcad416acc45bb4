#!/usr/bin/env python3
"""Analytics at scale: 1,000,000 leads added to the clients/deals/activities database that
`crm_scale.py` loaded, then every registered report and each role's home page timed.

    python ../shared/bench/gen_data.py --out /tmp/crm-leads --leads 1000000 --companies 0
    export CLIENTELA_DATABASE_URL=postgres://clientela:clientela@127.0.0.1:5432/clientela_bench_retention
    python bench/analytics_scale.py --data /tmp/crm-leads --db url --only load   # add the leads
    python bench/analytics_scale.py --data /tmp/crm-leads --db url --only time   # time the reports
    python bench/analytics_scale.py --db url --only time --reports activities --roles admin,head

`--only load` (into the database `crm_scale.py --only activities,retention` loaded; refuses to
run twice: it says so and skips): `leads.csv` → `leads.Lead` with `COPY` in one transaction (the
secondary indexes of the lead, interest and clock tables dropped for the copy and rebuilt from
their own definitions after it, once the deferred foreign-key checks have run),
every row with a person to reach a lead (the ~0.5 % rows without one become interests; the
generator's ~4 % near-duplicates, which the product's import would merge, are leads too), filled
as the services would (search keys with the services' functions, columns a row does not give
get the model field's default) plus deterministic choices (`random.Random(14)`):

* team and owner round robin over the bench teams' managers, ~4 % left in the team queue;
* status mix in work / qualified / converted (~8 %) / refused / postponed, and new (untouched)
  only among the leads of the file's last 30 days (the file ends about a year before today: a
  year-old backlog of untouched leads would make every open clock a year old), with
  `status_changed_at`, refusal reasons, postponement dates, the qualification checklist, and
  `qualified_at` where the model has that column (leads 0010);
* converted leads: the client of their owner's team created nearest to the conversion, and the
  first deal of that client after the conversion gets the lead as `source_lead`;
* a first-response clock (`comms.ResponseClock`) for every assigned lead: started when the lead
  came, deadlines in the team's business time (`comms.business_hours`, the team's calendar and
  policy), stopped after a sampled number of business minutes (most within the hour, some late
  and escalated), still running (breached) for the leads nobody touched; unassigned leads
  (team queue) get none;
* ~100,000 interests: one for every tenth lead (40 % of them upgraded to that lead), plus the
  rows without a person.

`--only time`: for each role (admin, head, manager, marketer), every report in
`analytics.engine.REPORTS` that `report.allowed(user)` — read at run time, so reports added
later are timed too — on its page `/reports/<key>/` with a few filter variants (this month,
this month against the previous one, last year, the latest full month of the lead data against
its previous month; for the admin also one team and one manager), its API
`/api/v1/reports/<key>` (last year), the CSV export of its largest figure (streamed to the end:
time, bytes, rows and the process's peak RSS growth during the request) and the role's home
page `/`. Each through Django's test client (URL → view → engine → template), warm, median of
RUNS runs (fewer for a page slower than a second), with the SQL time and the number of queries.
A synthetic probe streams figures of 10,000 and 100,000 rows through `core.figures` to show
how an export's memory grows with its rows.

Results: bench/results/analytics-<vendor>-<leads>.json (the load's numbers are kept when timing
again); the load average (`os.getloadavg`) before and after each phase is recorded, since the
machine is shared.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crm_scale import BATCH, PASSWORD, ROOT, Writer, aware, reset_sequences, rows, say, setup

RUNS = 5
SEED = 14
INDUSTRIES = [
    "manufacturing",
    "retail",
    "logistics",
    "banking",
    "hospitality",
    "oil_and_gas",
    "it_services",
    "construction",
    "healthcare",
    "education",
    "telecom",
    "agriculture",
]
# Status shares of an assigned lead someone has worked, in percent.
STATUS_MIX = [
    ("in_work", 20),
    ("qualified", 12),
    ("converted", 8),
    ("refused", 42),
    ("postponed", 18),
]
# Nobody has touched a lead yet (status new, first-response clock running) only among the leads
# of the data's last RECENT_DAYS days: an open clock's time left is counted in business time
# from its start, so a backlog of year-old open clocks would be a different benchmark.
RECENT_DAYS = 30
RECENT_NEW = 0.10
# Business minutes to the first answer: (share %, low, high).
ANSWER_MINUTES = [(45, 1, 30), (25, 31, 60), (15, 61, 120), (10, 121, 480), (5, 481, 2400)]
QUALIFIED = {"need": True, "budget": True, "authority": True, "timing": True}


def loadavg() -> float:
    return round(os.getloadavg()[0], 2)


def uptime() -> str:
    try:
        import subprocess

        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def weighted(rng: random.Random, items: list[tuple[Any, ...]], weight: int) -> tuple[Any, ...]:
    """One of `items`, chosen with the weight at position `weight` of each."""
    x = rng.uniform(0, sum(item[weight] for item in items))
    for item in items:
        x -= item[weight]
        if x <= 0:
            return item
    return items[-1]


def check_not_null(writer: Writer, row: dict[str, Any]) -> None:
    """Every NOT NULL column of the model gets a value (given, or the field's default)."""
    missing = [
        f.attname
        for f in writer.fields
        if not f.null and not f.primary_key and row.get(f.attname, writer.defaults[f.attname]) is None
    ]
    if missing:
        raise SystemExit(f"{writer.model.__name__}: no value for NOT NULL {', '.join(missing)}")


def e164(raw: str, country_code: str) -> str:
    """The generator's phone formats in E.164 (+CC…, 00CC…, (+CC) …, and Russia's 8…)."""
    text = raw.strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        return ""
    if text.startswith("+") or text.startswith("(+"):
        return f"+{digits}"[:20]
    if text.startswith("00"):
        return f"+{digits[2:]}"[:20]
    if country_code == "RU" and digits.startswith("8"):
        return f"+7{digits[1:]}"[:20]
    return f"+{digits}"[:20]


# --- Loading ------------------------------------------------------------------------------------


class IndexesDropped:
    """The table's secondary indexes dropped for a bulk copy and rebuilt from their own
    definitions (`pg_indexes.indexdef`) afterwards — inside the caller's transaction."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.definitions: list[tuple[str, str]] = []
        self.rebuild_seconds = 0.0
        self.constraint_seconds = 0.0

    def __enter__(self) -> IndexesDropped:
        from django.db import connection

        if connection.vendor != "postgresql":
            return self
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = %s AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                [self.table, self.table],
            )
            self.definitions = list(cursor.fetchall())
            for name, _definition in self.definitions:
                cursor.execute(f'DROP INDEX "{name}"')
        return self

    def __exit__(self, kind: Any, *_rest: Any) -> None:
        from django.db import connection

        if kind is not None or not self.definitions:
            return  # the transaction rolls back and the indexes come back with it
        started = time.perf_counter()
        with connection.cursor() as cursor:
            # The deferred foreign-key checks of the copied rows run now: an index cannot be
            # built on a table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self.constraint_seconds = time.perf_counter() - started
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for _name, definition in self.definitions:
                cursor.execute(definition)
        self.rebuild_seconds = time.perf_counter() - started - self.constraint_seconds


def marketer() -> Any:
    """The bench's marketer (team North), made once."""
    from clientela.core.roles import Role
    from clientela.users import services as users
    from clientela.users.models import Team, User

    found = User.objects.filter(username="marketer0").first()
    if found is not None:
        return found
    return users.user_create(
        by=None,
        username="marketer0",
        password=PASSWORD,
        role=Role.MARKETER,
        team=Team.objects.order_by("id").first(),
        check_permission=False,
    )


class ClockMaker:
    """First-response clocks as `comms.clocks` starts and stops them, in the team's business time."""

    def __init__(self) -> None:
        from clientela.comms.team_settings import calendar_for_team, policy_for_team
        from clientela.users.models import Team

        self.calendars: dict[int, Any] = {}
        self.policies: dict[int, Any] = {}
        for team in Team.objects.all():
            self.calendars[team.pk] = calendar_for_team(team)
            self.policies[team.pk] = policy_for_team(team)

    def make(
        self, rng: random.Random, lead: dict[str, Any], answered: bool, now: dt.datetime
    ) -> dict[str, Any]:
        from clientela.comms.business_hours import add_business_time

        team = lead["team_id"]
        calendar, policy = self.calendars[team], self.policies[team]
        started = lead["created_at"]
        budget = policy.budget_for(lead["temperature"])
        target = min(policy.target_minutes, budget)
        due = add_business_time(started, budget, calendar)
        clock: dict[str, Any] = {
            "kind": "first_response",
            "lead_id": lead["id"],
            "subject": f"First response to {lead['first_name']} {lead['last_name']}".strip()[:200],
            "owner_id": lead["owner_id"],
            "team_id": team,
            "budget_minutes": budget,
            "started_at": started,
            "target_at": add_business_time(started, target, calendar),
            "due_at": due,
        }
        escalation = policy.escalation_delay_minutes
        if not answered:
            if due < now:
                clock["breached_at"] = due
                clock["escalated_at"] = add_business_time(due, escalation, calendar)
            return clock
        _share, low, high = weighted(rng, ANSWER_MINUTES, 0)
        taken = rng.randint(low, high)
        stopped = add_business_time(started, taken, calendar)
        roll = rng.random()
        reason = "responded" if roll < 0.88 else "acknowledged" if roll < 0.96 else "cancelled"
        clock.update(
            stopped_at=stopped,
            stopped_by_id=lead["owner_id"],
            stop_reason=reason,
            minutes_taken=taken,
        )
        if taken > budget:
            clock["breached_at"] = due
            if taken > budget + escalation:
                clock["escalated_at"] = add_business_time(due, escalation, calendar)
        return clock


def team_clients() -> dict[int, tuple[list[dt.datetime], list[int]]]:
    """Each team's clients sorted by when they became clients: (created_at list, ids)."""
    from clientela.clients.models import Client

    by_team: dict[int, list[tuple[dt.datetime, int]]] = {}
    for pk, team_id, created in Client.objects.values_list("pk", "team_id", "created_at").order_by(
        "created_at", "pk"
    ):
        by_team.setdefault(team_id, []).append((created, pk))
    return {team: ([c for c, _ in items], [pk for _, pk in items]) for team, items in by_team.items()}


def latest_created(path: Path) -> dt.datetime:
    """The latest `created_at` of the file (ISO text sorts as time)."""
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        column = next(reader).index("created_at")
        latest = max(row[column] for row in reader)
    moment = aware(latest)
    assert moment is not None
    return moment


def backfill_qualified_at() -> int:
    """Leads loaded before `Lead.qualified_at` existed (leads 0010): the moment they were
    qualified, set-based — a qualified lead's status change, a converted lead's a deterministic
    1–20 days before its conversion (never before it came). Returns how many were set."""
    from django.db import connection, transaction

    from clientela.leads.models import Lead

    if "qualified_at" not in {f.attname for f in Lead._meta.concrete_fields}:
        return 0
    if Lead.objects.filter(qualified_at__isnull=False).exists():
        return 0
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE leads_lead SET qualified_at = CASE
                WHEN status = 'qualified' THEN COALESCE(status_changed_at, created_at)
                ELSE GREATEST(created_at + interval '1 hour',
                              converted_at - (1 + id % 20) * interval '1 day')
            END
            WHERE status IN ('qualified', 'converted') AND merged_into_id IS NULL
            """
        )
        count = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")
    say(
        f"qualified_at set for {count} leads loaded before it existed ({time.perf_counter() - started:.0f} s)"
    )
    return count


def load_leads(data: Path) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Max

    from clientela.comms.models import ResponseClock
    from clientela.core.normalise import name_key, search_text
    from clientela.leads.models import Interest, Lead, RefusalReason
    from clientela.users.models import User

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    marketer()
    if Lead.objects.filter(external_id="L00000000").exists():
        say(f"leads loaded before ({Lead.objects.count()} leads): nothing to load")
        backfilled = backfill_qualified_at()
        return {"qualified_at_backfilled": backfilled} if backfilled else {}
    source = data / "leads.csv"
    if not source.exists():
        raise SystemExit(
            f"{source} is missing: python ../shared/bench/gen_data.py --out {data} --leads 1000000"
        )

    recent_from = latest_created(source) - dt.timedelta(days=RECENT_DAYS)
    fields = {f.attname for f in Lead._meta.concrete_fields}
    has_qualified_at = "qualified_at" in fields
    state = "exists: filled" if has_qualified_at else "does not exist (leads 0010 not here)"
    say(f"Lead.qualified_at {state}")
    managers = list(User.objects.filter(role="manager", team__isnull=False).order_by("team_id", "username"))
    if not managers:
        raise SystemExit("no bench managers: load the database with crm_scale.py first")
    team_ids = sorted({m.team_id for m in managers})
    reasons = list(RefusalReason.objects.order_by("position", "id").values_list("pk", flat=True))
    clients = team_clients()
    clocks = ClockMaker()
    rng = random.Random(SEED)
    now = dt.datetime.now(dt.UTC)
    leads, interests, clock_writer = Writer(Lead), Writer(Interest), Writer(ResponseClock)
    lead_id = (Lead.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    interest_id = (Interest.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    clock_id = (ResponseClock.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    counts: dict[str, int] = dict.fromkeys(
        ("rows", "leads", "interests", "interests_upgraded", "clocks", "clocks_open", "unassigned"), 0
    )
    status_counts: dict[str, int] = {}
    timings: dict[str, float] = {}
    lead_batch: list[dict[str, Any]] = []
    interest_batch: list[dict[str, Any]] = []
    clock_batch: list[dict[str, Any]] = []
    python_seconds = 0.0
    copy_seconds = 0.0
    checked: list[bool] = []

    def flush(final: bool = False) -> None:
        nonlocal lead_batch, interest_batch, clock_batch, copy_seconds
        if not final and len(lead_batch) < BATCH:
            return
        if not checked:
            for writer, batch in (
                (leads, lead_batch),
                (interests, interest_batch),
                (clock_writer, clock_batch),
            ):
                for row in batch[:1]:
                    check_not_null(writer, row)
            checked.append(True)
        started = time.perf_counter()
        leads.write(lead_batch)
        interests.write(interest_batch)
        clock_writer.write(clock_batch)
        copy_seconds += time.perf_counter() - started
        lead_batch, interest_batch, clock_batch = [], [], []

    started_all = time.perf_counter()
    dropped = [IndexesDropped(model._meta.db_table) for model in (Lead, Interest, ResponseClock)]
    with transaction.atomic(), dropped[0], dropped[1], dropped[2]:
        tick = time.perf_counter()
        for row in rows(source):
            counts["rows"] += 1
            created = aware(row["created_at"])
            assert created is not None
            first, last = row["first_name"].strip(), row["last_name"].strip()
            email = row["email"].strip().lower()
            phone = e164(row["phone"], row["country"])
            company = row["company"].strip()
            if not (first or last) or not (email or phone):
                # Nobody to talk to: attention without a reachable person, an interest.
                interest_batch.append(
                    {
                        "id": interest_id,
                        "company_name": company,
                        "phone": phone,
                        "phone_raw": row["phone"][:60],
                        "source": row["source"],
                        "origin": row["origin"],
                        "campaign": row["utm_campaign"],
                        "product": row["interest"],
                        "country": row["country"],
                        "city": row["city"],
                        "team_id": team_ids[interest_id % len(team_ids)],
                        "reason": "No name or contact",
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                interest_id += 1
                counts["interests"] += 1
                continue
            n = counts["leads"]
            unassigned = rng.random() < 0.04
            owner = managers[n % len(managers)]
            team_id = owner.team_id
            owner_id = None if unassigned else owner.pk
            recent = created >= recent_from
            if unassigned:
                status = "new" if recent else "refused"
            elif recent and rng.random() < RECENT_NEW:
                status = "new"
            else:
                status = weighted(rng, STATUS_MIX, 1)[0]
            lead: dict[str, Any] = {
                "id": lead_id,
                "external_id": row["external_id"],
                "created_at": created,
                "first_name": first[:100],
                "last_name": last[:100],
                "company_name": company[:200],
                "position": row["position"][:120],
                "industry": rng.choice(INDUSTRIES) if company else "",
                "email": email,
                "email_raw": row["email"][:254],
                "phone": phone,
                "phone_raw": row["phone"][:60],
                "country": row["country"],
                "city": row["city"][:100],
                "source": row["source"],
                "origin": row["origin"],
                "campaign": row["utm_campaign"][:100],
                "product": row["interest"][:200],
                "consent": row["consent"] == "yes",
                "consent_at": created if row["consent"] == "yes" else None,
                "consent_source": "web form" if row["consent"] == "yes" else "",
                "status": status,
                "temperature": row["temperature"],
                "score": rng.randint(0, 100),
                "owner_id": owner_id,
                "team_id": team_id,
                "assigned_at": None if unassigned else created + dt.timedelta(seconds=rng.randint(1, 90)),
                "assignment_reason": "" if unassigned else "Round robin (benchmark load)",
                "touch_count": 1 + (rng.random() < 0.3) + (rng.random() < 0.1),
                "search_text": search_text(first, last, company, email, phone.lstrip("+")),
                "name_key": name_key(first, last)[:120],
            }
            clock = None
            if owner_id is not None:
                clock = clocks.make(rng, lead, answered=status != "new", now=now)
                clock["id"] = clock_id
                clock_id += 1
                clock_batch.append(clock)
                counts["clocks"] += 1
                counts["clocks_open"] += clock.get("stopped_at") is None
            else:
                counts["unassigned"] += 1
            answered_at = clock.get("stopped_at") if clock else None
            first_touch = answered_at or created + dt.timedelta(hours=rng.randint(1, 72))
            changed: dt.datetime | None = None
            qualified_at: dt.datetime | None = None
            if status == "in_work":
                changed = first_touch
            elif status == "qualified":
                changed = first_touch + dt.timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 600))
                qualified_at = changed
                lead["qualification"] = QUALIFIED
            elif status == "converted":
                qualified_at = first_touch + dt.timedelta(
                    days=rng.randint(1, 20), minutes=rng.randint(0, 600)
                )
                target = qualified_at + dt.timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 600))
                dates, ids = clients[team_id]
                index = min(bisect.bisect_left(dates, target), len(ids) - 1)
                changed = min(max(target, dates[index]) if dates[index] >= qualified_at else target, now)
                lead.update(
                    client_id=ids[index],
                    converted_at=changed,
                    converted_by_id=owner_id,
                    qualification=QUALIFIED,
                )
            elif status == "refused":
                changed = first_touch + dt.timedelta(days=rng.randint(0, 40), minutes=rng.randint(0, 600))
                lead["refusal_reason_id"] = rng.choice(reasons) if reasons else None
            elif status == "postponed":
                changed = first_touch + dt.timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
                lead["postponed_until"] = (changed + dt.timedelta(days=rng.randint(30, 120))).date()
            if changed is not None:
                changed = min(changed, now)
                lead["status_changed_at"] = changed
            if has_qualified_at and qualified_at is not None:
                lead["qualified_at"] = min(qualified_at, now)
            lead["last_touch_at"] = changed or (first_touch if status != "new" else created)
            lead["updated_at"] = lead["last_touch_at"]
            status_counts[status] = status_counts.get(status, 0) + 1
            lead_batch.append(lead)
            if n % 10 == 0:
                upgraded = rng.random() < 0.4
                came = created - dt.timedelta(days=rng.randint(1, 30), minutes=rng.randint(0, 1440))
                interest_batch.append(
                    {
                        "id": interest_id,
                        "name": f"{first} {last}".strip()[:200] if upgraded else "",
                        "company_name": company[:200],
                        "email": email if upgraded else "",
                        "phone": phone if upgraded else "",
                        "source": row["source"],
                        "origin": row["origin"],
                        "campaign": row["utm_campaign"][:100],
                        "product": row["interest"][:200],
                        "country": row["country"],
                        "city": row["city"][:100],
                        "team_id": team_id,
                        "owner_id": owner_id if upgraded else None,
                        "upgraded_to_id": lead_id if upgraded else None,
                        "upgraded_at": created if upgraded else None,
                        "created_at": came,
                        "updated_at": created if upgraded else came,
                    }
                )
                interest_id += 1
                counts["interests"] += 1
                counts["interests_upgraded"] += upgraded
            lead_id += 1
            counts["leads"] += 1
            if len(lead_batch) >= BATCH:
                python_seconds += time.perf_counter() - tick
                flush()
                tick = time.perf_counter()
                if counts["leads"] % 100_000 < BATCH:
                    rate = counts["leads"] / (time.perf_counter() - started_all)
                    say(
                        f"  {counts['leads']} leads ({rate:.0f}/s; python {python_seconds:.0f} s,"
                        f" copy {copy_seconds:.0f} s)"
                    )
        python_seconds += time.perf_counter() - tick
        flush(final=True)
        copied = time.perf_counter() - started_all
        say(f"{counts['leads']} leads copied in {copied:.0f} s; rebuilding the lead indexes …")
    timings["rows_and_copy"] = copied
    timings["python_rows"] = python_seconds
    timings["copy"] = copy_seconds
    timings["foreign_key_checks"] = sum(d.constraint_seconds for d in dropped)
    timings["index_rebuild"] = sum(d.rebuild_seconds for d in dropped)
    timings["leads_transaction"] = time.perf_counter() - started_all
    say(
        f"{counts['leads']} leads, {counts['interests']} interests, {counts['clocks']} clocks in "
        f"{timings['leads_transaction']:.0f} s (indexes {timings['index_rebuild']:.0f} s): "
        f"{counts['leads'] / timings['leads_transaction']:.0f} leads/s"
    )
    reset_sequences([Lead, Interest, ResponseClock])

    # The first deal of a converted lead's client after the conversion came from the lead.
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE deals_deal d SET source_lead_id = first.lead_id
            FROM (
                SELECT DISTINCT ON (l.id) l.id AS lead_id, d2.id AS deal_id
                FROM leads_lead l JOIN deals_deal d2 ON d2.client_id = l.client_id
                    AND d2.created_at >= l.converted_at
                WHERE l.status = 'converted' AND l.client_id IS NOT NULL
                ORDER BY l.id, d2.created_at, d2.id
            ) first
            WHERE d.id = first.deal_id AND d.source_lead_id IS NULL
            """
        )
        counts["deals_with_source_lead"] = cursor.rowcount
    timings["deal_source_leads"] = time.perf_counter() - started
    say(f"{counts['deals_with_source_lead']} deals linked to their source lead")

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("leads_lead", "leads_interest", "comms_responseclock", "deals_deal"):
            cursor.execute(f"VACUUM ANALYZE {table}" if connection.vendor == "postgresql" else "ANALYZE")
    timings["analyze"] = time.perf_counter() - started
    return {
        **counts,
        "statuses": status_counts,
        "qualified_at_filled": has_qualified_at,
        "load_seconds": {k: round(v, 1) for k, v in timings.items()},
        "leads_per_second": round(counts["leads"] / timings["leads_transaction"]),
    }


# --- Timing -------------------------------------------------------------------------------------


def rss_kib(field: str) -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def reset_peak() -> bool:
    """Reset the process's peak RSS (VmHWM) so a request's own peak can be read (Linux)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def measure(client: Any, url: str, runs: int = RUNS) -> dict[str, Any]:
    """Median wall time of `runs` warm GETs (fewer when a run is slow), the SQL of one run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    try:
        start = time.perf_counter()
        response = client.get(url)  # warm
        warm = (time.perf_counter() - start) * 1000
    except Exception as error:  # a report that fails is recorded, the run goes on
        return {"error": f"{type(error).__name__}: {error}"[:500]}
    if response.status_code != 200:
        return {
            "error": f"HTTP {response.status_code}",
            "body": response.content[:300].decode(errors="replace"),
        }
    runs = runs if warm < 1000 else 3 if warm < 5000 else 1
    samples, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return {
        "median_ms": round(statistics.median(samples), 1),
        "min_ms": round(min(samples), 1),
        "runs": runs,
        "python_cpu_ms": round(statistics.median(cpu), 1),
        "queries": len(queries),
        "sql_ms": round(sum(float(q["time"]) for q in queries.captured_queries) * 1000, 1),
        "slowest_sql_ms": round(
            max((float(q["time"]) for q in queries.captured_queries), default=0) * 1000, 1
        ),
        "bytes": len(response.content),
    }


def export(client: Any, url: str, runs: int = 3) -> dict[str, Any]:
    """Stream a CSV export to its end: time, bytes, rows, and the growth of the process's peak
    RSS during the request (VmHWM reset before it) — the report is built inside the request."""
    samples, growth, size, lines = [], [], 0, 0
    for index in range(runs + 1):
        peak_reset = reset_peak()
        before = rss_kib("VmRSS")
        start = time.perf_counter()
        try:
            response = client.get(url)
        except Exception as error:
            return {"error": f"{type(error).__name__}: {error}"[:500]}
        if response.status_code != 200:
            return {"error": f"HTTP {response.status_code}"}
        first_byte = (time.perf_counter() - start) * 1000
        size = lines = 0
        for chunk in response.streaming_content if response.streaming else [response.content]:
            size += len(chunk)
            lines += chunk.count(b"\n")
        response.close()
        took = (time.perf_counter() - start) * 1000
        if index == 0:
            continue  # warm
        samples.append((took, first_byte))
        growth.append(rss_kib("VmHWM") - before if peak_reset else None)
    return {
        "median_ms": round(statistics.median(s[0] for s in samples), 1),
        "first_byte_ms": round(statistics.median(s[1] for s in samples), 1),
        "bytes": size,
        "rows": max(0, lines - 1),
        "peak_rss_growth_kib": max((g for g in growth if g is not None), default=None),
    }


def export_probe() -> dict[str, Any]:
    """How the export of a figure's rows grows with them: figures of 10k and 100k rows (the rows
    built as a report builds them, a list of dicts) streamed through `core.figures` as CSV."""
    from decimal import Decimal

    from django.test import RequestFactory

    from clientela.core.figures import Column, Figure, export_response

    result: dict[str, Any] = {}
    factory = RequestFactory()
    for count in (10_000, 100_000):
        reset_peak()
        before = rss_kib("VmRSS")
        start = time.perf_counter()
        figure = Figure(
            key="probe",
            title="Probe",
            columns=[
                Column("name", "Name"),
                Column("day", "Day", kind="date"),
                Column("count", "Count", kind="int"),
                Column("share", "Share", kind="percent"),
                Column("amount", "Amount", kind="money", currency="EUR"),
            ],
            rows=[
                {
                    "name": f"Lead number {i}",
                    "day": dt.date(2025, 1, 1) + dt.timedelta(days=i % 365),
                    "count": i,
                    "share": Decimal(i % 1000) / 10,
                    "amount": Decimal(i) * 3,
                    "_links": {"count": f"/leads/?owner={i % 30}&created_from=2025-01-01"},
                }
                for i in range(count)
            ],
        )
        built = rss_kib("VmHWM") - before
        request = factory.get("/reports/probe/", {"export": "csv", "figure": "probe"})
        request.user = _Anonymous()
        response = export_response(request, [figure])
        assert response is not None
        size = sum(len(chunk) for chunk in response.streaming_content)  # type: ignore[union-attr]
        result[str(count)] = {
            "ms": round((time.perf_counter() - start) * 1000, 1),
            "bytes": size,
            "peak_rss_growth_kib_rows_built": built,
            "peak_rss_growth_kib_total": rss_kib("VmHWM") - before,
        }
        del figure, response
    return result


class _Anonymous:
    is_authenticated = False


@lru_cache(maxsize=1)
def data_month() -> tuple[dt.date, dt.date] | None:
    """The latest whole month of the lead data (the generator's leads end before today)."""
    from django.db.models import Max

    from clientela.leads.models import Lead

    latest = Lead.objects.aggregate(m=Max("created_at"))["m"]
    if latest is None:
        return None
    first_of_latest = latest.date().replace(day=1)
    last = first_of_latest - dt.timedelta(days=1)
    return last.replace(day=1), last


def variants(role: str, report: Any, people: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {
        "this_month": {},
        "this_month_vs_previous": {"compare": "previous"},
        "last_year": {"period": "last_year"},
    }
    month = data_month()
    if month is not None:
        result["data_month_vs_previous"] = {
            "period": "custom",
            "from": month[0].isoformat(),
            "to": month[1].isoformat(),
            "compare": "previous",
        }
    if role == "admin":
        if "team" in report.filters:
            result["last_year_team"] = {"period": "last_year", "team": people["head"].team_id}
        if "manager" in report.filters:
            result["last_year_manager"] = {"period": "last_year", "manager": people["manager"].pk}
    return result


def largest_figure(report: Any, user: Any, params: dict[str, Any]) -> tuple[str, int] | None:
    from clientela.analytics import engine

    try:
        result = engine.run(report, user, params)
    except Exception:
        return None
    if not result.figures:
        return None
    figure = max(result.figures, key=lambda f: len(f.rows))
    return figure.key, len(figure.rows)


def time_reports(args: argparse.Namespace, results: dict[str, Any]) -> None:
    from django.conf import settings
    from django.test import Client as TestClient
    from django.test.utils import override_settings

    from clientela.analytics import engine
    from clientela.users.models import User

    people = {
        "admin": User.objects.get(username="admin"),
        "head": User.objects.get(username="head0"),
        "manager": User.objects.get(username="m0-1"),
        "marketer": marketer(),
    }
    roles = [r for r in (args.roles.split(",") if args.roles else people) if r in people]
    wanted = set(args.reports.split(",")) if args.reports else None
    registered = sorted(engine.REPORTS)
    results["reports_registered"] = registered
    say(f"reports registered: {', '.join(registered) or 'none'}")
    timings: dict[str, Any] = results.setdefault("timings_ms", {})
    exports: dict[str, Any] = results.setdefault("exports", {})
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    loads = [loadavg()]
    with override_settings(ALLOWED_HOSTS=["*"], DEBUG=False, STORAGES=storages):
        for role in roles:
            user = people[role]
            client = TestClient()
            client.force_login(user)
            home = measure(client, "/", args.runs)
            timings[f"{role}:home"] = {"url": "/", **home}
            report_line(role, "home", "", home)
            for key in registered:
                report = engine.REPORTS[key]
                if wanted is not None and key not in wanted:
                    continue
                if not report.allowed(user):
                    timings[f"{role}:{key}"] = {"skipped": "not allowed for the role"}
                    continue
                page = f"/reports/{key}/"
                for name, params in variants(role, report, people).items():
                    if args.variants and name not in args.variants.split(","):
                        continue
                    url = page + ("?" + urlencode(params) if params else "")
                    result = measure(client, url, args.runs)
                    timings[f"{role}:{key}:{name}"] = {"url": url, **result}
                    report_line(role, key, name, result)
                api = f"/api/v1/reports/{key}?" + urlencode({"period": "last_year"})
                result = measure(client, api, args.runs)
                timings[f"{role}:{key}:api_last_year"] = {"url": api, **result}
                report_line(role, key, "api_last_year", result)
                if args.no_exports:
                    continue
                params = {"period": "last_year"}
                biggest = largest_figure(report, user, params)
                if biggest is None:
                    exports[f"{role}:{key}"] = {"error": "no figure"}
                    continue
                figure, count = biggest
                url = page + "?" + urlencode({**params, "export": "csv", "figure": figure})
                result = export(client, url)
                exports[f"{role}:{key}"] = {"url": url, "figure": figure, "figure_rows": count, **result}
                say(
                    f"{role:8} {key:24} export {figure} {result.get('rows')} rows "
                    f"{result.get('median_ms')} ms, peak RSS +{result.get('peak_rss_growth_kib')} KiB"
                    + (f" ERROR {result['error']}" if "error" in result else "")
                )
    loads.append(loadavg())
    results["loadavg_during_timing"] = loads


def report_line(role: str, key: str, variant: str, result: dict[str, Any]) -> None:
    if "error" in result:
        say(f"{role:8} {key:24} {variant:24} ERROR {result['error']}")
        return
    say(
        f"{role:8} {key:24} {variant:24} {result['median_ms']:8.1f} ms (cpu {result['python_cpu_ms']:6.1f})"
        f"  sql {result['sql_ms']:7.1f} ms  {result['queries']:3} queries"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True, help="directory with leads.csv")
    parser.add_argument("--db", choices=["sqlite", "url"], default="url")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "clientela-bench-crm")
    parser.add_argument("--only", default="load,time", help="load, time or both (comma-separated)")
    parser.add_argument("--runs", type=int, default=RUNS, help="timed runs per page (after a warm one)")
    parser.add_argument("--roles", default="", help="comma-separated roles (admin,head,manager,marketer)")
    parser.add_argument("--reports", default="", help="comma-separated report keys (default: all registered)")
    parser.add_argument("--variants", default="", help="comma-separated filter variants (default: all)")
    parser.add_argument("--no-exports", action="store_true", help="skip the CSV exports")
    args = parser.parse_args()
    only = {name for name in args.only.split(",") if name}
    if not only <= {"load", "time"}:
        parser.error("--only takes load and/or time")
    if args.db == "url" and not os.environ.get("CLIENTELA_DATABASE_URL"):
        parser.error("--db url reads CLIENTELA_DATABASE_URL: set it to the database crm_scale.py loaded")
    args.work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("API_RATE_AUTH", "100000/m")  # the timing loop is not an abuser
    setup(args.db, args.work, load=False)
    from django.core.management import call_command
    from django.db import connection

    from clientela.leads.models import Lead

    call_command("migrate", verbosity=0)  # reports landed later may bring columns
    call_command("createcachetable", verbosity=0)
    results: dict[str, Any] = {}
    if "load" in only:
        before, before_text = loadavg(), uptime()
        loaded = load_leads(args.data)
        if loaded:
            loaded["loadavg_before_after"] = [before, loadavg()]
            loaded["uptime_before_after"] = [before_text, uptime()]
            results["load" if "leads" in loaded else "load_qualified_at"] = loaded
    leads = Lead.objects.count()
    out = ROOT / "bench" / "results" / f"analytics-{connection.vendor}-{leads}.json"
    if out.exists():
        previous = json.loads(out.read_text())
        results = {**previous, **results}
    from clientela.activities.models import Activity
    from clientela.clients.models import Client
    from clientela.comms.models import ResponseClock
    from clientela.deals.models import Deal
    from clientela.leads.models import Interest

    results.update(
        {
            "db": connection.vendor,
            "db_version": ".".join(str(x) for x in connection.get_database_version()),
            "rows": {
                "leads": leads,
                "interests": Interest.objects.count(),
                "response_clocks": ResponseClock.objects.count(),
                "clients": Client.objects.count(),
                "deals": Deal.objects.count(),
                "activities": Activity.objects.count(),
            },
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        }
    )
    if "time" in only:
        fields = {f.attname for f in Lead._meta.concrete_fields}
        if "qualified_at" in fields and not Lead.objects.filter(qualified_at__isnull=False).exists():
            say("Lead.qualified_at is empty: run --only load once to fill it for the leads loaded before")
        results["date"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        results["runs"] = args.runs
        results["uptime_before_timing"] = uptime()
        results["export_probe"] = export_probe()
        say(f"export probe: {results['export_probe']}")
        time_reports(args, results)
        results["uptime_after_timing"] = uptime()
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    say(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
