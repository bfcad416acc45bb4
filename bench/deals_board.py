#!/usr/bin/env python3
"""Kanban board and deal list benchmark: server time of the board of one pipeline and of the
first page of the deal list, with many deals.

    python bench/deals_board.py                         # SQLite, 200,000 deals
    python bench/deals_board.py --deals 500000 --work /tmp/clientela-bench-deals
    CLIENTELA_DATABASE_URL=postgres://…/clientela_bench_deals python bench/deals_board.py --db url

It builds a fresh database (SQLite: a new file in --work; `--db url`: the database named by
CLIENTELA_DATABASE_URL, which must be a throwaway one — it is migrated and filled), creates
three teams with a head and managers each, clients, and deals spread over the three default
pipelines (about a third open, the rest won or lost over two years, amounts in three
currencies), then times — median of 7 warm runs — the full board view (`deals:board`, through
Django's test client: selectors, template, everything but the network) and the list's first
page, as an admin and as a manager (scoped). Results are printed and written to
bench/results/deals-board-<db>-<deals>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7
PASSWORD = "bench-password-1"  # noqa: S105 (throwaway benchmark users)


def say(text: str) -> None:
    print(f"[bench] {text}", flush=True)


def setup(db: str, work: Path) -> None:
    os.environ["CLIENTELA_DATA_DIR"] = str(work)
    if db == "sqlite":
        os.environ.pop("CLIENTELA_DATABASE_URL", None)
        for suffix in ("", "-wal", "-shm"):
            (work / f"clientela.sqlite3{suffix}").unlink(missing_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(deal_count: int, seed: int = 5) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from clientela.clients.models import Client
    from clientela.core.roles import Role
    from clientela.deals.models import Deal, Pipeline, Stage
    from clientela.users import services as users

    rng = random.Random(seed)
    teams, managers = [], []
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
    admin = users.user_create(
        by=None,
        username="admin",
        password=PASSWORD,
        role=Role.ADMIN,
        team=None,
        check_permission=False,
    )
    client_count = max(1, deal_count * 2 // 5)
    say(f"{client_count} clients …")
    with transaction.atomic():
        Client.objects.bulk_create(
            [
                Client(
                    name=f"Company {n:07d}",
                    owner=(owner := managers[n % len(managers)]),
                    team_id=owner.team_id,
                    country="RO",
                )
                for n in range(client_count)
            ],
            batch_size=5000,
        )
    client_ids = list(Client.objects.values_list("id", "owner_id", "team_id"))
    pipelines = list(Pipeline.objects.filter(code__in=["corporate", "direct", "retail"]).order_by("position"))
    stages = {p.pk: list(Stage.objects.filter(pipeline=p).order_by("position")) for p in pipelines}
    now = timezone.now()
    say(f"{deal_count} deals …")
    batch: list[Deal] = []
    with transaction.atomic():
        for n in range(deal_count):
            client_id, owner_id, team_id = client_ids[n % len(client_ids)]
            pipeline = pipelines[n % 3]
            roll = rng.random()
            open_stages = [s for s in stages[pipeline.pk] if not s.is_closed]
            if roll < 0.35:
                stage = rng.choice(open_stages)
            elif roll < 0.7:
                stage = next(s for s in stages[pipeline.pk] if s.is_won)
            else:
                stage = next(s for s in stages[pipeline.pk] if s.is_lost)
            entered = now - dt.timedelta(days=rng.randrange(0, 730), seconds=rng.randrange(0, 86400))
            batch.append(
                Deal(
                    title=f"Deal {n}",
                    search_text=f"deal {n}",
                    client_id=client_id,
                    owner_id=owner_id,
                    team_id=team_id,
                    pipeline=pipeline,
                    stage=stage,
                    status=stage.status,
                    amount=Decimal(rng.randrange(100, 5_000_000)) / 100,
                    currency=rng.choice(["RON", "HUF", "EUR"]),
                    stage_entered_at=entered,
                    closed_at=entered if stage.is_closed else None,
                    next_step_date=(now + dt.timedelta(days=rng.randrange(-10, 30))).date(),
                    next_step_subject="Call",
                )
            )
            if len(batch) == 10000:
                Deal.objects.bulk_create(batch)
                batch = []
        if batch:
            Deal.objects.bulk_create(batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"admin": admin, "manager": managers[0], "pipeline": pipelines[0]}


def timed(client, url: str) -> tuple[float, int]:
    client.get(url)  # warm
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return round(statistics.median(samples), 1), len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deals", type=int, default=200_000)
    parser.add_argument("--db", choices=["sqlite", "url"], default="sqlite")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "clientela-bench-deals")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    setup(args.db, args.work)
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import include, path

    from clientela.urls import urlpatterns

    started = time.perf_counter()
    people = fill(args.deals)
    say(f"filled in {time.perf_counter() - started:.0f} s")

    # The deals pages, whether or not the project's URLconf includes them yet.
    module = type(sys)("bench_deals_urls")
    module.urlpatterns = [path("", include("clientela.deals.urls")), *urlpatterns]  # type: ignore[attr-defined]
    sys.modules["bench_deals_urls"] = module
    results: dict = {
        "db": connection.vendor,
        "deals": args.deals,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "runs": RUNS,
        "timings_ms": {},
    }
    pipeline = people["pipeline"]
    pages = {
        "board": f"/deals/board/?pipeline={pipeline.pk}",
        "board_search": f"/deals/board/?pipeline={pipeline.pk}&q=deal%2012",
        "list_first_page": "/deals/",
        "list_pipeline_open": f"/deals/?pipeline={pipeline.pk}&status=open",
    }
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(
        ROOT_URLCONF="bench_deals_urls", ALLOWED_HOSTS=["*"], DEBUG=False, STORAGES=storages
    ):
        for who in ("admin", "manager"):
            client = Client()
            client.force_login(people[who])
            for name, url in pages.items():
                ms, size = timed(client, url)
                with CaptureQueriesContext(connection) as queries:
                    client.get(url)
                results["timings_ms"][f"{who}:{name}"] = {
                    "median_ms": ms,
                    "queries": len(queries),
                    "bytes": size,
                }
                say(f"{who:8} {name:20} {ms:8.1f} ms  {len(queries):3} queries")
    out = ROOT / "bench" / "results" / f"deals-board-{connection.vendor}-{args.deals}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    say(f"written {out.relative_to(ROOT)} (settings: {settings.DATABASES['default']['ENGINE']})")


if __name__ == "__main__":
    main()
