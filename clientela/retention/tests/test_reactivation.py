"""The passive list, bulk reactivation tasks and the reactivation rate, against hand computation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from clientela.activities.models import Activity, Task
from clientela.clients.models import Client
from clientela.conftest import login
from clientela.core.errors import BusinessError
from clientela.core.models import AuditEntry
from clientela.deals.defaults import ensure_defaults
from clientela.deals.models import Deal, ExchangeRate, Pipeline, Stage
from clientela.deals.rates.selectors import base_currency
from clientela.retention import reactivation
from clientela.retention.greetings_models import Reactivation
from clientela.retention.value import value_classify

NOW = timezone.now()


def _client(name, owner, team, *, created_days, contact_days, **extra):
    client = Client.objects.create(name=name, owner=owner, team=team, **extra)
    Client.objects.filter(pk=client.pk).update(
        created_at=NOW - dt.timedelta(days=created_days),
        last_contact_at=NOW - dt.timedelta(days=contact_days),
    )
    client.refresh_from_db()
    return client


def _won(client, amount, currency, days_ago):
    pipeline = Pipeline.objects.get(code="corporate")
    stage = Stage.objects.filter(pipeline=pipeline).order_by("position").last()
    return Deal.objects.create(
        title=f"{client.name} deal",
        client=client,
        owner=client.owner,
        team=client.team,
        pipeline=pipeline,
        stage=stage,
        status="won",
        amount=Decimal(amount),
        currency=currency,
        closed_at=NOW - dt.timedelta(days=days_ago),
    )


@pytest.fixture
def book(world):
    """Passive by the passing of time: `old` (Mara's, 200 days without contact), `nelu` (Nelu's),
    `south` (the South's). Not passive: `fresh` (contact 10 days ago), `young` (new), `lost`,
    `archived`."""
    ensure_defaults()
    base = base_currency()
    other = "RON" if base != "RON" else "EUR"
    ExchangeRate.objects.create(
        currency=other, base=base, rate=Decimal("0.2"), valid_from=NOW.date() - dt.timedelta(days=400)
    )
    w = world
    old = _client(
        "Old Oak SRL",
        w.manager_north,
        w.north,
        created_days=400,
        contact_days=200,
        industry="Retail",
        country="RO",
    )
    nelu = _client(
        "Nelu Nails",
        w.manager_north2,
        w.north,
        created_days=500,
        contact_days=181,
        industry="Beauty",
        country="HU",
    )
    south = _client("South Salt", w.manager_south, w.south, created_days=500, contact_days=300, country="HU")
    fresh = _client("Fresh Fig", w.manager_north, w.north, created_days=400, contact_days=10, country="RO")
    young = _client("Young Yak", w.manager_north, w.north, created_days=30, contact_days=30, country="RO")
    lost = _client("Lost Lime", w.manager_north, w.north, created_days=400, contact_days=300, country="RO")
    Client.objects.filter(pk=lost.pk).update(lost_at=NOW - dt.timedelta(days=100))
    archived = _client(
        "Archived Ash", w.manager_north, w.north, created_days=400, contact_days=300, country="RO"
    )
    Client.objects.filter(pk=archived.pk).update(is_archived=True)
    # Old Oak bought 1,000 in the base currency 250 days ago and 500 in the other at 0.2 (= 100)
    # 220 days ago: value 1,100.00, last purchase 220 days ago.
    _won(old, "1000.00", base, 250)
    _won(old, "500.00", other, 220)
    # The nightly classification stores each client's value to date and last purchase, which the
    # passive list shows and sorts by.
    value_classify(by=None, today=NOW.date())
    return {
        "old": old,
        "nelu": nelu,
        "south": south,
        "fresh": fresh,
        "young": young,
        "lost": lost,
        "base": base,
    }


def _names(viewer, **filters):
    values = reactivation.PASSIVE.values(**filters)
    return [c.name for c in reactivation.passive_list(viewer=viewer, values=values)]


def test_the_passive_list_holds_the_clients_passive_by_time_with_their_value(world, book):
    rows = {c.name: c for c in reactivation.passive_list(viewer=world.head_north)}
    assert set(rows) == {"Old Oak SRL", "Nelu Nails"}
    old = rows["Old Oak SRL"]
    assert old.value == Decimal("1100.00")
    assert old.last_purchase_at == NOW - dt.timedelta(days=220)
    assert old.last_contact_at == NOW - dt.timedelta(days=200)
    assert old.owner == world.manager_north
    assert rows["Nelu Nails"].value is None and rows["Nelu Nails"].last_purchase_at is None
    # Most valuable first by default; a manager sees only their own; the admin sees every team.
    assert _names(world.head_north) == ["Old Oak SRL", "Nelu Nails"]
    assert _names(world.manager_north) == ["Old Oak SRL"]
    assert set(_names(world.admin)) == {"Old Oak SRL", "Nelu Nails", "South Salt"}


def test_the_passive_list_filters_and_sorts(world, book):
    assert _names(world.head_north, country="HU") == ["Nelu Nails"]
    assert _names(world.head_north, industry="retail") == ["Old Oak SRL"]
    assert _names(world.admin, team=world.south.pk) == ["South Salt"]
    assert _names(world.head_north, owner=world.manager_north2.pk) == ["Nelu Nails"]
    assert _names(world.head_north, ordering="-last_contact") == ["Nelu Nails", "Old Oak SRL"]
    assert _names(world.head_north, ordering="name") == ["Nelu Nails", "Old Oak SRL"]


def test_the_passive_page_and_api(client, world, book, api_token):
    login(client, world.manager_north)
    page = client.get("/retention/passive/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Old Oak SRL" in body and "Nelu Nails" not in body and "Fresh Fig" not in body
    assert "1,100.00" in body or "1.100,00" in body or "1 100,00" in body or "1100.00" in body
    answer = client.get("/api/v1/retention/passive?ordering=name", headers=api_token(world.head_north))
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert answer.json()["count"] == 2
    assert [i["name"] for i in items] == ["Nelu Nails", "Old Oak SRL"]
    assert items[1]["value"] == "1100.00" and items[1]["currency"] == book["base"]
    assert items[1]["owner"]["id"] == world.manager_north.pk
    bad = client.get("/api/v1/retention/passive?country=Romania", headers=api_token(world.head_north))
    assert bad.status_code == 422


def test_marketers_see_no_passive_list(client, world, book, api_token):
    login(client, world.marketer_north)
    assert client.get("/retention/passive/").status_code == 403
    assert client.get("/api/v1/retention/passive", headers=api_token(world.marketer_north)).status_code == 403


def test_bulk_reactivation_tasks_one_per_client_for_its_manager_one_audit_entry(client, world, book):
    login(client, world.head_north)
    before = AuditEntry.objects.count()
    response = client.post(
        "/retention/passive/reactivation-tasks/",
        {"ids": [book["old"].pk, book["nelu"].pk], "due_on": "2030-01-15", "next": "/retention/passive/"},
    )
    assert response.status_code == 302
    tasks = {t.client_id: t for t in Task.objects.filter(client__in=[book["old"], book["nelu"]])}
    assert tasks[book["old"].pk].assignee == world.manager_north
    assert tasks[book["nelu"].pk].assignee == world.manager_north2
    assert tasks[book["old"].pk].kind == "call"
    assert "Old Oak SRL" in tasks[book["old"].pk].shown_title
    assert tasks[book["old"].pk].title_message["code"] == reactivation.REACTIVATE
    entries = AuditEntry.objects.order_by("id")[before:]
    assert [e.event for e in entries if e.event == "reactivation_tasks"] == ["reactivation_tasks"]
    assert AuditEntry.objects.count() - before == 1
    assert Reactivation.objects.filter(owner=world.manager_north, team=world.north).count() == 1
    # Again: both already have an open reactivation task, nothing new.
    result = reactivation.reactivation_tasks_create(
        by=world.head_north, client_ids=[book["old"].pk, book["nelu"].pk]
    )
    assert result.created == [] and {c.pk for c in result.skipped} == {book["old"].pk, book["nelu"].pk}
    assert Task.objects.filter(client__in=[book["old"], book["nelu"]]).count() == 2


def test_reactivation_tasks_only_for_passive_clients_one_may_work(world, book):
    with pytest.raises(BusinessError) as refused:
        reactivation.reactivation_tasks_create(
            by=world.head_north, client_ids=[book["old"].pk, book["fresh"].pk]
        )
    assert "client_ids" in refused.value.errors
    with pytest.raises(BusinessError):
        reactivation.reactivation_tasks_create(by=world.manager_north, client_ids=[book["nelu"].pk])
    with pytest.raises(BusinessError):
        reactivation.reactivation_tasks_create(by=world.head_north, client_ids=[book["south"].pk])
    with pytest.raises(BusinessError):
        reactivation.reactivation_tasks_create(by=world.head_north, client_ids=[])
    assert Task.objects.filter(client__isnull=False).count() == 0
    assert Reactivation.objects.count() == 0


def test_reactivation_tasks_api(client, world, book, api_token):
    headers = api_token(world.manager_north)
    answer = client.post(
        "/api/v1/retention/passive/reactivation-tasks",
        {"client_ids": [book["old"].pk]},
        content_type="application/json",
        headers=headers,
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["created"] == 1
    refused = client.post(
        "/api/v1/retention/passive/reactivation-tasks",
        {"client_ids": [book["nelu"].pk]},
        content_type="application/json",
        headers=headers,
    )
    assert refused.status_code == 422
    assert "client_ids" in refused.json()["errors"]


def _reactivation(client, started, window_days=60):
    return Reactivation.objects.create(
        client=client,
        started_at=started,
        window_ends_at=started + dt.timedelta(days=window_days),
        owner=client.owner,
        team=client.team,
    )


def test_the_reactivation_rate_per_month_by_hand(world, book):
    """October 2026: three tasks — a reached call 10 days later (reactivated), only an unanswered
    call (not), a meeting 70 days later with a 60-day window (not): 1 of 3 = 33.33 %.
    November 2026: one task, the client's stored last contact 5 days later: 1 of 1 = 100 %."""
    zone = timezone.get_current_timezone()
    oct5 = dt.datetime(2026, 10, 5, 10, tzinfo=zone)
    old, nelu, fresh = book["old"], book["nelu"], book["lost"]
    _reactivation(old, oct5)
    Activity.objects.create(
        kind="call", client=old, occurred_at=oct5 + dt.timedelta(days=10), outcome="reached"
    )
    _reactivation(nelu, oct5)
    Activity.objects.create(
        kind="call", client=nelu, occurred_at=oct5 + dt.timedelta(days=3), outcome="no_answer"
    )
    _reactivation(fresh, oct5)
    Activity.objects.create(
        kind="meeting", client=fresh, occurred_at=oct5 + dt.timedelta(days=70), outcome="held"
    )
    young = book["young"]
    nov2 = dt.datetime(2026, 11, 2, 9, tzinfo=zone)
    _reactivation(young, nov2)
    Client.objects.filter(pk=young.pk).update(last_contact_at=nov2 + dt.timedelta(days=5))
    _reactivation(book["south"], oct5)  # the South's: not the North head's figure

    rows = reactivation.reactivation_rate(
        viewer=world.head_north, kind="month", count=3, today=dt.date(2026, 11, 20)
    )
    assert [(r["started"], r["reactivated"], r["rate"]) for r in rows] == [
        (0, 0, None),
        (3, 1, Decimal("33.33")),
        (1, 1, Decimal("100.00")),
    ]
    mine = reactivation.reactivation_rate(
        viewer=world.manager_north, kind="month", count=3, today=dt.date(2026, 11, 20)
    )
    assert [(r["started"], r["reactivated"]) for r in mine] == [(0, 0), (2, 1), (1, 1)]
    quarter = reactivation.reactivation_rate(
        viewer=world.admin, kind="quarter", count=1, today=dt.date(2026, 11, 20)
    )
    assert (quarter[0]["started"], quarter[0]["reactivated"], quarter[0]["rate"]) == (5, 2, Decimal("40.00"))


def test_the_reactivation_rate_api(client, world, book, api_token):
    headers = api_token(world.head_north)
    answer = client.get("/api/v1/retention/reactivation-rate?period=quarter&count=4", headers=headers)
    assert answer.status_code == 200
    assert len(answer.json()["rows"]) == 4
    assert client.get("/api/v1/retention/reactivation-rate?period=week", headers=headers).status_code == 422
    assert client.get("/api/v1/retention/reactivation-rate?count=99", headers=headers).status_code == 422
    marketer = api_token(world.marketer_north)
    assert client.get("/api/v1/retention/reactivation-rate", headers=marketer).status_code == 403


def test_the_dashboard_tile(rf, world, book):
    pytest.importorskip("clientela.core.figures")
    from clientela.retention.hooks import DASHBOARD_TILES

    tile = next(t for t in DASHBOARD_TILES if t.key == "passive")
    request = rf.get("/retention/")
    request.user = world.head_north
    figures = tile.figures(request)
    assert figures[0].rows[0]["count"] == 2
    request.user = world.marketer_north
    assert tile.figures(request) == []


def test_the_passive_page_shows_the_rate_by_the_chosen_period(client, world, book):
    login(client, world.head_north)
    quarters = client.get("/retention/passive/?period=quarter").content.decode()
    assert quarters.count("<tr><td>Q") == 4
    wrong = client.get("/retention/passive/?period=decade")
    assert wrong.status_code == 200 and wrong.content.decode().count("<tr><td>Q") == 0
    exported = client.get("/retention/passive/?period=year&export=csv&figure=reactivation-rate")
    assert exported.status_code == 200
    lines = b"".join(exported.streaming_content if exported.streaming else [exported.content]).decode(
        "utf-8-sig"
    )
    assert len([line for line in lines.splitlines() if line.strip()]) == 1 + 3
