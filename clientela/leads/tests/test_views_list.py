"""The lead list page: scoping per role, filters, search, presets, HTMX, paging, bulk actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clientela.conftest import login
from clientela.core import lists
from clientela.core.models import AuditAction, AuditEntry
from clientela.leads.models import Lead, LeadEvent, RefusalReason
from clientela.leads.services.convert import lead_convert
from clientela.leads.services.lifecycle import lead_start_work
from clientela.leads.services.refuse import lead_refuse
from clientela.leads.tests.test_views_helpers import make_lead

LIST = "/leads/"


def page(client, url=LIST, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def ids_on(body: str) -> set[int]:
    """Lead ids linked from the rows of the list."""
    import re

    return {int(m) for m in re.findall(r'data-href="/leads/(\d+)/"', body)}


@pytest.fixture
def spread(world):
    """One lead in every scoping situation."""
    return {
        "own": make_lead(owner=world.manager_north, team=world.north),
        "colleague": make_lead(owner=world.manager_north2, team=world.north),
        "queue": make_lead(owner=None, team=world.north, unassigned=True),
        "south": make_lead(owner=world.manager_south, team=world.south),
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("manager", {"own", "queue"}),
        ("head", {"own", "colleague", "queue"}),
        ("marketer", {"own", "colleague", "queue"}),
        ("admin", {"own", "colleague", "queue", "south"}),
    ],
)
def test_list_shows_only_what_the_role_may_see(client, world, spread, role, expected):
    body = page(login(client, world.by_role(role)))
    assert ids_on(body) == {spread[name].pk for name in expected}


def test_manager_of_other_team_sees_none_of_north(client, world, spread):
    body = page(login(client, world.manager_south))
    assert ids_on(body) == {spread["south"].pk}


def test_search_is_case_accent_and_script_insensitive(client, world):
    cyrillic = make_lead(
        owner=world.manager_north, team=world.north, first_name="Алексей", last_name="Морозов"
    )
    accented = make_lead(
        owner=world.manager_north, team=world.north, first_name="Ștefan", last_name="Ionescu"
    )
    by_email = make_lead(owner=world.manager_north, team=world.north, email="zoltan.kiss@firma.hu")
    login(client, world.manager_north)
    assert ids_on(page(client, f"{LIST}?q=morozov")) == {cyrillic.pk}
    assert ids_on(page(client, f"{LIST}?q=STEFAN")) == {accented.pk}
    assert ids_on(page(client, f"{LIST}?q=kiss@firma")) == {by_email.pk}
    digits = by_email.phone[-6:]
    assert by_email.pk in ids_on(page(client, f"{LIST}?q={digits}"))


def test_filters_by_status_temperature_source_origin_campaign_owner(client, world):
    hot = make_lead(owner=world.manager_north, team=world.north, temperature="hot", campaign="spring")
    cold = make_lead(owner=world.manager_north, team=world.north, temperature="cold", source="referral")
    queued = make_lead(owner=None, team=world.north, unassigned=True)
    lead_start_work(by=world.manager_north, lead=cold)
    login(client, world.head_north)
    assert ids_on(page(client, f"{LIST}?temperature=hot")) == {hot.pk}
    assert ids_on(page(client, f"{LIST}?status=in_work")) == {cold.pk}
    assert ids_on(page(client, f"{LIST}?source=referral")) == {cold.pk}
    assert ids_on(page(client, f"{LIST}?origin=seed")) == {cold.pk}
    assert ids_on(page(client, f"{LIST}?campaign=spring")) == {hot.pk}
    assert ids_on(page(client, f"{LIST}?owner=none")) == {queued.pk}
    assert ids_on(page(client, f"{LIST}?owner={world.manager_north.pk}")) == {hot.pk, cold.pk}


def test_created_range_filter_and_invalid_dates(client, world):
    old = make_lead(owner=world.manager_north, team=world.north)
    new = make_lead(owner=world.manager_north, team=world.north)
    Lead.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    login(client, world.manager_north)
    since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    assert ids_on(page(client, f"{LIST}?created_from={since}")) == {new.pk}
    body = page(client, f"{LIST}?created_from=not-a-date")
    assert ids_on(body) == {old.pk, new.pk}, "an invalid filter is ignored"
    assert "Enter a valid date" in body
    body = page(client, f"{LIST}?created_from=2030-01-02&created_to=2030-01-01")
    assert "The end is before the start" in body


def test_presets_are_tabs_with_their_filters(client, world):
    mine = make_lead(owner=world.manager_north, team=world.north)
    hot = make_lead(owner=world.manager_north, team=world.north, temperature="hot")
    queued = make_lead(owner=None, team=world.north, unassigned=True)
    refused = make_lead(owner=world.manager_north, team=world.north)
    lead_refuse(by=world.manager_north, lead=refused, reason=RefusalReason.objects.get(code="price"))
    long_ago = make_lead(owner=world.manager_north, team=world.north)
    lead_refuse(by=world.manager_north, lead=long_ago, reason=RefusalReason.objects.get(code="price"))
    Lead.objects.filter(pk=long_ago.pk).update(status_changed_at=timezone.now() - dt.timedelta(days=90))
    login(client, world.manager_north)
    body = page(client)
    for label in ("My open leads", "Unassigned", "Hot", "Refused last month"):
        assert label in body
    assert ids_on(page(client, f"{LIST}?view=mine")) == {mine.pk, hot.pk}
    assert ids_on(page(client, f"{LIST}?view=unassigned")) == {queued.pk}
    assert ids_on(page(client, f"{LIST}?view=hot")) == {hot.pk}
    assert ids_on(page(client, f"{LIST}?view=refused_last_month")) == {refused.pk}
    # an explicit filter narrows a preset further
    assert ids_on(page(client, f"{LIST}?view=mine&temperature=hot")) == {hot.pk}


def test_htmx_gets_only_the_table(client, world):
    lead = make_lead(owner=world.manager_north, team=world.north, last_name="Zamfir")
    make_lead(owner=world.manager_north, team=world.north, last_name="Other")
    login(client, world.manager_north)
    response = client.get(f"{LIST}?q=zamfir", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body and "lead-filters" not in body
    assert ids_on(body) == {lead.pk}
    assert 'id="lead-count" hx-swap-oob="true">1<' in body
    assert "HX-Request" in response["Vary"]
    # the address bar keeps only the filters in use (a form posts every field, empty or not)
    response = client.get(f"{LIST}?q=zamfir&status=&owner=&page=1", headers={"HX-Request": "true"})
    assert response["HX-Push-Url"] == "/leads/?q=zamfir"


def test_search_box_is_instant(client, world):
    body = page(login(client, world.manager_north))
    assert 'hx-trigger="input changed delay:250ms' in body
    assert "data-search-shortcut" in body


def test_sorting_by_score_and_name(client, world):
    low = make_lead(owner=world.manager_north, team=world.north, last_name="Aaron")
    high = make_lead(owner=world.manager_north, team=world.north, last_name="Zed", temperature="hot")
    assert high.score > low.score
    login(client, world.manager_north)
    body = page(client, f"{LIST}?sort=-score")
    assert body.index(f'data-href="/leads/{high.pk}/"') < body.index(f'data-href="/leads/{low.pk}/"')
    body = page(client, f"{LIST}?sort=name")
    assert body.index(f'data-href="/leads/{low.pk}/"') < body.index(f'data-href="/leads/{high.pk}/"')
    assert "?sort=-name" in body, "the active column's link reverses the order"
    body = page(client, f"{LIST}?sort=drop+table")
    assert ids_on(body) == {low.pk, high.pk}


def test_counts_stop_at_the_bound_and_pages_continue(client, world, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_BOUND", 4)
    monkeypatch.setattr(lists, "PAGE_SIZE", 3)
    leads = [make_lead(owner=world.manager_north, team=world.north) for _ in range(6)]
    login(client, world.manager_north)
    body = page(client)
    assert "4+" in body
    assert len(ids_on(body)) == 3
    assert "page=2" in body
    second = page(client, f"{LIST}?page=2")
    assert len(ids_on(second)) == 3
    assert ids_on(body) | ids_on(second) == {lead.pk for lead in leads}
    assert ids_on(page(client, f"{LIST}?page=abc")) == ids_on(body)


def test_empty_states_say_what_to_do(client, world):
    login(client, world.manager_north)
    body = page(client)
    assert "No leads yet" in body and "/leads/new/" in body
    make_lead(owner=world.manager_north, team=world.north)
    body = page(client, f"{LIST}?q=nobody-called-this")
    assert "No leads match" in body


def test_list_query_count_is_constant(client, world, django_assert_max_num_queries):
    login(client, world.head_north)
    for _ in range(5):
        make_lead(owner=world.manager_north, team=world.north, temperature="warm")
    with CaptureQueriesContext(connection) as few:
        page(client)
    for index in range(25):
        make_lead(
            owner=world.manager_north2 if index % 2 else None,
            team=world.north,
            unassigned=index % 2 == 0,
        )
    with django_assert_max_num_queries(12):
        body = page(client)
    assert len(ids_on(body)) == 30
    with CaptureQueriesContext(connection) as many:
        page(client)
    assert len(many) == len(few), "queries per page must not grow with the rows"


# --- bulk actions ---------------------------------------------------------------------------


def bulk(client, **data):
    return client.post("/leads/bulk/", data)


def test_head_bulk_assigns_in_one_audited_batch(client, world):
    leads = [make_lead(owner=world.manager_north, team=world.north) for _ in range(3)]
    login(client, world.head_north)
    response = bulk(
        client,
        action="assign",
        ids=[lead.pk for lead in leads],
        owner=world.manager_north2.pk,
        next="/leads/?view=mine",
    )
    assert response.status_code == 302
    assert response["Location"] == "/leads/?view=mine"
    assert set(Lead.objects.filter(pk__in=[lead.pk for lead in leads]).values_list("owner", flat=True)) == {
        world.manager_north2.pk
    }
    entry = AuditEntry.objects.get(action=AuditAction.BULK, event="bulk_assign")
    assert entry.actor == world.head_north
    assert sorted(entry.changes["leads"]) == sorted(lead.pk for lead in leads)
    assert entry.changes["owner"] == world.manager_north2.pk
    assert LeadEvent.objects.filter(lead__in=leads, kind="assigned", actor=world.head_north).count() == 3


def test_head_bulk_assigns_to_the_team_queue(client, world):
    lead = make_lead(owner=world.manager_north, team=world.north)
    login(client, world.head_north)
    bulk(client, action="assign", ids=[lead.pk], owner="")
    lead.refresh_from_db()
    assert lead.owner == world.manager_north, "no owner chosen: nothing happens"
    bulk(client, action="assign", ids=[lead.pk], owner="queue")
    lead.refresh_from_db()
    assert lead.owner is None


@pytest.mark.parametrize("role", ["manager", "marketer"])
def test_bulk_assign_is_refused_to_managers_and_marketers(client, world, role):
    lead = make_lead(owner=world.manager_north, team=world.north)
    login(client, world.by_role(role))
    response = bulk(client, action="assign", ids=[lead.pk], owner=world.manager_north2.pk)
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.owner == world.manager_north
    assert not AuditEntry.objects.filter(action=AuditAction.BULK).exists()


def test_manager_bulk_refuses_own_leads(client, world):
    leads = [make_lead(owner=world.manager_north, team=world.north) for _ in range(2)]
    reason = RefusalReason.objects.get(code="no_budget")
    login(client, world.manager_north)
    response = bulk(client, action="refuse", ids=[lead.pk for lead in leads], reason=reason.pk, note="fair")
    assert response.status_code == 302
    for lead in leads:
        lead.refresh_from_db()
        assert (lead.status, lead.refusal_reason, lead.refusal_note) == ("refused", reason, "fair")
    entry = AuditEntry.objects.get(action=AuditAction.BULK, event="bulk_refuse")
    assert entry.changes["reason"] == "no_budget"
    assert "2 leads refused" in page(client)


def test_bulk_refuse_is_all_or_nothing(client, world):
    good = make_lead(owner=world.manager_north, team=world.north)
    converted = make_lead(owner=world.manager_north, team=world.north)
    lead_convert(by=world.manager_north, lead=converted, client_name="Acme")
    login(client, world.manager_north)
    response = bulk(
        client, action="refuse", ids=[good.pk, converted.pk], reason=RefusalReason.objects.first().pk
    )
    assert response.status_code == 302
    good.refresh_from_db()
    assert good.status == "new"
    assert not AuditEntry.objects.filter(action=AuditAction.BULK).exists()
    assert "Nothing changed" in page(client)


def test_bulk_refuse_ignores_nothing_silently(client, world):
    """A lead the user cannot see in the selection stops the whole batch."""
    own = make_lead(owner=world.manager_north, team=world.north)
    foreign = make_lead(owner=world.manager_south, team=world.south)
    login(client, world.manager_north)
    bulk(client, action="refuse", ids=[own.pk, foreign.pk], reason=RefusalReason.objects.first().pk)
    own.refresh_from_db()
    foreign.refresh_from_db()
    assert own.status == foreign.status == "new"
    assert "nothing changed" in page(client)


def test_bulk_refuse_needs_a_reason_and_a_selection(client, world):
    lead = make_lead(owner=world.manager_north, team=world.north)
    login(client, world.manager_north)
    bulk(client, action="refuse", ids=[lead.pk])
    assert "Choose a reason" in page(client)
    bulk(client, action="refuse", reason=RefusalReason.objects.first().pk)
    assert "Select at least one lead" in page(client)
    lead.refresh_from_db()
    assert lead.status == "new"


def test_marketer_sees_but_cannot_bulk_refuse(client, world):
    """Marketers see their team's leads but do not work them: 403 and nothing changed."""
    lead = make_lead(owner=world.manager_north2, team=world.north)
    login(client, world.marketer_north)
    response = bulk(client, action="refuse", ids=[lead.pk], reason=RefusalReason.objects.first().pk)
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.status == "new"


def test_unsafe_next_is_ignored(client, world):
    lead = make_lead(owner=world.manager_north, team=world.north)
    login(client, world.head_north)
    response = bulk(client, action="assign", ids=[lead.pk], owner="queue", next="https://evil.example/")
    assert response["Location"] == "/leads/"


# --- saved views and navigation --------------------------------------------------------------


def test_save_and_remove_a_view(client, world):
    login(client, world.manager_north)
    response = client.post(
        "/leads/views/save/", {"name": "Hot from fairs", "query": "?temperature=hot&source=exhibition"}
    )
    assert response["Location"] == "/leads/?temperature=hot&source=exhibition"
    body = page(client)
    assert "Hot from fairs" in body and 'href="/leads/?temperature=hot&amp;source=exhibition"' in body
    client.post("/leads/views/delete/", {"name": "Hot from fairs"})
    assert "Hot from fairs</a>" not in page(client)


def test_navigation_has_leads_and_interests(client, world):
    body = page(login(client, world.manager_north))
    assert 'href="/leads/"' in body and 'href="/interests/"' in body


def test_navigation_skips_entries_whose_url_does_not_exist(rf, world, monkeypatch):
    from clientela.core import context_processors

    monkeypatch.setattr(
        context_processors,
        "NAVIGATION",
        [("leads:list", "Leads", "ti-x", None), ("nowhere:index", "Nowhere", "ti-x", None)],
    )
    request = rf.get("/leads/")
    request.user = world.admin
    items = context_processors.navigation(request)["nav_items"]
    assert [item["url"] for item in items] == ["/leads/"]
    assert items[0]["active"]


def test_saved_views_follow_the_person_across_sessions_and_stay_private(client, world):
    login(client, world.manager_north)
    client.post("/leads/views/save/", {"name": "Mine hot", "query": "?owner=me&temperature=hot"})
    client.logout()
    assert "Mine hot" in page(login(client, world.manager_north)), "kept after signing out"
    client.logout()
    assert "Mine hot" not in page(login(client, world.manager_north2)), "another person's views are theirs"


def test_saved_views_keep_the_newest_twelve(client, world):
    login(client, world.manager_north)
    for number in range(14):
        client.post("/leads/views/save/", {"name": f"View {number:02d}", "query": f"?campaign=c{number}"})
    body = page(client)
    assert "View 00</a>" not in body and "View 01</a>" not in body
    assert "View 02</a>" in body and "View 13</a>" in body
