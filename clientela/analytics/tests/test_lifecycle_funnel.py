"""The lifecycle funnel (interest → lead → qualified → client) and `Lead.qualified_at` behind it:
counts made by hand on known leads, each role's scope, the reader's days, the comparison, the
links to the lists (which show the same records), the API and bad filters."""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
from decimal import Decimal

import pytest
from django.apps import apps
from django.test import Client

from clientela.analytics.engine import REPORTS, run
from clientela.conftest import login
from clientela.core.errors import BusinessError
from clientela.leads.choices import LeadEventKind, LeadStatus, QualificationItem
from clientela.leads.models import Interest, Lead, LeadEvent
from clientela.leads.services.convert import lead_convert
from clientela.leads.services.lifecycle import lead_create, lead_qualify, set_status
from clientela.leads.services.merge import lead_merge

_seq = itertools.count(1)
UTC = dt.UTC
MARCH = {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}
ALL_YES = dict.fromkeys(QualificationItem.values, True)
ALL_NO = dict.fromkeys(QualificationItem.values, False)


def _lead(owner, source, at, **fields):
    n = next(_seq)
    lead = lead_create(
        by=None,
        fields={
            "first_name": "Ana",
            "last_name": f"Funnel{n}",
            "email": f"funnel{n}@example.com",
            "team": owner.team,
            "source": source,
            "company_name": f"Firma {n}",
            **fields,
        },
        owner=owner,
    )
    Lead.objects.filter(pk=lead.pk).update(created_at=at)
    lead.refresh_from_db()
    return lead


def _interest(team, source, at, upgraded_to=None):
    interest = Interest.objects.create(name="Someone", source=source, team=team, upgraded_to=upgraded_to)
    Interest.objects.filter(pk=interest.pk).update(created_at=at)
    return interest


@pytest.fixture
def march(world):
    """By hand, March 2026 (UTC):

    North — Mara: L1 web form (qualified, then converted), L2 web form (qualified), L3 cold call
    (converted straight away), L4 cold call (in work), L5 web form on 31 March 23:30 (new);
    L6 web form on 28 February (qualified: the previous month). Nelu: L7 referral (qualified,
    then back in work: still counted as qualified). L9 (Mara, web form) merged into L1: left out.
    South — Sándor: L8 web form (converted).
    Interests: North web form on 3 March (upgraded, to L2) and 4 March; South web form 6 March.
    """
    mara, nelu, sandor = world.manager_north, world.manager_north2, world.manager_south
    leads = {
        "L1": _lead(mara, "web_form", dt.datetime(2026, 3, 5, 9, tzinfo=UTC)),
        "L2": _lead(mara, "web_form", dt.datetime(2026, 3, 10, 9, tzinfo=UTC)),
        "L3": _lead(mara, "cold_call", dt.datetime(2026, 3, 12, 9, tzinfo=UTC)),
        "L4": _lead(mara, "cold_call", dt.datetime(2026, 3, 20, 9, tzinfo=UTC)),
        "L5": _lead(mara, "web_form", dt.datetime(2026, 3, 31, 23, 30, tzinfo=UTC)),
        "L6": _lead(mara, "web_form", dt.datetime(2026, 2, 28, 12, tzinfo=UTC)),
        "L7": _lead(nelu, "referral", dt.datetime(2026, 3, 15, 9, tzinfo=UTC)),
        "L8": _lead(sandor, "web_form", dt.datetime(2026, 3, 8, 9, tzinfo=UTC)),
        "L9": _lead(mara, "web_form", dt.datetime(2026, 3, 7, 9, tzinfo=UTC)),
    }
    lead_qualify(by=mara, lead=leads["L1"], answers=ALL_YES)
    lead_convert(by=mara, lead=leads["L1"], client_name="Client One")
    lead_qualify(by=mara, lead=leads["L2"], answers=ALL_YES)
    lead_convert(by=mara, lead=leads["L3"], client_name="Client Three")
    set_status(leads["L4"], LeadStatus.IN_WORK, mara)
    lead_qualify(by=mara, lead=leads["L6"], answers=ALL_YES)
    lead_qualify(by=nelu, lead=leads["L7"], answers=ALL_YES)
    lead_qualify(by=nelu, lead=leads["L7"], answers=ALL_NO)
    lead_convert(by=sandor, lead=leads["L8"], client_name="Client Eight")
    lead_merge(by=mara, target=leads["L4"], other=leads["L9"])
    _interest(world.north, "web_form", dt.datetime(2026, 3, 3, 9, tzinfo=UTC), upgraded_to=leads["L2"])
    _interest(world.north, "web_form", dt.datetime(2026, 3, 4, 9, tzinfo=UTC))
    _interest(world.south, "web_form", dt.datetime(2026, 3, 6, 9, tzinfo=UTC))
    world.leads = {k: Lead.objects.get(pk=v.pk) for k, v in leads.items()}
    return world


def _steps(user, data=MARCH) -> dict[str, dict]:
    figure = run(REPORTS["lifecycle-funnel"], user, data).figures[0]
    return {str(row["step"]): row for row in figure.rows}


def _counts(user, data=MARCH) -> tuple[int, ...]:
    steps = _steps(user, data)
    return tuple(steps[name]["count"] for name in ("Interests", "Leads", "Qualified", "Clients"))


# qualified_at --------------------------------------------------------------------------------


def test_qualified_at_is_the_first_qualification_and_a_direct_conversion_counts(march):
    leads = march.leads
    assert leads["L1"].qualified_at is not None and leads["L1"].qualified_at < leads["L1"].converted_at
    assert leads["L3"].qualified_at == leads["L3"].converted_at  # never passed through "qualified"
    assert leads["L7"].status == LeadStatus.IN_WORK and leads["L7"].qualified_at is not None
    assert leads["L4"].qualified_at is None and leads["L5"].qualified_at is None
    first = leads["L7"].qualified_at
    lead_qualify(by=march.manager_north2, lead=leads["L7"], answers=ALL_YES)
    leads["L7"].refresh_from_db()
    assert leads["L7"].qualified_at == first  # the first time is kept


def test_a_merge_keeps_the_earlier_qualification(march):
    mara = march.manager_north
    target = _lead(mara, "web_form", dt.datetime(2026, 3, 2, tzinfo=UTC))
    other = _lead(mara, "web_form", dt.datetime(2026, 3, 2, tzinfo=UTC))
    lead_qualify(by=mara, lead=other, answers=ALL_YES)
    other.refresh_from_db()
    lead_merge(by=mara, target=target, other=other)
    target.refresh_from_db()
    assert target.qualified_at == other.qualified_at


def test_the_migration_backfills_from_the_timeline(march):
    leads = march.leads
    migration = importlib.import_module("clientela.leads.migrations.0010_lead_qualified_at")
    # L2's status line into "qualified" at a known moment; L3 converted without such a line.
    moment = dt.datetime(2026, 3, 11, 8, tzinfo=UTC)
    LeadEvent.objects.filter(lead=leads["L2"], kind=LeadEventKind.STATUS, data__new="qualified").update(
        at=moment
    )
    LeadEvent.objects.filter(lead=leads["L3"]).delete()
    Lead.objects.update(qualified_at=None)
    migration.backfill(apps, None)
    after = {key: Lead.objects.get(pk=lead.pk) for key, lead in leads.items()}
    assert after["L2"].qualified_at == moment
    assert after["L3"].qualified_at == after["L3"].converted_at
    assert after["L7"].qualified_at is not None  # went back to work: qualified once all the same
    assert after["L1"].qualified_at is not None and after["L1"].qualified_at <= after["L1"].converted_at
    assert after["L4"].qualified_at is None and after["L5"].qualified_at is None


# The funnel ----------------------------------------------------------------------------------


def test_admin_funnel_by_hand(march):
    # Interests 3 (1 upgraded); leads L1 L2 L3 L4 L5 L7 L8 = 7 (L6 February, L9 merged);
    # qualified L1 L2 L3 L7 L8 = 5; clients L1 L3 L8 = 3.
    steps = _steps(march.admin)
    assert _counts(march.admin) == (3, 7, 5, 3)
    assert steps["Interests"]["moved_on"] == 1 and steps["Interests"]["conversion"] == Decimal("33.3")
    assert steps["Leads"]["conversion"] == Decimal("71.4")  # 5 of 7
    assert steps["Qualified"]["conversion"] == Decimal("60.0")  # 3 of 5
    assert steps["Clients"]["of_leads"] == Decimal("42.9")  # 3 of 7


def test_each_role_sees_its_own_scope(march):
    assert _counts(march.head_north) == (2, 6, 4, 2)  # North: L1 L2 L3 L4 L5 L7
    # a manager's report is their own work: their leads; interests belong to nobody yet
    assert _counts(march.manager_north) == (0, 5, 3, 2)
    assert _counts(march.marketer_north) == (2, 6, 4, 2)  # marketers see their team's leads
    assert _counts(march.manager_south) == (0, 1, 1, 1)


def test_the_period_is_the_readers_days(march):
    # In Bucharest, 31 March 23:30 UTC is 1 April: L5 leaves March; 28 February 12:00 stays out.
    march.head_north.time_zone = "Europe/Bucharest"
    march.head_north.save(update_fields=["time_zone"])
    assert _counts(march.head_north) == (2, 5, 4, 2)
    april = {"period": "custom", "from": "2026-04-01", "to": "2026-04-30"}
    assert _counts(march.head_north, april) == (0, 1, 0, 0)


def test_comparison_with_the_previous_month(march):
    steps = _steps(march.head_north, {**MARCH, "compare": "previous"})
    assert steps["Leads"]["previous"] == 1 and steps["Qualified"]["previous"] == 1  # L6
    assert steps["Leads"]["change"] == Decimal("500.0")  # 6 against 1


def test_per_source_and_origin(march):
    result = run(REPORTS["lifecycle-funnel"], march.head_north, MARCH)
    by_source = {str(row["source"]): row for row in result.figures[1].rows}
    assert (by_source["Web form"]["interests"], by_source["Web form"]["upgraded"]) == (2, 1)
    assert (
        by_source["Web form"]["leads"],
        by_source["Web form"]["qualified"],
        by_source["Web form"]["clients"],
    ) == (
        3,
        2,
        1,
    )
    assert (by_source["Cold call"]["leads"], by_source["Cold call"]["clients"]) == (2, 1)
    assert by_source["Referral"]["qualified"] == 1 and by_source["Referral"]["client_rate"] == Decimal("0.0")
    assert result.figures[1].footer["leads"] == 6
    by_origin = {row["origin"]: row for row in result.figures[2].rows}
    assert {k: v["leads"] for k, v in by_origin.items()} == {
        "Net (inbound marketing)": 3,
        "Spear (outbound work)": 2,
        "Seed (word of mouth, referral)": 1,
        "Not set": 0,  # the interests, entered without an origin
    }
    assert by_origin["Not set"]["interests"] == 2


def test_a_source_filter_narrows_every_figure(march):
    assert _counts(march.admin, {**MARCH, "source": "cold_call"}) == (0, 2, 1, 1)
    assert _counts(march.admin, {**MARCH, "source": "web_form"})[0] == 3
    # a temperature filter: interests have none, so none is counted
    Lead.objects.filter(pk=march.leads["L1"].pk).update(temperature="hot")
    assert _counts(march.admin, {**MARCH, "temperature": "hot"}) == (0, 1, 1, 1)


def test_links_open_the_same_records(march, client: Client):
    login(client, march.head_north)
    figure = client.get("/reports/lifecycle-funnel/", MARCH).context["figures"][0]
    rows = {str(row["step"]): row for row in figure.rows}
    for step, status_count in (("Leads", 6), ("Qualified", 4), ("Clients", 2)):
        url = rows[step]["_links"]["count"]
        assert "created_from=2026-03-01" in url and "created_to=2026-03-31" in url
        page = client.get(url)
        assert page.status_code == 200
        assert page.context["pager"].count == status_count, step
    interests = client.get(rows["Interests"]["_links"]["count"])
    assert interests.status_code == 200 and len(interests.context["interests"]) == 2
    upgraded = client.get(rows["Interests"]["_links"]["moved_on"])
    assert len(upgraded.context["interests"]) == 1


def test_api_and_bad_filters(march, api_token):
    response = Client().get(
        "/api/v1/reports/lifecycle-funnel", MARCH, headers=api_token(march.marketer_north)
    )
    assert response.status_code == 200
    rows = response.json()["figures"][0]["rows"]
    assert [row["count"] for row in rows] == [2, 6, 4, 2]
    bad = Client().get(
        "/api/v1/reports/lifecycle-funnel",
        {"source": "pigeon", "origin": "x"},
        headers=api_token(march.admin),
    )
    assert bad.status_code == 422 and {"source", "origin"} <= set(bad.json()["errors"])
    with pytest.raises(BusinessError):
        run(REPORTS["lifecycle-funnel"], march.manager_north, {"manager": march.manager_north2.pk})
