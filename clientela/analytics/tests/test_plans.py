"""Plans: who may set which plan, the top-down arithmetic, bad input (field errors on the page
and 422 in the API), the audit, and the plan-progress block on the home page."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.test import Client as WebClient
from django.utils import timezone

from clientela.analytics.plans import (
    activity_plan_set,
    client_forecast_set,
    sales_plan_set,
    top_down,
)
from clientela.analytics.plans_models import ActivityPlan, ClientForecast, SalesPlan
from clientela.clients.models import Client
from clientela.conftest import login
from clientela.core.audit import AuditEntry
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.deals.models import Deal, ExchangeRate, LostReason, Payment, Pipeline, Stage

_seq = itertools.count(1)
UTC = dt.UTC


# --- shared test data (used by the report tests too) ------------------------------------------


def make_pipeline(name: str = "Corporate") -> dict[str, Stage]:
    pipeline = Pipeline.objects.create(name=name, code=f"p{next(_seq)}")
    stages = {
        "contact": Stage.objects.create(pipeline=pipeline, name="Contact", position=1, probability=10),
        "offer": Stage.objects.create(pipeline=pipeline, name="Offer", position=2, probability=50),
        "won": Stage.objects.create(pipeline=pipeline, name="Won", position=3, probability=100, is_won=True),
        "lost": Stage.objects.create(pipeline=pipeline, name="Lost", position=4, probability=0, is_lost=True),
    }
    return stages


def make_client(owner, name: str | None = None, **extra) -> Client:
    return Client.objects.create(
        name=name or f"Client {next(_seq)}", country="RO", owner=owner, team=owner.team, **extra
    )


def make_deal(
    client,
    stages,
    *,
    amount,
    currency="EUR",
    status="open",
    closed_at=None,
    close=None,
    reason=None,
    stage=None,
):
    stage_key = stage or {"open": "offer", "won": "won", "lost": "lost"}[status]
    return Deal.objects.create(
        title=f"Deal {next(_seq)}",
        client=client,
        pipeline=stages[stage_key].pipeline,
        stage=stages[stage_key],
        status=status,
        amount=Decimal(amount),
        currency=currency,
        owner=client.owner,
        team=client.team,
        closed_at=closed_at,
        expected_close_date=close,
        lost_reason=reason,
    )


def ron_rate(rate: str = "0.2") -> None:
    ExchangeRate.objects.create(
        currency="RON", base="EUR", rate=Decimal(rate), valid_from=dt.date(2020, 1, 1)
    )


def pay(deal, amount, paid_on, currency="EUR"):
    return Payment.objects.create(
        deal=deal, kind="received", amount=Decimal(amount), currency=currency, paid_on=paid_on
    )


def lost_reason(code: str, name: str) -> LostReason:
    return LostReason.objects.get_or_create(code=code, defaults={"name": name})[0]


# --- activity plans --------------------------------------------------------------------------------


def test_the_head_sets_a_managers_daily_plan_and_it_is_audited(world):
    plan = activity_plan_set(
        by=world.head_north, user=world.manager_north.pk, calls_per_day="20", meetings_per_day=3
    )
    assert (plan.calls_per_day, plan.meetings_per_day) == (20, 3)
    again = activity_plan_set(
        by=world.head_north, user=world.manager_north, calls_per_day=25, meetings_per_day=3
    )
    assert again.pk == plan.pk and ActivityPlan.objects.get().calls_per_day == 25
    entries = AuditEntry.objects.filter(object_id=str(plan.pk), actor=world.head_north)
    assert entries.count() == 2
    assert entries.order_by("-id").first().changes == {"calls_per_day": [20, 25]}


def test_nobody_sets_their_own_plan_nor_another_teams(world):
    with pytest.raises(PermissionDeniedError):
        activity_plan_set(
            by=world.manager_north, user=world.manager_north, calls_per_day=1, meetings_per_day=1
        )
    with pytest.raises(PermissionDeniedError):
        activity_plan_set(
            by=world.manager_north, user=world.manager_north2, calls_per_day=1, meetings_per_day=1
        )
    with pytest.raises(PermissionDeniedError):
        activity_plan_set(by=world.head_north, user=world.head_north, calls_per_day=1, meetings_per_day=1)
    with pytest.raises(BusinessError) as refused:
        activity_plan_set(by=world.head_north, user=world.manager_south, calls_per_day=1, meetings_per_day=1)
    assert "user" in refused.value.errors
    activity_plan_set(by=world.admin, user=world.manager_south, calls_per_day=1, meetings_per_day=1)
    assert ActivityPlan.objects.filter(user=world.manager_south).exists()


@pytest.mark.parametrize(
    ("calls", "meetings", "fields"),
    [
        (-1, 1, {"calls_per_day"}),
        (1, 201, {"meetings_per_day"}),
        ("many", "1.5", {"calls_per_day", "meetings_per_day"}),
    ],
)
def test_absurd_daily_plans_are_field_errors(world, calls, meetings, fields):
    with pytest.raises(BusinessError) as error:
        activity_plan_set(
            by=world.head_north, user=world.manager_north, calls_per_day=calls, meetings_per_day=meetings
        )
    assert error.value.status == 422 and set(error.value.errors) == fields
    assert not ActivityPlan.objects.exists()


# --- sales plans -----------------------------------------------------------------------------------


def test_top_down_arithmetic():
    # 1 500 × 1.10 × 1.20 = 1 980; 1 100 × 1.10 × 1.05 = 1 270.50; 400 × 0.90 = 360
    assert top_down(Decimal("1500"), Decimal("10"), Decimal("20")) == Decimal("1980.00")
    assert top_down(Decimal("1100"), Decimal("10"), Decimal("5")) == Decimal("1270.50")
    assert top_down(Decimal("400"), Decimal("-10"), Decimal("0")) == Decimal("360.00")
    assert top_down(Decimal("333.33"), Decimal("3.3"), Decimal("0")) == Decimal("344.33")  # 344.33299 → .33


@pytest.fixture
def last_march(world):
    """Won in March 2025 (UTC): Mara 1 000 EUR + 500 RON (= 100 EUR at 0.2); Nelu 400 EUR; the
    South 9 999 EUR; a North deal won on 1 April 2025 and a lost one do not count."""
    ron_rate()
    stages = make_pipeline()
    mara, nelu = make_client(world.manager_north), make_client(world.manager_north2)
    sandor = make_client(world.manager_south)
    make_deal(mara, stages, amount="1000", status="won", closed_at=dt.datetime(2025, 3, 3, 10, tzinfo=UTC))
    make_deal(
        mara,
        stages,
        amount="500",
        currency="RON",
        status="won",
        closed_at=dt.datetime(2025, 3, 31, 23, tzinfo=UTC),
    )
    make_deal(nelu, stages, amount="400", status="won", closed_at=dt.datetime(2025, 3, 1, 0, 0, tzinfo=UTC))
    make_deal(nelu, stages, amount="700", status="won", closed_at=dt.datetime(2025, 4, 1, 0, 0, tzinfo=UTC))
    make_deal(nelu, stages, amount="800", status="lost", closed_at=dt.datetime(2025, 3, 5, tzinfo=UTC))
    make_deal(sandor, stages, amount="9999", status="won", closed_at=dt.datetime(2025, 3, 5, tzinfo=UTC))
    return world


def test_the_team_plan_is_last_years_won_times_both_factors(last_march):
    world = last_march
    plan = sales_plan_set(
        by=world.head_north,
        team=world.north.pk,
        month="2026-03",
        market_growth_percent="10",
        ambition_percent="20",
    )
    assert (plan.base_amount, plan.target, plan.currency) == (Decimal("1500.00"), Decimal("1980.00"), "EUR")
    assert plan.manager is None and plan.month == dt.date(2026, 3, 1)
    mara = sales_plan_set(
        by=world.head_north,
        team=world.north,
        manager=world.manager_north.pk,
        month="2026-03-17",
        market_growth_percent=Decimal("10"),
        ambition_percent=5,
    )
    assert (mara.base_amount, mara.target) == (Decimal("1100.00"), Decimal("1270.50"))
    # saving again updates the same plan (and is audited as a change)
    again = sales_plan_set(
        by=world.head_north,
        team=world.north,
        manager=world.manager_north,
        month="2026-03",
        market_growth_percent="-10",
        ambition_percent="0",
    )
    assert again.pk == mara.pk and again.target == Decimal("990.00")
    assert SalesPlan.objects.count() == 2
    assert AuditEntry.objects.filter(object_id=str(mara.pk), action="update").exists()


def test_last_years_month_is_the_heads_days(last_march):
    """In Bucharest (UTC+3 in summer, +2 in March before the 29th) Mara's RON deal closed on
    31 March 23:00 UTC is already 1 April, and Nelu's 1 April 00:00 UTC deal too; Nelu's
    deal of 1 March 00:00 UTC is 1 March 02:00 there (still March)."""
    world = last_march
    world.head_north.time_zone = "Europe/Bucharest"
    world.head_north.save(update_fields=["time_zone"])
    plan = sales_plan_set(
        by=world.head_north, team=world.north, month="2026-03", market_growth_percent=0, ambition_percent=0
    )
    assert plan.base_amount == Decimal("1400.00")  # 1 000 + 400, without the RON deal


def test_sales_plans_are_for_heads_of_their_teams(last_march):
    world = last_march
    args = {"month": "2026-03", "market_growth_percent": 1, "ambition_percent": 1}
    with pytest.raises(PermissionDeniedError):
        sales_plan_set(by=world.manager_north, team=world.north, manager=world.manager_north, **args)
    with pytest.raises(PermissionDeniedError):
        sales_plan_set(by=world.marketer_north, team=world.north, **args)
    with pytest.raises(PermissionDeniedError):
        sales_plan_set(by=world.head_north, team=world.south, **args)
    with pytest.raises(BusinessError) as error:
        sales_plan_set(by=world.head_north, team=world.north, manager=world.manager_south, **args)
    assert set(error.value.errors) == {"manager"}
    plan = sales_plan_set(by=world.admin, team=world.south, manager=world.manager_south, **args)
    assert plan.base_amount == Decimal("9999.00")


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"market_growth_percent": "-100"}, {"market_growth_percent"}),
        ({"ambition_percent": "1000.01"}, {"ambition_percent"}),
        ({"ambition_percent": "ten"}, {"ambition_percent"}),
        ({"month": "2026-13"}, {"month"}),
        ({"month": "1999-01"}, {"month"}),
        ({"team": "99999"}, {"team"}),
    ],
)
def test_bad_sales_plans_are_field_errors(world, values, fields):
    data = {
        "team": world.north.pk,
        "month": "2026-03",
        "market_growth_percent": "5",
        "ambition_percent": "5",
        **values,
    }
    with pytest.raises(BusinessError) as error:
        sales_plan_set(by=world.head_north, **data)
    assert error.value.status == 422 and set(error.value.errors) == fields
    assert not SalesPlan.objects.exists()


# --- client forecasts ------------------------------------------------------------------------------


def test_managers_forecast_their_own_clients_heads_their_teams(world):
    mine, colleagues, south = (
        make_client(world.manager_north),
        make_client(world.manager_north2),
        make_client(world.manager_south),
    )
    forecast = client_forecast_set(by=world.manager_north, client=mine.pk, month="2026-05", amount="1250.50")
    assert (forecast.amount, forecast.currency, forecast.month) == (
        Decimal("1250.50"),
        "EUR",
        dt.date(2026, 5, 1),
    )
    assert AuditEntry.objects.filter(object_id=str(forecast.pk), actor=world.manager_north).exists()
    with pytest.raises(BusinessError) as colleague:  # not hers to see: as if it did not exist
        client_forecast_set(by=world.manager_north, client=colleagues, month="2026-05", amount="1")
    assert "client" in colleague.value.errors
    queue = Client.objects.create(name="Team queue client", country="RO", owner=None, team=world.north)
    with pytest.raises(PermissionDeniedError):  # she sees the team's unassigned client, it is not hers
        client_forecast_set(by=world.manager_north, client=queue, month="2026-05", amount="1")
    with pytest.raises(BusinessError) as unseen:
        client_forecast_set(by=world.manager_north, client=south.pk, month="2026-05", amount="1")
    assert "client" in unseen.value.errors
    with pytest.raises(PermissionDeniedError):
        client_forecast_set(by=world.marketer_north, client=mine, month="2026-05", amount="1")
    client_forecast_set(by=world.head_north, client=colleagues, month="2026-05", amount="10")
    with pytest.raises(BusinessError):
        client_forecast_set(by=world.head_north, client=south, month="2026-05", amount="10")
    updated = client_forecast_set(by=world.head_north, client=mine, month="2026-05-20", amount="99")
    assert updated.pk == forecast.pk and ClientForecast.objects.count() == 2


@pytest.mark.parametrize("amount", ["-5", "1e20", "abc", "1.234", ""])
def test_bad_forecast_amounts_are_field_errors(world, amount):
    mine = make_client(world.manager_north)
    with pytest.raises(BusinessError) as error:
        client_forecast_set(by=world.manager_north, client=mine, month="2026-05", amount=amount)
    assert set(error.value.errors) == {"amount"}


# --- the page --------------------------------------------------------------------------------------


def test_the_page_shows_each_role_its_plans(world, client: WebClient):
    activity_plan_set(by=world.admin, user=world.manager_north, calls_per_day=17, meetings_per_day=2)
    activity_plan_set(by=world.admin, user=world.manager_south, calls_per_day=33, meetings_per_day=4)
    login(client, world.manager_north)
    body = client.get("/plans/").content.decode()
    assert "Mara" in body and "Nelu" not in body and "Sándor" not in body
    assert 'action="/plans/activity/"' not in body and 'action="/plans/sales/"' not in body
    login(client, world.head_north)
    body = client.get("/plans/").content.decode()
    assert "Nelu" in body and "Sándor" not in body and 'action="/plans/sales/"' in body
    login(client, world.marketer_north)
    assert client.get("/plans/").status_code == 403
    assert (
        client.post("/plans/forecast/", {"client": "1", "month": "2026-05", "amount": "1"}).status_code == 403
    )


def test_page_forms_save_with_a_message_or_show_the_fields_errors(world, client: WebClient):
    login(client, world.head_north)
    response = client.post(
        "/plans/activity/",
        {"user": world.manager_north.pk, "calls_per_day": "12", "meetings_per_day": "2"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Daily plan of Mara saved" in response.content.decode()
    bad = client.post(
        "/plans/activity/", {"user": world.manager_north.pk, "calls_per_day": "-3", "meetings_per_day": "2"}
    )
    assert bad.status_code == 422
    assert bad.context["activity_form"].errors["calls_per_day"]
    assert "is-invalid" in bad.content.decode()
    assert ActivityPlan.objects.get().calls_per_day == 12
    bad_plan = client.post(
        "/plans/sales/",
        {
            "team": world.north.pk,
            "month": "2026-03",
            "market_growth_percent": "-150",
            "ambition_percent": "1",
        },
    )
    assert bad_plan.status_code == 422 and "market_growth_percent" in bad_plan.context["sales_form"].errors
    login(client, world.manager_north)
    assert (
        client.post("/plans/activity/", {"user": world.manager_north.pk, "calls_per_day": "99"}).status_code
        == 403
    )
    assert client.post("/plans/sales/", {"team": world.north.pk, "month": "2026-03"}).status_code == 403
    mine = make_client(world.manager_north, name="Acme Nord")
    saved = client.post(
        "/plans/forecast/", {"client": mine.pk, "month": "2026-06", "amount": "800"}, follow=True
    )
    assert "Forecast for Acme Nord in 2026-06 saved" in saved.content.decode()
    assert saved.request["QUERY_STRING"] == "month=2026-06"
    assert "800" in saved.content.decode()


# --- the API ---------------------------------------------------------------------------------------


def test_api_sets_and_lists_plans_with_field_errors(last_march, api_token):
    world = last_march
    head = api_token(world.head_north)
    api = WebClient()
    response = api.put(
        "/api/v1/plans/sales",
        {"team": world.north.pk, "month": "2026-03", "market_growth_percent": "10", "ambition_percent": "20"},
        content_type="application/json",
        headers=head,
    )
    assert response.status_code == 200, response.content
    assert response.json()["target"] == "1980.00"
    bad = api.put(
        "/api/v1/plans/sales",
        {"team": world.north.pk, "month": "2026-03", "market_growth_percent": "-200"},
        content_type="application/json",
        headers=head,
    )
    assert bad.status_code == 422 and "market_growth_percent" in bad.json()["errors"]
    listed = api.get(
        "/api/v1/plans/sales", {"month_from": "2026-01"}, headers=api_token(world.manager_north)
    ).json()
    assert listed == []  # the team's plan is the head's; Mara has none of her own
    assert len(api.get("/api/v1/plans/sales", headers=head).json()) == 1
    manager = api_token(world.manager_north)
    refused = api.put(
        "/api/v1/plans/activity",
        {"user": world.manager_north.pk, "calls_per_day": 1, "meetings_per_day": 1},
        content_type="application/json",
        headers=manager,
    )
    assert refused.status_code == 403
    ok = api.put(
        "/api/v1/plans/activity",
        {"user": world.manager_north.pk, "calls_per_day": 8, "meetings_per_day": 2},
        content_type="application/json",
        headers=head,
    )
    assert ok.status_code == 200 and ok.json()["calls_per_day"] == 8
    plans = api.get("/api/v1/plans/activity", headers=manager).json()
    assert [(p["person"]["name"], p["calls_per_day"]) for p in plans] == [("Mara", 8)]
    mine = make_client(world.manager_north)
    forecast = api.put(
        "/api/v1/plans/forecasts",
        {"client": mine.pk, "month": "2026-04", "amount": "-1"},
        content_type="application/json",
        headers=manager,
    )
    assert forecast.status_code == 422 and "amount" in forecast.json()["errors"]
    forecast = api.put(
        "/api/v1/plans/forecasts",
        {"client": mine.pk, "month": "2026-04", "amount": "150.25"},
        content_type="application/json",
        headers=manager,
    )
    assert forecast.status_code == 200 and forecast.json()["amount"] == "150.25"
    assert api.get("/api/v1/plans/forecasts", headers=api_token(world.manager_north2)).json() == []
    assert api.get("/api/v1/plans/forecasts", headers=api_token(world.marketer_north)).status_code == 403


# --- the home block --------------------------------------------------------------------------------


def test_home_shows_this_months_won_against_the_plan(world, client: WebClient):
    today = timezone.localdate()
    month = today.replace(day=1)
    stages = make_pipeline()
    mine = make_client(world.manager_north)
    SalesPlan.objects.create(
        team=world.north, manager=world.manager_north, month=month, target=Decimal("1000"), currency="EUR"
    )
    SalesPlan.objects.create(
        team=world.north, manager=None, month=month, target=Decimal("4000"), currency="EUR"
    )
    make_deal(mine, stages, amount="250", status="won", closed_at=timezone.now())
    make_deal(make_client(world.manager_north2), stages, amount="750", status="won", closed_at=timezone.now())
    login(client, world.manager_north)
    body = client.get("/").content.decode()
    assert 'id="home-plan"' in body and "25.0" in body and "/reports/sales-plan/" in body
    login(client, world.head_north)
    body = client.get("/").content.decode()
    assert 'id="home-plan"' in body and "25.0" in body  # (250 + 750) / 4 000
    login(client, world.manager_south)
    assert 'id="home-plan"' not in client.get("/").content.decode()  # no plan this month
