# ruff: noqa: F811  (the fixtures are imported by name and asked for by name)
"""The cadence through its doors: the in-use call's outcome on the completion page, from the work
list and in the API; the offer guard's confirmation on the pages and in the API."""

from __future__ import annotations

import datetime as dt

from django.test import Client as WebClient
from django.utils import timezone

from clientela.activities.choices import ActivityKind, Direction
from clientela.activities.models import Activity, Task
from clientela.activities.services.log import activity_log
from clientela.conftest import login
from clientela.core.models import AuditEntry
from clientela.retention.cadence_models import CadenceKind, CadenceStep
from clientela.retention.tests.cadence_fixtures import cadence_clients, win_deal  # noqa: F401


def in_use_task(win_deal) -> Task:
    win_deal()
    return CadenceStep.objects.get(kind=CadenceKind.IN_USE_CHECK).task


def test_the_completion_page_asks_the_outcome_and_branches(world, win_deal):
    task = in_use_task(win_deal)
    web = login(WebClient(), world.manager_north)
    url = f"/tasks/{task.pk}/complete/"
    page = web.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="task-outcome"' in text and 'value="not_in_use"' in text and 'value="unhappy"' in text
    refused = web.post(url, {"result": "called"})
    assert refused.status_code == 422
    assert Task.objects.get(pk=task.pk).done_at is None
    day = timezone.localdate() + dt.timedelta(days=3)
    done = web.post(url, {"outcome": "not_in_use", "outcome_date": day.isoformat(), "result": "next week"})
    assert done.status_code == 302
    [follow] = CadenceStep.objects.filter(kind=CadenceKind.USE_DAY_CALL).select_related("task")
    assert timezone.localdate(follow.task.due_at) == day
    # The manager of the other team cannot reach it.
    assert (
        login(WebClient(), world.manager_south).get(f"/tasks/{follow.task.pk}/complete/").status_code == 404
    )


def test_the_work_list_sends_the_in_use_call_to_its_completion_page(world, win_deal):
    task = in_use_task(win_deal)
    web = login(WebClient(), world.manager_north)
    answer = web.get(f"/worklist/tasks/{task.pk}/outcome/")
    assert answer.status_code == 302
    assert answer["Location"].startswith(f"/tasks/{task.pk}/complete/")
    htmx = web.get(f"/worklist/tasks/{task.pk}/outcome/", headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"].startswith(f"/tasks/{task.pk}/complete/")


def test_the_outcome_through_the_api(world, win_deal, api_token):
    task = in_use_task(win_deal)
    web = WebClient()
    url = f"/api/v1/tasks/{task.pk}/complete"
    missing = web.post(url, {}, content_type="application/json", headers=api_token(world.manager_north))
    assert missing.status_code == 422 and "outcome" in missing.json()["errors"]
    other = web.post(
        url, {"outcome": "unhappy"}, content_type="application/json", headers=api_token(world.manager_south)
    )
    assert other.status_code == 404
    done = web.post(
        url, {"outcome": "unhappy"}, content_type="application/json", headers=api_token(world.manager_north)
    )
    assert done.status_code == 200
    assert CadenceStep.objects.filter(kind=CadenceKind.URGENT_MEETING).count() == 1


def _previous_offer(world, client, days_ago: int) -> None:
    activity_log(
        by=world.manager_north,
        kind=ActivityKind.PROPOSAL,
        direction=Direction.OUT,
        client=client,
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def test_the_offer_guard_in_the_api_needs_confirm_early(world, cadence_clients, api_token):
    client = cadence_clients["north"]
    _previous_offer(world, client, 29)
    web = WebClient()
    body = {"kind": "price_list", "direction": "out", "client": client.pk, "subject": "Prices 2027"}
    early = web.post(
        "/api/v1/activities", body, content_type="application/json", headers=api_token(world.manager_north)
    )
    assert early.status_code == 409
    assert "29 days ago" in early.json()["detail"]
    assert Activity.objects.filter(client=client, kind="price_list").count() == 0
    confirmed = web.post(
        "/api/v1/activities",
        {**body, "confirm_early": True},
        content_type="application/json",
        headers=api_token(world.manager_north),
    )
    assert confirmed.status_code == 201
    assert AuditEntry.objects.filter(event="early_offer", object_id=str(client.pk)).count() == 1


def test_the_offer_guard_on_the_page_asks_to_confirm(world, cadence_clients):
    client = cadence_clients["north"]
    _previous_offer(world, client, 10)
    web = login(WebClient(), world.manager_north)
    url = f"/activities/client/{client.pk}/log/"
    data = {"kind": "price_list", "direction": "out", "subject": "Prices 2027"}
    warned = web.post(url, data)
    assert warned.status_code == 422
    assert 'data-testid="early-offer-warning"' in warned.content.decode()
    assert "10 days ago" in warned.content.decode()
    assert Activity.objects.filter(client=client, kind="price_list").count() == 0
    confirmed = web.post(url, {**data, "confirm_early": "on"})
    assert confirmed.status_code == 302
    assert Activity.objects.get(client=client, kind="price_list").details["early_offer"]["days"] == 10


def test_an_early_proposal_on_the_deal_page_asks_to_confirm(world, cadence_clients):
    from clientela.deals import services as deal_services
    from clientela.deals.documents.services import document_create
    from clientela.deals.models import DealEvent, Pipeline

    client = cadence_clients["north"]
    deal = deal_services.deal_create(
        by=world.manager_north, client=client, pipeline=Pipeline.objects.get(code="corporate"), currency="RON"
    )
    first_line = {"name": "Licence", "quantity": 1, "unit_price": "1000.00"}
    version = document_create(by=world.manager_north, deal=deal, first_line=first_line).versions.get()
    _previous_offer(world, client, 3)
    web = login(WebClient(), world.manager_north)
    url = f"/deals/documents/versions/{version.pk}/send/"
    asked = web.post(url, {"to": "office@example.com"})
    assert asked.status_code == 409
    text = asked.content.decode()
    assert 'data-testid="early-offer-warning"' in text and 'name="confirm_early"' in text
    version.refresh_from_db()
    assert version.sent_at is None
    sent = web.post(url, {"to": "office@example.com", "confirm_early": "1"})
    assert sent.status_code == 302
    version.refresh_from_db()
    assert version.sent_at is not None
    assert DealEvent.objects.filter(deal=deal, data__early_offer__days=3).count() == 1
