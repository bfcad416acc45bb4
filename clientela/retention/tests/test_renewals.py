# ruff: noqa: F811  (the fixtures are imported by name and asked for by name)
"""Contract renewals: a renewal task 60 days before an agreement's end date, once per end date,
re-planned when the date changes; the renewals list (page and API) scoped like deals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as WebClient
from django.utils import timezone

from clientela.activities.models import Task
from clientela.conftest import login
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.deals.models import Deal
from clientela.retention.cadence_models import CadenceKind, CadenceStep
from clientela.retention.models import RetentionPolicy
from clientela.retention.renewals import deal_dates_update, renewal_sweep
from clientela.retention.tests.cadence_fixtures import cadence_clients, win_deal  # noqa: F401


def renewal_tasks(deal: Deal | None = None) -> list[Task]:
    steps = CadenceStep.objects.filter(kind=CadenceKind.RENEWAL)
    if deal is not None:
        steps = steps.filter(deal=deal)
    return [step.task for step in steps.select_related("task").order_by("pk")]


def set_end(world, deal: Deal, ends_on: dt.date | None, by=None) -> Deal:
    return deal_dates_update(
        by=by or world.manager_north,
        deal=Deal.objects.get(pk=deal.pk),
        delivery_ends_on=None,
        ends_on=ends_on,
    )


def test_a_renewal_task_60_days_before_the_end_date_once(world, win_deal):
    today = timezone.localdate()
    soon = win_deal(title="Support 2026")
    later = win_deal(title="Support 2027")
    Deal.objects.filter(pk=soon.pk).update(ends_on=today + dt.timedelta(days=60))
    Deal.objects.filter(pk=later.pk).update(ends_on=today + dt.timedelta(days=61))
    assert renewal_sweep() == 1
    [task] = renewal_tasks(soon)
    assert task.assignee_id == world.manager_north.pk
    assert task.deal_id == soon.pk and task.client_id == soon.client_id
    assert task.title_message["code"] == "retention.renewal"
    assert (today + dt.timedelta(days=60)).isoformat() in task.shown_title
    assert renewal_tasks(later) == []
    # Never twice for one end date — also after the task is done.
    assert renewal_sweep() == 0
    task.done_at = timezone.now()
    task.save(update_fields=["done_at"])
    assert renewal_sweep() == 0
    # The next day the other agreement is within notice.
    assert renewal_sweep(now=timezone.now() + dt.timedelta(days=1)) == 1
    assert len(renewal_tasks(later)) == 1


def test_the_notice_is_the_teams_and_open_or_ended_deals_get_none(world, win_deal, cadence_clients):
    RetentionPolicy.objects.create(team=world.north, renewal_notice_days=90)
    today = timezone.localdate()
    deal = win_deal()
    set_end(world, deal, today + dt.timedelta(days=90))  # raised at once by the change
    assert len(renewal_tasks(deal)) == 1
    ended = win_deal(title="Old")
    Deal.objects.filter(pk=ended.pk).update(ends_on=today - dt.timedelta(days=3))
    from clientela.deals import services as deal_services
    from clientela.deals.models import Pipeline

    open_deal = deal_services.deal_create(
        by=world.manager_north,
        client=cadence_clients["north"],
        pipeline=Pipeline.objects.get(code="corporate"),
        currency="RON",
    )
    Deal.objects.filter(pk=open_deal.pk).update(ends_on=today + dt.timedelta(days=10))
    assert renewal_sweep() == 0
    with pytest.raises(BusinessError):
        set_end(world, open_deal, today + dt.timedelta(days=10))


def test_a_changed_end_date_replans_the_renewal(world, win_deal):
    today = timezone.localdate()
    deal = win_deal()
    set_end(world, deal, today + dt.timedelta(days=30))
    [task] = renewal_tasks(deal)
    assert task.due_at <= timezone.now() + dt.timedelta(days=4)  # due now (at the next opening)
    # Moved a year later: the open task follows the new date (due 60 days before it), no second one.
    new_end = today + dt.timedelta(days=400)
    set_end(world, deal, new_end)
    [task] = renewal_tasks(deal)
    assert timezone.localdate(task.due_at) == new_end - dt.timedelta(days=60)
    assert new_end.isoformat() in task.shown_title
    assert CadenceStep.objects.get(task=task).ends_on == new_end
    assert renewal_sweep(now=timezone.now() + dt.timedelta(days=345)) == 0  # already planned
    # No end date any more: the open renewal task is closed.
    set_end(world, deal, None)
    assert Task.objects.get(pk=task.pk).done_at is not None


def test_only_who_works_the_deal_sets_its_dates(world, win_deal):
    deal = win_deal()
    for outsider in (world.manager_south, world.marketer_north, world.manager_north2):
        with pytest.raises(PermissionDeniedError):
            set_end(world, deal, timezone.localdate(), by=outsider)
    assert Deal.objects.get(pk=deal.pk).ends_on is None


# --- The list: page and API -----------------------------------------------------------------------


@pytest.fixture
def agreements(world, win_deal, cadence_clients):
    today = timezone.localdate()
    mine = win_deal(title="Mara's support")
    nelus = win_deal(client=cadence_clients["north2"], owner=world.manager_north2, title="Nelu's support")
    souths = win_deal(client=cadence_clients["south"], owner=world.manager_south, title="South support")
    far = win_deal(title="Far away")
    for deal, days in ((mine, 20), (nelus, 10), (souths, 5), (far, 300)):
        Deal.objects.filter(pk=deal.pk).update(ends_on=today + dt.timedelta(days=days))
    return {"mine": mine, "nelus": nelus, "souths": souths, "far": far}


def test_the_renewals_page_is_scoped_sorted_and_filtered(world, agreements):
    web = login(WebClient(), world.head_north)
    page = web.get("/retention/renewals/")
    assert page.status_code == 200
    text = page.content.decode()
    assert text.index("Nelu&#x27;s support") < text.index("Mara&#x27;s support")  # soonest first
    assert "South support" not in text
    assert "Far away" not in text  # beyond the default six months
    wide = web.get(
        "/retention/renewals/", {"date_to": (timezone.localdate() + dt.timedelta(days=400)).isoformat()}
    )
    assert "Far away" in wide.content.decode()
    only_mara = web.get("/retention/renewals/", {"owner": world.manager_north.pk}).content.decode()
    assert "Mara&#x27;s support" in only_mara and "Nelu&#x27;s support" not in only_mara
    bad = web.get("/retention/renewals/", {"date_from": "2027-02-01", "date_to": "2027-01-01"})
    assert bad.status_code == 422
    mara = login(WebClient(), world.manager_north).get("/retention/renewals/").content.decode()
    assert "Mara&#x27;s support" in mara and "Nelu&#x27;s support" not in mara
    assert login(WebClient(), world.marketer_north).get("/retention/renewals/").status_code == 403


def test_the_renewals_api_is_scoped(world, agreements, api_token):
    web = WebClient()
    answer = web.get("/api/v1/retention/renewals", headers=api_token(world.manager_north))
    assert answer.status_code == 200
    body = answer.json()
    assert [item["deal_title"] for item in body["items"]] == ["Mara's support"]
    assert body["items"][0]["days_left"] == 20
    assert body["items"][0]["notice_on"] == (timezone.localdate() - dt.timedelta(days=40)).isoformat()
    head = web.get("/api/v1/retention/renewals", headers=api_token(world.head_north)).json()
    assert [item["deal_title"] for item in head["items"]] == ["Nelu's support", "Mara's support"]
    south = web.get(
        "/api/v1/retention/renewals", {"owner": world.manager_south.pk}, headers=api_token(world.head_north)
    )
    assert south.status_code == 422
    assert web.get("/api/v1/retention/renewals", headers=api_token(world.marketer_north)).status_code == 403


def test_dates_through_the_api_and_the_page(world, win_deal, api_token):
    deal = win_deal()
    web = WebClient()
    url = f"/api/v1/retention/deals/{deal.pk}/dates"
    body = {"delivery_ends_on": "2027-01-15", "ends_on": "2027-12-31"}
    assert (
        web.put(
            url, body, content_type="application/json", headers=api_token(world.manager_south)
        ).status_code
        == 404
    )
    assert (
        web.put(
            url, body, content_type="application/json", headers=api_token(world.marketer_north)
        ).status_code
        == 403
    )
    answer = web.put(url, body, content_type="application/json", headers=api_token(world.manager_north))
    assert answer.status_code == 200
    assert answer.json()["ends_on"] == "2027-12-31"
    bad = web.put(
        url,
        {"ends_on": "1900-01-01"},
        content_type="application/json",
        headers=api_token(world.manager_north),
    )
    assert bad.status_code == 422 and "ends_on" in bad.json()["errors"]
    delivered = web.post(
        f"/api/v1/retention/deals/{deal.pk}/delivered", headers=api_token(world.manager_north)
    )
    assert delivered.status_code == 200 and delivered.json()["delivered_at"]
    page = login(WebClient(), world.manager_north)
    assert page.get(f"/retention/deals/{deal.pk}/dates/").status_code == 200
    saved = page.post(f"/retention/deals/{deal.pk}/dates/", {"delivery_ends_on": "", "ends_on": "2028-06-30"})
    assert saved.status_code == 302
    assert Deal.objects.get(pk=deal.pk).ends_on == dt.date(2028, 6, 30)
    assert (
        login(WebClient(), world.manager_south).get(f"/retention/deals/{deal.pk}/dates/").status_code == 404
    )
    assert (
        login(WebClient(), world.marketer_north).get(f"/retention/deals/{deal.pk}/dates/").status_code == 403
    )


def test_the_client_card_shows_the_cadence_and_the_api_gives_it(world, win_deal, cadence_clients, api_token):
    deal = win_deal()
    Deal.objects.filter(pk=deal.pk).update(ends_on=timezone.localdate() + dt.timedelta(days=100))
    client = cadence_clients["north"]
    card = login(WebClient(), world.manager_north).get(f"/clients/{client.pk}/")
    text = card.content.decode()
    assert 'data-testid="client-cadence"' in text
    assert "Is the product in use? Call Ștefan &amp; Fiii (Licences)" in text  # the next task
    answer = WebClient().get(
        f"/api/v1/retention/clients/{client.pk}/cadence", headers=api_token(world.manager_north)
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["last_purchase_deal"]["id"] == deal.pk
    assert body["offer_every_days"] == 45
    assert body["agreements"][0]["id"] == deal.pk
    assert body["next_task"]["title"].startswith("Is the product in use?")
    assert (
        WebClient()
        .get(f"/api/v1/retention/clients/{client.pk}/cadence", headers=api_token(world.manager_south))
        .status_code
        == 404
    )


def test_the_dashboard_tile_lists_upcoming_renewals_as_the_viewer_sees_them(world, agreements, rf):
    from clientela.retention.cadence_views import renewals_tile
    from clientela.retention.hooks import DASHBOARD_TILES

    assert "renewals" in [tile.key for tile in DASHBOARD_TILES]
    request = rf.get("/retention/")
    request.user = world.head_north
    [figure] = renewals_tile(request)
    assert [row["deal"] for row in figure.rows] == ["Nelu's support", "Mara's support"]
    assert [row["days_left"] for row in figure.rows] == [10, 20]
    assert figure.rows[0]["_links"]["deal"] == f"/deals/{agreements['nelus'].pk}/"
    assert figure.rows[0]["_links"]["ends_on"].startswith("/retention/renewals/?date_from=")
    assert figure.as_json()["rows"]
    request.user = world.manager_north
    assert [row["deal"] for row in renewals_tile(request)[0].rows] == ["Mara's support"]
    request.user = world.marketer_north
    assert renewals_tile(request) == []
