"""The account plan of a key client: goals, people from its contacts, actions that are tasks,
a review date that is a task, audited; its doors scoped like the client."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clientela.activities.models import Task
from clientela.conftest import login
from clientela.core.audit import history_for
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.zones import local
from clientela.retention import account_plans
from clientela.retention.loyalty_models import AccountPlan
from clientela.retention.tests.loyalty_helpers import make_clients


@pytest.fixture
def clients(world):
    return make_clients(world)


def _contacts(client):
    return list(client.contacts.order_by("first_name"))  # Ioana, Radu


def test_a_plan_with_goals_people_and_a_review_date(world, clients):
    north = clients["north"]
    ioana, radu = _contacts(north)
    review = timezone.localdate() + dt.timedelta(days=90)
    plan = account_plans.account_plan_save(
        by=world.head_north,
        client=north,
        goals="Grow licences by 30 %",
        review_on=review,
        people=[
            {"contact": ioana.pk, "role": "decision_maker"},
            {"contact": radu.pk, "role": "influencer", "note": "IT"},
        ],
    )
    assert plan.year == timezone.localdate().year
    assert sorted(plan.people.values_list("contact__first_name", "role")) == [
        ("Ioana", "decision_maker"),
        ("Radu", "influencer"),
    ]
    # The review is a meeting task of the client's personal manager (Mara) on that day.
    task = Task.objects.get(pk=plan.review_task_id)
    assert task.assignee == world.manager_north and task.client_id == north.pk
    assert local(task.due_at, world.manager_north).date() == review
    # A new date moves the same task.
    later = review + dt.timedelta(days=7)
    account_plans.account_plan_save(by=world.manager_north, client=north, review_on=later)
    task.refresh_from_db()
    assert local(task.due_at, world.manager_north).date() == later
    assert Task.objects.filter(client=north).count() == 1
    events = [(e.action, e.event) for e in history_for(plan)]
    assert ("event", "people") in events and any(a == "create" for a, _e in events)


def test_each_planned_action_creates_a_task_for_the_owner(world, clients):
    north = clients["north"]
    day = timezone.localdate() + dt.timedelta(days=14)
    action = account_plans.account_plan_action_add(
        by=world.head_north, client=north, title="Present the new range", due_on=day
    )
    assert AccountPlan.objects.filter(client=north).exists()  # made on first action
    task = action.task
    assert task.assignee == world.manager_north
    assert task.client_id == north.pk
    assert local(task.due_at, world.manager_north).date() == day
    assert "Present the new range" in task.shown_title if hasattr(task, "shown_title") else task.title
    account_plans.account_plan_action_add(by=world.manager_north, client=north, title="Visit", due_on=day)
    assert Task.objects.filter(client=north).count() == 2


def test_bad_plans_are_field_errors(world, clients):
    north, south = clients["north"], clients["south"]
    olga = south.contacts.get()
    with pytest.raises(BusinessError) as exc:
        account_plans.account_plan_save(
            by=world.manager_north, client=north, people=[{"contact": olga.pk, "role": "influencer"}]
        )
    assert "people.0.contact" in exc.value.errors
    with pytest.raises(BusinessError) as exc:
        account_plans.account_plan_save(
            by=world.manager_north, client=north, people=[{"contact": _contacts(north)[0].pk, "role": "boss"}]
        )
    assert "people.0.role" in exc.value.errors
    with pytest.raises(BusinessError) as exc:
        account_plans.account_plan_action_add(by=world.manager_north, client=north, title="", due_on="soon")
    assert set(exc.value.errors) == {"title", "due_on"}
    assert not Task.objects.exists()
    with pytest.raises(PermissionDeniedError):
        account_plans.account_plan_save(by=world.manager_north, client=south, goals="no")
    with pytest.raises(PermissionDeniedError):
        account_plans.account_plan_save(by=world.manager_north2, client=north, goals="not mine")


def test_key_clients_are_the_a_class_when_classes_are_kept(world, clients):
    if not account_plans.has_abc_class():
        assert list(account_plans.key_clients(world.admin)) == []
        return
    from clientela.clients.models import Client

    Client.objects.filter(pk__in=[clients["north"].pk, clients["south"].pk]).update(abc_class="A")
    assert [c.pk for c in account_plans.key_clients(world.head_north)] == [clients["north"].pk]
    account_plans.account_plan_save(by=world.manager_north, client=clients["north"], goals="x")
    assert list(account_plans.key_clients_without_plan(world.head_north)) == []


def test_the_plan_pages_and_api(world, clients, client, api_token):
    north, south = clients["north"], clients["south"]
    ioana = _contacts(north)[0]
    login(client, world.manager_north)
    assert client.get(f"/clients/{north.pk}/account-plan/").status_code == 200
    response = client.post(
        f"/clients/{north.pk}/account-plan/",
        {
            "year": "2027",
            "goals": "Renew the contract",
            "review_on": "",
            f"role_{ioana.pk}": "decision_maker",
        },
    )
    assert response.status_code == 302
    plan = AccountPlan.objects.get(client=north)
    assert (plan.year, plan.goals) == (2027, "Renew the contract")
    assert list(plan.people.values_list("contact_id", "role")) == [(ioana.pk, "decision_maker")]
    day = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    assert (
        client.post(
            f"/clients/{north.pk}/account-plan/actions/", {"title": "Call the CFO", "due_on": day}
        ).status_code
        == 302
    )
    assert (
        client.post(f"/clients/{north.pk}/account-plan/actions/", {"title": "", "due_on": day}).status_code
        == 422
    )
    # Another team's client: 404 everywhere.
    assert client.get(f"/clients/{south.pk}/account-plan/").status_code == 404
    assert (
        client.post(f"/clients/{south.pk}/account-plan/actions/", {"title": "x", "due_on": day}).status_code
        == 404
    )

    mara = api_token(world.manager_north)
    body = client.get(f"/api/v1/clients/{north.pk}/account-plan", headers=mara).json()
    assert body["exists"] and [a["title"] for a in body["actions"]] == ["Call the CFO"]
    response = client.post(
        f"/api/v1/clients/{north.pk}/account-plan/actions",
        {"title": "Quarterly review", "due_on": day},
        content_type="application/json",
        headers=mara,
    )
    assert response.status_code == 201
    assert len(response.json()["actions"]) == 2
    response = client.put(
        f"/api/v1/clients/{north.pk}/account-plan",
        {"people": [{"contact": ioana.pk, "role": "chief"}]},
        content_type="application/json",
        headers=mara,
    )
    assert response.status_code == 422 and "people.0.role" in response.json()["errors"]
    assert client.get(f"/api/v1/clients/{south.pk}/account-plan", headers=mara).status_code == 404
    assert (
        client.put(
            f"/api/v1/clients/{south.pk}/account-plan",
            {"goals": "x"},
            content_type="application/json",
            headers=mara,
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/v1/clients/{north.pk}/account-plan", headers=api_token(world.marketer_north)
        ).status_code
        == 403
    )
