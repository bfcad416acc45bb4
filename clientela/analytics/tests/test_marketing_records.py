"""Campaign spend and marketing plans: the services' checks and audit, who may see and change
which record, the page (add, edit, delete with feedback) and the API; the lead list filters the
marketing report links to."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from clientela.analytics import marketing
from clientela.analytics.marketing_models import CampaignSpend, MarketingPlan
from clientela.conftest import login
from clientela.core.audit import AuditEntry
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.imports.models import ImportJob
from clientela.leads.models import Lead
from clientela.leads.services.lifecycle import lead_create

SPEND = {
    "campaign": "  Spring   fair ",
    "channel": "exhibition",
    "first_day": "2026-03-01",
    "last_day": "2026-03-31",
    "amount": "1250.50",
    "currency": "eur",
    "note": "Stand and flyers",
}
PLAN = {
    "month": "2026-03",
    "channel": "web_form",
    "target_leads": "40",
    "acceptable_cpl": "25",
    "currency": "EUR",
}


def test_spend_is_created_normalised_and_audited(world):
    spend = marketing.campaign_spend_create(by=world.marketer_north, data={**SPEND, "team": world.north.pk})
    assert (spend.campaign, spend.currency, spend.amount, spend.team_id) == (
        "Spring fair",
        "EUR",
        Decimal("1250.50"),
        world.north.pk,
    )
    assert spend.days == 31
    assert AuditEntry.objects.filter(object_id=str(spend.pk), action="create").exists()
    marketing.campaign_spend_update(by=world.head_north, spend=spend, data={**SPEND, "amount": "1300"})
    spend.refresh_from_db()
    assert spend.amount == Decimal("1300.00")
    assert AuditEntry.objects.filter(object_id=str(spend.pk), action="update").exists()
    pk = spend.pk
    marketing.campaign_spend_delete(by=world.admin, spend=spend)
    assert not CampaignSpend.objects.filter(pk=pk).exists()
    assert AuditEntry.objects.filter(object_id=str(pk), event="deleted").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"amount": ""}, "amount"),
        ({"first_day": "2026-03-31", "last_day": "2026-03-01"}, "last_day"),
        ({"last_day": "2026-13-01"}, "last_day"),
        ({"channel": "pigeon"}, "channel"),
        ({"currency": "euro"}, "currency"),
        ({"first_day": "2020-01-01", "last_day": "2026-01-01"}, "last_day"),
    ],
)
def test_bad_spend_is_a_field_error(world, change, field):
    with pytest.raises(BusinessError) as raised:
        marketing.campaign_spend_create(by=world.marketer_north, data={**SPEND, **change})
    assert field in raised.value.errors
    assert raised.value.status == 422
    assert not CampaignSpend.objects.exists()


def test_nobody_writes_for_another_team_and_managers_not_at_all(world):
    with pytest.raises(BusinessError) as raised:
        marketing.campaign_spend_create(by=world.marketer_north, data={**SPEND, "team": world.south.pk})
    assert "team" in raised.value.errors
    with pytest.raises(PermissionDeniedError):
        marketing.campaign_spend_create(by=world.manager_north, data=SPEND)
    south = marketing.campaign_spend_create(by=world.admin, data={**SPEND, "team": world.south.pk})
    with pytest.raises(PermissionDeniedError):
        marketing.campaign_spend_delete(by=world.head_north, spend=south)
    company = marketing.campaign_spend_create(by=world.marketer_north, data=SPEND)  # no team
    assert set(marketing.visible_spend(world.head_north)) == {company}
    assert set(marketing.visible_spend(world.admin)) == {company, south}
    assert not marketing.visible_spend(world.manager_north).exists()


def test_plan_month_is_its_first_day_and_unique(world):
    plan = marketing.marketing_plan_create(by=world.marketer_north, data={**PLAN, "month": "2026-03-17"})
    assert plan.month == dt.date(2026, 3, 1) and plan.target_leads == 40
    with pytest.raises(BusinessError) as raised:
        marketing.marketing_plan_create(by=world.head_north, data=PLAN)
    assert "month" in raised.value.errors
    other_team = marketing.marketing_plan_create(by=world.admin, data={**PLAN, "team": world.south.pk})
    assert other_team.pk != plan.pk
    for bad, field in (
        ({"target_leads": "-3"}, "target_leads"),
        ({"target_leads": "many"}, "target_leads"),
        ({"acceptable_cpl": "-1"}, "acceptable_cpl"),
        ({"channel": ""}, "channel"),
        ({"month": ""}, "month"),
    ):
        with pytest.raises(BusinessError) as raised:
            marketing.marketing_plan_create(by=world.admin, data={**PLAN, "month": "2027-01", **bad})
        assert field in raised.value.errors


def test_page_adds_edits_and_deletes_with_feedback(world, client: Client):
    login(client, world.marketer_north)
    page = client.get("/reports/marketing/spend/")
    assert page.status_code == 200
    form = client.get("/reports/marketing/spend/new/")
    assert form.status_code == 200 and 'value="EUR"' in form.content.decode()
    bad = client.post("/reports/marketing/spend/new/", {**SPEND, "amount": "-1", "team": world.north.pk})
    assert bad.status_code == 422 and "cannot be negative" in bad.content.decode()
    done = client.post("/reports/marketing/spend/new/", {**SPEND, "team": world.north.pk}, follow=True)
    assert done.status_code == 200
    body = done.content.decode()
    assert "Spring fair" in body and "added" in body
    spend = CampaignSpend.objects.get()
    edited = client.post(
        f"/reports/marketing/spend/{spend.pk}/",
        {**SPEND, "amount": "99", "team": world.north.pk},
        follow=True,
    )
    assert "saved" in edited.content.decode()
    spend.refresh_from_db()
    assert spend.amount == Decimal("99.00")
    deleted = client.post(f"/reports/marketing/spend/{spend.pk}/delete/", follow=True)
    assert "deleted" in deleted.content.decode()
    assert not CampaignSpend.objects.exists()
    added = client.post("/reports/marketing/plans/new/", {**PLAN, "team": world.north.pk}, follow=True)
    assert "added" in added.content.decode()
    plan = MarketingPlan.objects.get()
    assert client.get(f"/reports/marketing/plans/{plan.pk}/").status_code == 200
    client.post(f"/reports/marketing/plans/{plan.pk}/delete/")
    assert not MarketingPlan.objects.exists()


def test_page_refuses_managers_and_hides_other_teams(world, client: Client):
    south = marketing.campaign_spend_create(by=world.admin, data={**SPEND, "team": world.south.pk})
    login(client, world.manager_north)
    assert client.get("/reports/marketing/spend/").status_code == 403
    assert client.post("/reports/marketing/spend/new/", SPEND).status_code == 403
    login(client, world.head_north)
    assert client.get(f"/reports/marketing/spend/{south.pk}/").status_code == 404
    assert client.post(f"/reports/marketing/spend/{south.pk}/delete/").status_code == 404
    assert CampaignSpend.objects.filter(pk=south.pk).exists()


def test_api_crud(world, api_token):
    headers = api_token(world.marketer_north)
    api = Client()
    created = api.post(
        "/api/v1/marketing/spend",
        {**SPEND, "team": world.north.pk},
        content_type="application/json",
        headers=headers,
    )
    assert created.status_code == 201, created.content
    spend_id = created.json()["id"]
    assert created.json()["amount"] in ("1250.50", "1250.5")
    assert created.json()["team"] == {"id": world.north.pk, "name": "North"}
    patched = api.patch(
        f"/api/v1/marketing/spend/{spend_id}",
        {"amount": "10"},
        content_type="application/json",
        headers=headers,
    )
    assert patched.status_code == 200 and Decimal(patched.json()["amount"]) == 10
    assert patched.json()["campaign"] == "Spring fair"
    bad = api.patch(
        f"/api/v1/marketing/spend/{spend_id}",
        {"first_day": "2026-04-30"},
        content_type="application/json",
        headers=headers,
    )
    assert bad.status_code == 422 and "last_day" in str(bad.json())
    negative = api.post(
        "/api/v1/marketing/spend", {**SPEND, "amount": "-3"}, content_type="application/json", headers=headers
    )
    assert negative.status_code == 422 and "amount" in str(negative.json())
    listed = api.get(
        "/api/v1/marketing/spend", {"first": "2026-03-15", "last": "2026-03-20"}, headers=headers
    )
    assert [row["id"] for row in listed.json()] == [spend_id]
    assert api.get("/api/v1/marketing/spend", {"first": "2026-04-01"}, headers=headers).json() == []
    assert api.delete(f"/api/v1/marketing/spend/{spend_id}", headers=headers).status_code == 204

    plan = api.post(
        "/api/v1/marketing/plans",
        {**PLAN, "month": "2026-03-01"},
        content_type="application/json",
        headers=headers,
    )
    assert plan.status_code == 201 and plan.json()["month"] == "2026-03-01"
    plan_id = plan.json()["id"]
    again = api.post(
        "/api/v1/marketing/plans",
        {**PLAN, "month": "2026-03-09"},
        content_type="application/json",
        headers=headers,
    )
    assert again.status_code == 422 and "month" in str(again.json())
    patched = api.patch(
        f"/api/v1/marketing/plans/{plan_id}",
        {"target_leads": 50},
        content_type="application/json",
        headers=headers,
    )
    assert patched.json()["target_leads"] == 50
    assert (
        api.get(f"/api/v1/marketing/plans/{plan_id}", headers=api_token(world.manager_north)).status_code
        == 403
    )
    south = marketing.marketing_plan_create(by=world.admin, data={**PLAN, "team": world.south.pk})
    assert api.get(f"/api/v1/marketing/plans/{south.pk}", headers=headers).status_code == 404
    assert api.delete(f"/api/v1/marketing/plans/{plan_id}", headers=headers).status_code == 204


def _lead(owner, **fields):
    n = Lead.objects.count() + 1
    return lead_create(
        by=None,
        fields={
            "first_name": "Ion",
            "last_name": f"L{n}",
            "email": f"l{n}@example.com",
            "team": owner.team,
            **fields,
        },
        owner=owner,
    )


def test_lead_list_filters_the_report_links_to(world, client: Client, api_token):
    job = ImportJob.objects.create(original_name="list.csv", total_rows=3, team=world.north)
    mara = world.manager_north
    a = _lead(mara, campaign="Spring")
    b = _lead(mara, campaign="SPRING")
    c = _lead(mara)
    Lead.objects.filter(pk__in=[a.pk, b.pk]).update(import_job=job)
    Lead.objects.filter(pk=a.pk).update(status="qualified")
    Lead.objects.filter(pk=c.pk).update(status="converted")
    headers = api_token(world.admin)

    def count(params):
        response = Client().get("/api/v1/leads", params, headers=headers)
        assert response.status_code == 200, response.content
        return response.json()["count"]

    assert count({"import_job": job.pk}) == 2
    assert count({"campaign": "spring"}) == 2
    assert count({"status": "qualified_up"}) == 2
    login(client, world.admin)
    page = client.get("/leads/", {"import_job": job.pk})
    assert page.status_code == 200
    body = page.content.decode()
    assert a.last_name in body and b.last_name in body and c.last_name not in body
    assert f'name="import_job" value="{job.pk}"' in body
    # a bad value is ignored, never a 500
    assert client.get("/leads/", {"import_job": "abc"}).status_code == 200


def test_interest_list_narrows_to_a_reports_link(world, client: Client):
    from clientela.leads.models import Interest

    inside = Interest.objects.create(name="Inside", source="web_form", campaign="Spring", team=world.north)
    outside = Interest.objects.create(name="Outside", source="web_form", campaign="spring", team=world.north)
    Interest.objects.filter(pk=inside.pk).update(created_at=dt.datetime(2026, 3, 5, 9, tzinfo=dt.UTC))
    Interest.objects.filter(pk=outside.pk).update(created_at=dt.datetime(2026, 4, 5, 9, tzinfo=dt.UTC))
    login(client, world.head_north)
    page = client.get(
        "/interests/",
        {
            "campaign": "SPRING",
            "created_from": "2026-03-01",
            "created_to": "2026-03-31",
            "team": world.north.pk,
        },
    )
    body = page.content.decode()
    assert page.status_code == 200 and "Inside" in body and "Outside" not in body
    assert 'name="created_to" value="2026-03-31"' in body
    assert client.get("/interests/", {"created_from": "not a day"}).status_code == 200
