"""One declaration per list (`core.listspec`): the page's form, the API's query schema and the
queryset come from it and agree; an unknown filter value is a field error in both doors."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from clientela.clients.lists import CLIENTS, CONTACTS
from clientela.clients.tests.factories import make_client
from clientela.conftest import login
from clientela.core.listspec import DateRange, ListSpec, Owner
from clientela.deals.lists import DEALS
from clientela.leads.lists import LEADS
from clientela.leads.models import Lead
from clientela.leads.tests.test_views_helpers import make_lead

SPECS = [LEADS, CLIENTS, CONTACTS, DEALS]


def read(spec: ListSpec, user, query: str = ""):
    request = RequestFactory().get("/list/?" + query)
    request.user = user
    return spec.read(request)


def schema_params(spec: ListSpec) -> set[str]:
    return set(spec.query_schema(f"{spec.name}Q").model_fields) - {"limit", "offset"}


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_form_schema_and_values_come_from_one_declaration(spec):
    form_fields = set(spec.form_class.base_fields)
    api_params = schema_params(spec)
    for item in spec.filters:
        names = set(item.api_fields()) if item.api else set()
        assert names <= api_params, f"{item.name} missing from the API"
        if item.page:
            assert set(item.form_fields()) <= form_fields, f"{item.name} missing from the page"
    # Every API parameter is a value the queryset reads (the page's `owner=me` and the API's
    # `owner=<id>` are one value), and both doors order by the same keys.
    assert api_params - {"ordering"} <= set(spec.defaults)
    assert set(spec.form_class.base_fields) == set(spec.page_params)
    assert spec.default_ordering in spec.orderings
    assert set(spec.sortable.values()) <= set(spec.orderings)


def test_the_page_and_the_api_give_the_same_values_and_rows(world):
    query = "status=open&temperature=hot&source=web_form&campaign=spring&created_from=2020-01-01"
    on_page = read(LEADS, world.head_north, query + f"&owner={world.manager_north.pk}&sort=name").values
    schema = LEADS.query_schema("LeadQueryTest")
    in_api = schema(
        status="open",
        temperature="hot",
        source="web_form",
        campaign=" spring ",
        created_from="2020-01-01",
        owner=world.manager_north.pk,
        ordering="name",
    ).values()
    assert on_page.used() == in_api.used() and on_page.ordering == in_api.ordering == "name"
    hot = make_lead(owner=world.manager_north, team=world.north, temperature="hot", campaign="spring")
    make_lead(owner=world.manager_north, team=world.north, temperature="cold", campaign="spring")
    for values in (on_page, in_api):
        assert list(LEADS.queryset(world.head_north, values)) == [hot]


def test_me_and_the_team_queue_are_the_viewers_on_the_page(world):
    mine = read(LEADS, world.manager_north, "owner=me").values
    assert mine.owner == world.manager_north.pk and not mine.unassigned
    queue = read(LEADS, world.head_north, "owner=none").values
    assert queue.owner is None and queue.unassigned


def test_an_unknown_value_on_the_page_is_shown_and_ignored(world):
    state = read(
        LEADS,
        world.head_north,
        "status=bogus&owner=999999&sort=zzz&created_from=2021-02-01&created_to=2021-01-01",
    )
    assert set(state.form.errors) == {"status", "owner", "created_to"}
    assert state.values.status == "" and state.values.owner is None and state.sort == "-created"
    state = read(CLIENTS, world.head_north, "country=ROM&kind=nope")
    assert set(state.form.errors) == {"country", "kind"} and state.values.country == ""
    state = read(DEALS, world.head_north, "pipeline=abc&attention=bogus")
    assert set(state.form.errors) == {"pipeline", "attention"}
    assert state.values.pipeline is None and not state.values.next_step_overdue


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/leads?status=bogus", "status"),
        ("/api/v1/leads?ordering=zz", "ordering"),
        ("/api/v1/leads?created_from=yesterday", "created_from"),
        ("/api/v1/clients?country=ROM", "country"),
        ("/api/v1/clients?structure=tower", "structure"),
        ("/api/v1/contacts?role=zz", "role"),
        ("/api/v1/contacts?consent=perhaps", "consent"),
        ("/api/v1/deals?status=zz", "status"),
        ("/api/v1/deals?pipeline=abc", "pipeline"),
    ],
)
def test_an_unknown_value_in_the_api_is_a_field_error(client, world, path, field):
    login(client, world.admin)
    response = client.get(path)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]


@pytest.mark.parametrize(
    ("path", "field"), [("/leads/?status=bogus", "status"), ("/deals/?pipeline=x", "pipeline")]
)
def test_an_unknown_value_on_a_page_is_no_500(client, world, path, field):
    login(client, world.admin)
    response = client.get(path)
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()


def test_values_know_only_the_declared_filters():
    with pytest.raises(TypeError):
        LEADS.values(colour="red")
    values = CLIENTS.values(q="vektor", status="new")
    assert values.replace(q="").used() == {"status": "new"}
    assert CLIENTS.values().ordering == "name"


def test_a_preset_brings_its_filters_sort_and_narrowing(world):
    state = read(LEADS, world.manager_north, "view=refused_last_month")
    assert state.preset is not None and state.values.status == "refused" and state.sort == "-last_touch"
    assert state.filtering
    old = make_lead(owner=world.manager_north, team=world.north)
    Lead.objects.filter(pk=old.pk).update(status="refused")
    assert old.pk in set(LEADS.queryset(world.manager_north, state.values).values_list("pk", flat=True))
    assert not state.narrow(LEADS.queryset(world.manager_north, state.values)).filter(pk=old.pk).exists()
    # The URL's own value wins over the preset's.
    assert read(LEADS, world.manager_north, "view=mine&status=new").values.status == "new"


def test_orderings_a_viewer_may_not_use_fall_back_to_the_default(world):
    assert read(DEALS, world.marketer_north, "sort=-amount").sort == "-created"
    assert read(DEALS, world.head_north, "sort=-amount").sort == "-amount"


def test_the_scope_parts_count_what_the_queryset_lists(world):
    for owner in (world.manager_north, world.manager_north2, None):
        make_client(owner, team=world.north)
    make_client(world.manager_south)
    for viewer in (world.manager_north, world.head_north, world.admin):
        values = CLIENTS.values()
        listed = CLIENTS.queryset(viewer, values).count()
        assert sum(part.count() for part in CLIENTS.count_parts(viewer, values)) == listed


def test_filter_kinds_name_their_parameters():
    owner = Owner(unassigned="none")
    assert set(owner.api_fields()) == {"owner", "unassigned"}
    assert set(Owner().api_fields()) == {"owner"}
    assert set(DateRange("created", field="created_at").api_fields()) == {"created_from", "created_to"}
