"""The leads API: scoped lists with filters, search and pagination; creation through the
pipeline; the card and edits; every lifecycle action; the history; interests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clientela.clients.models import Client, Contact
from clientela.core.audit import history_for
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.choices import LeadEventKind, LeadStatus
from clientela.leads.models import IdempotencyRecord, Interest, Lead

LEAD_KEYS = {
    "id",
    "first_name",
    "last_name",
    "full_name",
    "company_name",
    "position",
    "email",
    "phone",
    "phone_raw",
    "country",
    "city",
    "source",
    "origin",
    "campaign",
    "product",
    "status",
    "temperature",
    "temperature_reasons",
    "score",
    "score_factors",
    "qualification",
    "owner",
    "team",
    "client_id",
    "contact_id",
    "converted_at",
    "refusal_reason",
    "postponed_until",
    "created_at",
    "last_touch_at",
    "touch_count",
    "assignment_reason",
    "merged_into_id",
}


def make_lead(world, *, team=None, owner=None, **fields) -> Lead:
    ctx = IntakeContext(door="api", team=team or world.north, owner=owner, default_source="web_form")
    result = intake_submit(raw=RawLead(**fields), ctx=ctx)
    assert result.kind == "lead" and result.duplicate_of is None
    return Lead.objects.get(pk=result.id)


def make_interest(world, *, team=None, **fields) -> Interest:
    ctx = IntakeContext(door="api", team=team or world.north, default_source="web_form")
    result = intake_submit(raw=RawLead(**fields), ctx=ctx)
    assert result.kind == "interest"
    return Interest.objects.get(pk=result.id)


@pytest.fixture
def leads(world):
    """Three North leads of Mara (manager_north) and one South lead of Sándor."""
    return {
        "morozov": make_lead(
            world,
            owner=world.manager_north,
            name="Алексей Морозов",
            email="a.morozov@example.ru",
            company="ООО Альфа",
        ),
        "stefan": make_lead(
            world,
            owner=world.manager_north,
            first_name="Ștefan",
            last_name="Ionescu",
            phone="+40 721 123 456",
            source="webinar",
            campaign="may-webinar",
        ),
        "kiss": make_lead(
            world,
            owner=world.manager_north2,
            name="Kiss Anna",
            email="anna@kiss.hu",
            company="Kiss Kft",
            source="referral",
        ),
        "south": make_lead(
            world, team=world.south, owner=world.manager_south, name="Nagy Péter", phone="+36 30 123 4567"
        ),
    }


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def post(client, path, headers, data=None):
    return client.post(path, data=data or {}, content_type="application/json", headers=headers)


def patch(client, path, headers, data):
    return client.patch(path, data=data, content_type="application/json", headers=headers)


# --- List, filters, search, pagination ----------------------------------------------------------


def test_list_shape_and_item_fields(client, world, api_token, leads):
    body = client.get("/api/v1/leads", headers=api_token(world.head_north)).json()
    assert set(body) == {"count", "items"}
    assert body["count"] == 3
    item = next(i for i in body["items"] if i["id"] == leads["stefan"].pk)
    assert set(item) >= LEAD_KEYS
    assert item["full_name"] == "Ștefan Ionescu"
    assert (item["phone"], item["phone_raw"]) == ("+40721123456", "+40 721 123 456")
    assert item["owner"] == {"id": world.manager_north.pk, "name": str(world.manager_north)}
    assert item["team"] == {"id": world.north.pk, "name": "North"}
    assert item["status"] == "new" and isinstance(item["score_factors"], list)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=морозов", {"morozov"}),
        ("q=morozov", {"morozov"}),
        ("q=stefan", {"stefan"}),
        ("q=ȘTEFAN", {"stefan"}),
        ("q=721 123", {"stefan"}),
        ("q=0721123", {"stefan"}),
        ("q=kiss.hu", {"kiss"}),
        ("q=альфа", {"morozov"}),
        ("source=webinar", {"stefan"}),
        ("origin=seed", {"kiss"}),
        ("campaign=may-webinar", {"stefan"}),
        ("status=new", {"morozov", "stefan", "kiss"}),
        ("status=refused", set()),
        ("status=open", {"morozov", "stefan", "kiss"}),
        ("ordering=name&limit=500", {"morozov", "stefan", "kiss"}),
    ],
)
def test_filters_and_search(client, world, api_token, leads, query, expected):
    response = client.get(f"/api/v1/leads?{query}", headers=api_token(world.head_north))
    assert ids(response) == {leads[name].pk for name in expected}


def test_owner_team_and_unassigned_filters(client, world, api_token, leads):
    admin = api_token(world.admin)
    assert ids(client.get(f"/api/v1/leads?owner={world.manager_north2.pk}", headers=admin)) == {
        leads["kiss"].pk
    }
    assert ids(client.get(f"/api/v1/leads?team={world.south.pk}", headers=admin)) == {leads["south"].pk}
    Lead.objects.filter(pk=leads["kiss"].pk).update(owner=None)
    assert ids(client.get("/api/v1/leads?unassigned=true", headers=admin)) == {leads["kiss"].pk}


def test_created_range_and_temperature_filters(client, world, api_token, leads):
    old = timezone.now() - dt.timedelta(days=30)
    Lead.objects.filter(pk=leads["kiss"].pk).update(created_at=old, temperature="hot")
    headers = api_token(world.head_north)
    since = (timezone.now() - dt.timedelta(days=1)).date().isoformat()
    until = (old + dt.timedelta(days=1)).date().isoformat()
    assert leads["kiss"].pk not in ids(client.get(f"/api/v1/leads?created_from={since}", headers=headers))
    assert ids(client.get(f"/api/v1/leads?created_to={until}", headers=headers)) == {leads["kiss"].pk}
    assert ids(client.get("/api/v1/leads?temperature=hot", headers=headers)) == {leads["kiss"].pk}


def test_ordering_and_pagination(client, world, api_token, leads):
    headers = api_token(world.head_north)
    newest_first = client.get("/api/v1/leads?ordering=-created", headers=headers).json()["items"]
    assert [i["id"] for i in newest_first] == [leads["kiss"].pk, leads["stefan"].pk, leads["morozov"].pk]
    page = client.get("/api/v1/leads?ordering=created&limit=2&offset=1", headers=headers).json()
    assert page["count"] == 3
    assert [i["id"] for i in page["items"]] == [leads["stefan"].pk, leads["kiss"].pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=lost", "status"),
        ("temperature=boiling", "temperature"),
        ("source=billboard", "source"),
        ("ordering=-salary", "ordering"),
        ("limit=0", "limit"),
        ("created_from=yesterday", "created_from"),
    ],
)
def test_bad_filters_are_422_naming_the_field(client, world, api_token, query, field):
    response = client.get(f"/api/v1/leads?{query}", headers=api_token(world.admin))
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_list_runs_a_constant_number_of_queries(client, world, api_token, leads):
    headers = api_token(world.head_north)

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/leads?limit=100", headers=headers).status_code == 200
        return len(ctx.captured_queries)

    queries_for_list()  # the first call also records the token's last use
    few = queries_for_list()
    for i in range(20):
        lead = make_lead(
            world,
            owner=world.manager_north2 if i % 2 else world.manager_north,
            name=f"P {i}",
            email=f"p{i}@example.com",
        )
        if i % 3 == 0:
            post(client, f"/api/v1/leads/{lead.pk}/refuse", api_token(world.admin), {"reason": "price"})
    many = queries_for_list()
    assert many == few, f"{few} queries for 3 leads, {many} for 23"
    assert few <= 8


# --- Scoping ------------------------------------------------------------------------------------


def test_manager_of_another_team_sees_nothing_and_gets_404_everywhere(client, world, api_token, leads):
    headers = api_token(world.manager_south)
    assert ids(client.get("/api/v1/leads", headers=headers)) == {leads["south"].pk}
    assert ids(client.get("/api/v1/leads?q=morozov", headers=headers)) == set()
    pk = leads["morozov"].pk
    assert client.get(f"/api/v1/leads/{pk}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/leads/{pk}/history", headers=headers).status_code == 404
    assert patch(client, f"/api/v1/leads/{pk}", headers, {"city": "Cluj"}).status_code == 404
    for action, body in [
        ("assign", {"owner": world.manager_south.pk}),
        ("start", {}),
        ("qualify", {"answers": {"need": True}}),
        ("convert", {}),
        ("refuse", {"reason": "price"}),
        ("postpone", {"until": "2100-01-01"}),
        ("merge", {"other": leads["south"].pk}),
    ]:
        assert post(client, f"/api/v1/leads/{pk}/{action}", headers, body).status_code == 404, action
    lead = Lead.objects.get(pk=pk)
    assert (lead.status, lead.owner, lead.city) == ("new", world.manager_north, "")


def test_manager_sees_own_and_team_queue_but_not_colleagues(client, world, api_token, leads):
    Lead.objects.filter(pk=leads["kiss"].pk).update(owner=None)
    mine = ids(client.get("/api/v1/leads", headers=api_token(world.manager_north)))
    assert mine == {leads["morozov"].pk, leads["stefan"].pk, leads["kiss"].pk}
    colleague = ids(client.get("/api/v1/leads", headers=api_token(world.manager_north2)))
    assert colleague == {leads["kiss"].pk}


def test_marketer_reads_team_leads_but_takes_no_action(client, world, api_token, leads):
    headers = api_token(world.marketer_north)
    assert len(ids(client.get("/api/v1/leads", headers=headers))) == 3
    pk = leads["stefan"].pk
    assert client.get(f"/api/v1/leads/{pk}", headers=headers).status_code == 200
    assert patch(client, f"/api/v1/leads/{pk}", headers, {"city": "Cluj"}).status_code == 403
    for action, body in [
        ("assign", {"owner": world.manager_north2.pk}),
        ("start", {}),
        ("qualify", {"answers": {"need": True}}),
        ("convert", {}),
        ("refuse", {"reason": "price"}),
        ("postpone", {"until": "2100-01-01"}),
        ("merge", {"other": leads["morozov"].pk}),
    ]:
        response = post(client, f"/api/v1/leads/{pk}/{action}", headers, body)
        assert response.status_code == 403, (action, response.content)
        assert set(response.json()) == {"detail", "errors"}
    lead = Lead.objects.get(pk=pk)
    assert (lead.status, lead.owner, lead.city, lead.qualification) == ("new", world.manager_north, "", {})


def test_unauthenticated_is_401(client, leads):
    assert client.get("/api/v1/leads").status_code == 401
    assert client.post("/api/v1/leads", data={}, content_type="application/json").status_code == 401


# --- Create -------------------------------------------------------------------------------------


def test_create_goes_through_the_pipeline_in_my_team(client, world, api_token):
    response = post(
        client,
        "/api/v1/leads",
        api_token(world.manager_north),
        {
            "name": "Ion Popescu",
            "phone": "0722 000 111",
            "company": "Gamma SRL",
            "owner": world.manager_north.pk,
        },
    )
    assert response.status_code == 201, response.content
    lead = Lead.objects.get()
    assert response.json() == {"kind": "lead", "id": lead.pk, "duplicate_of": None}
    assert (lead.team, lead.owner, lead.phone, lead.created_by) == (
        world.north,
        world.manager_north,
        "+40722000111",
        world.manager_north,
    )
    assert lead.tasks.count() == 1


def test_create_dedups_and_classifies(client, world, api_token, leads):
    headers = api_token(world.head_north)
    duplicate = post(client, "/api/v1/leads", headers, {"name": "Stefan I.", "phone": "0040 721 123 456"})
    assert duplicate.json() == {"kind": "lead", "id": leads["stefan"].pk, "duplicate_of": leads["stefan"].pk}
    interest = post(client, "/api/v1/leads", headers, {"company": "Delta SA", "phone": "+40 21 000 0000"})
    assert interest.status_code == 201 and interest.json()["kind"] == "interest"
    assert Lead.objects.count() == 4


def test_create_is_idempotent_per_user(client, world, api_token):
    body = {"name": "Ion Popescu", "email": "ion@example.com", "idempotency_key": "crm-sync-1"}
    first = post(client, "/api/v1/leads", api_token(world.head_north), body)
    again = post(client, "/api/v1/leads", api_token(world.head_north), body)
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 1 and Lead.objects.get().touch_count == 1
    assert IdempotencyRecord.objects.get().scope == f"user:{world.head_north.pk}"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Ion", "email": "ion@"}, "email"),
        ({"name": "Ion", "phone": "12"}, "phone"),
        ({"name": "Ion", "email": "ion@example.com", "temperature": "boiling"}, "temperature"),
        ({"name": "Ion", "email": "ion@example.com", "origin": "air"}, "origin"),
        ({"name": ["Ion"], "email": "ion@example.com"}, "name"),
        ({}, "name"),
    ],
)
def test_create_bad_input_is_422_per_field(client, world, api_token, body, field):
    response = post(client, "/api/v1/leads", api_token(world.head_north), body)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert not Lead.objects.exists()


def test_create_team_and_owner_rules(client, world, api_token):
    manager = api_token(world.manager_north)
    other_team = post(
        client, "/api/v1/leads", manager, {"name": "A", "email": "a@example.com", "team": world.south.pk}
    )
    assert other_team.status_code == 422 and "team" in other_team.json()["errors"]
    colleague = post(
        client,
        "/api/v1/leads",
        manager,
        {"name": "A", "email": "a@example.com", "owner": world.manager_north2.pk},
    )
    assert colleague.status_code == 403
    head = api_token(world.head_north)
    south_owner = post(
        client,
        "/api/v1/leads",
        head,
        {"name": "A", "email": "a@example.com", "owner": world.manager_south.pk},
    )
    assert south_owner.status_code == 422 and "owner" in south_owner.json()["errors"]
    assert not Lead.objects.exists()
    ok = post(
        client,
        "/api/v1/leads",
        head,
        {"name": "A", "email": "a@example.com", "owner": world.manager_north2.pk},
    )
    assert ok.status_code == 201 and Lead.objects.get().owner == world.manager_north2


def test_admin_may_create_in_any_team(client, world, api_token):
    response = post(
        client,
        "/api/v1/leads",
        api_token(world.admin),
        {"name": "A", "phone": "30 123 4567", "team": world.south.pk},
    )
    assert response.status_code == 201
    assert Lead.objects.get().phone == "+36301234567", "South's default country is HU"


# --- Card and edits -----------------------------------------------------------------------------


def test_get_one_lead(client, world, api_token, leads):
    body = client.get(f"/api/v1/leads/{leads['morozov'].pk}", headers=api_token(world.manager_north)).json()
    assert (body["first_name"], body["last_name"], body["company_name"]) == (
        "Алексей",
        "Морозов",
        "ООО Альфа",
    )
    assert client.get("/api/v1/leads/999999", headers=api_token(world.admin)).status_code == 404


def test_patch_normalises_and_records_history(client, world, api_token, leads):
    pk = leads["morozov"].pk
    response = patch(
        client,
        f"/api/v1/leads/{pk}",
        api_token(world.manager_north),
        {"phone": "0721 999 888", "email": "  A.Morozov@Example.RU ", "city": "Cluj", "temperature": "hot"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["phone"], body["phone_raw"], body["email"]) == (
        "+40721999888",
        "0721 999 888",
        "a.morozov@example.ru",
    )
    assert (body["city"], body["temperature"]) == ("Cluj", "hot")
    lead = Lead.objects.get(pk=pk)
    assert lead.temperature_manual and "0721999888" in lead.search_text
    assert lead.events.filter(kind=LeadEventKind.EDITED).exists()
    assert history_for(lead).filter(action="update", actor=world.manager_north).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "nope@"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"country": "Romania"}, "country"),
        ({"source": "billboard"}, "source"),
        ({"temperature": "boiling"}, "temperature"),
        ({"first_name": "", "last_name": ""}, "first_name"),
        ({"email": ""}, "phone"),  # the Morozov lead has only an e-mail: removing it leaves no way to reach
        ({"city": "x" * 101}, "city"),
    ],
)
def test_patch_bad_values_are_422_and_change_nothing(client, world, api_token, leads, body, field):
    pk = leads["morozov"].pk
    response = patch(client, f"/api/v1/leads/{pk}", api_token(world.manager_north), body)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    lead = Lead.objects.get(pk=pk)
    assert (lead.email, lead.first_name, lead.city) == ("a.morozov@example.ru", "Алексей", "")


def test_patch_by_colleague_is_403(client, world, api_token, leads):
    # Kiss is Nelu's lead: Mara cannot see it (404); the head can change it.
    pk = leads["kiss"].pk
    assert (
        patch(client, f"/api/v1/leads/{pk}", api_token(world.manager_north), {"city": "Pécs"}).status_code
        == 404
    )
    assert (
        patch(client, f"/api/v1/leads/{pk}", api_token(world.head_north), {"city": "Pécs"}).status_code == 200
    )


# --- Actions ------------------------------------------------------------------------------------


def test_assign_and_its_bad_input(client, world, api_token, leads):
    pk = leads["stefan"].pk
    head = api_token(world.head_north)
    response = post(client, f"/api/v1/leads/{pk}/assign", head, {"owner": world.manager_north2.pk})
    assert response.status_code == 200
    assert response.json()["owner"]["id"] == world.manager_north2.pk
    assert Lead.objects.get(pk=pk).events.filter(kind=LeadEventKind.ASSIGNED).count() == 2
    unknown = post(client, f"/api/v1/leads/{pk}/assign", head, {"owner": 999999})
    assert unknown.status_code == 422 and "owner" in unknown.json()["errors"]
    by_manager = post(
        client,
        f"/api/v1/leads/{pk}/assign",
        api_token(world.manager_north2),
        {"owner": world.manager_north.pk},
    )
    assert by_manager.status_code == 403
    assert Lead.objects.get(pk=pk).owner == world.manager_north2


def test_assign_to_the_team_queue(client, world, api_token, leads):
    pk = leads["stefan"].pk
    response = post(client, f"/api/v1/leads/{pk}/assign", api_token(world.head_north), {"owner": None})
    assert response.status_code == 200 and response.json()["owner"] is None


def test_start_work(client, world, api_token, leads):
    pk = leads["stefan"].pk
    headers = api_token(world.manager_north)
    response = post(client, f"/api/v1/leads/{pk}/start", headers)
    assert response.status_code == 200 and response.json()["status"] == "in_work"
    again = post(client, f"/api/v1/leads/{pk}/start", headers)
    assert again.status_code == 409


def test_qualify(client, world, api_token, leads):
    pk = leads["stefan"].pk
    headers = api_token(world.manager_north)
    partial = post(
        client, f"/api/v1/leads/{pk}/qualify", headers, {"answers": {"need": True, "budget": True}}
    )
    assert partial.status_code == 200
    assert partial.json()["missing"] == ["authority", "timing"]
    assert partial.json()["lead"]["status"] == "new"
    full = post(
        client, f"/api/v1/leads/{pk}/qualify", headers, {"answers": {"authority": True, "timing": True}}
    )
    assert full.json()["missing"] == [] and full.json()["lead"]["status"] == "qualified"
    assert full.json()["lead"]["qualification"] == {
        "need": True,
        "budget": True,
        "authority": True,
        "timing": True,
    }
    bad = post(client, f"/api/v1/leads/{pk}/qualify", headers, {"answers": {"mood": True}})
    assert bad.status_code == 422 and "mood" in bad.json()["errors"]


def test_convert_keeps_the_link_both_ways(client, world, api_token, leads):
    pk = leads["kiss"].pk
    response = post(
        client,
        f"/api/v1/leads/{pk}/convert",
        api_token(world.head_north),
        {"client_owner": world.head_north.pk, "contact_role": "decision_maker"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    client_record = Client.objects.get()
    contact = Contact.objects.get()
    assert body["client_created"] is True
    assert body["client"] == {"id": client_record.pk, "name": "Kiss Kft"}
    assert (body["lead"]["status"], body["lead"]["client_id"], body["lead"]["contact_id"]) == (
        "converted",
        client_record.pk,
        contact.pk,
    )
    assert body["lead"]["converted_at"]
    assert list(client_record.source_leads.all()) == [Lead.objects.get(pk=pk)]
    assert (client_record.owner, contact.role) == (world.head_north, "decision_maker")
    again = post(client, f"/api/v1/leads/{pk}/convert", api_token(world.head_north), {})
    assert again.status_code == 409


def test_convert_to_an_existing_client_and_bad_input(client, world, api_token, leads):
    head = api_token(world.head_north)
    post(client, f"/api/v1/leads/{leads['kiss'].pk}/convert", head, {})
    known = Client.objects.get()
    hidden = Client.objects.create(name="Hidden", team=world.south, owner=world.manager_south)
    pk = leads["stefan"].pk
    invisible = post(client, f"/api/v1/leads/{pk}/convert", head, {"client_id": hidden.pk})
    assert invisible.status_code == 422 and "client_id" in invisible.json()["errors"]
    bad_role = post(client, f"/api/v1/leads/{pk}/convert", head, {"contact_role": "boss"})
    assert bad_role.status_code == 422 and "contact_role" in bad_role.json()["errors"]
    assert Lead.objects.get(pk=pk).status == "new"
    attached = post(client, f"/api/v1/leads/{pk}/convert", head, {"client_id": known.pk})
    assert attached.json()["client_created"] is False
    assert Client.objects.count() == 2 and known.contacts.count() == 2


def test_refuse_keeps_the_lead(client, world, api_token, leads):
    pk = leads["morozov"].pk
    headers = api_token(world.manager_north)
    response = post(client, f"/api/v1/leads/{pk}/refuse", headers, {"reason": "price", "note": "too dear"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["refusal_reason"]) == ("refused", "price")
    assert client.get("/api/v1/leads?status=refused&q=морозов", headers=headers).json()["count"] == 1


def test_refuse_bad_input(client, world, api_token, leads):
    pk = leads["stefan"].pk
    headers = api_token(world.manager_north)
    unknown = post(client, f"/api/v1/leads/{pk}/refuse", headers, {"reason": "astrology"})
    assert unknown.status_code == 422 and "reason" in unknown.json()["errors"]
    no_email = post(client, f"/api/v1/leads/{pk}/refuse", headers, {"reason": "price", "farewell": True})
    assert no_email.status_code == 422 and "farewell" in no_email.json()["errors"]
    past = post(
        client, f"/api/v1/leads/{pk}/refuse", headers, {"reason": "price", "postpone_until": "2000-01-01"}
    )
    assert past.status_code == 422 and "postpone_until" in past.json()["errors"]
    assert Lead.objects.get(pk=pk).status == "new"


def test_refuse_with_a_re_contact_date_postpones(client, world, api_token, leads):
    until = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    response = post(
        client,
        f"/api/v1/leads/{leads['stefan'].pk}/refuse",
        api_token(world.manager_north),
        {"reason": "timing", "postpone_until": until},
    )
    assert (response.json()["status"], response.json()["postponed_until"]) == ("postponed", until)


def test_postpone(client, world, api_token, leads):
    pk = leads["stefan"].pk
    headers = api_token(world.manager_north)
    until = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    response = post(
        client, f"/api/v1/leads/{pk}/postpone", headers, {"until": until, "note": "after holidays"}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["postponed_until"]) == ("postponed", until)
    today = post(client, f"/api/v1/leads/{pk}/postpone", headers, {"until": timezone.localdate().isoformat()})
    assert today.status_code == 422 and "until" in today.json()["errors"]
    missing = post(client, f"/api/v1/leads/{pk}/postpone", headers, {})
    assert missing.status_code == 422 and "until" in missing.json()["errors"]


def test_merge_keeps_both_histories(client, world, api_token, leads):
    other = make_lead(world, owner=world.manager_north, name="Alexei Morozov", phone="0733 111 222")
    target = leads["morozov"]
    other_events = set(other.events.values_list("pk", flat=True))
    response = post(
        client, f"/api/v1/leads/{target.pk}/merge", api_token(world.manager_north), {"other": other.pk}
    )
    assert response.status_code == 200, response.content
    assert response.json()["phone"] == "+40733111222", "empty fields filled from the other lead"
    other.refresh_from_db()
    assert other.merged_into_id == target.pk
    assert other_events <= set(target.events.values_list("pk", flat=True))
    history = client.get(
        f"/api/v1/leads/{target.pk}/history?limit=100", headers=api_token(world.manager_north)
    ).json()
    assert "merged" in {item["kind"] for item in history["items"]}
    assert other.pk not in ids(client.get("/api/v1/leads", headers=api_token(world.manager_north)))
    assert other.pk in ids(
        client.get("/api/v1/leads?include_merged=true", headers=api_token(world.manager_north))
    )


def test_merge_bad_input(client, world, api_token, leads):
    headers = api_token(world.manager_north)
    pk = leads["morozov"].pk
    itself = post(client, f"/api/v1/leads/{pk}/merge", headers, {"other": pk})
    assert itself.status_code == 422 and "other" in itself.json()["errors"]
    hidden = post(client, f"/api/v1/leads/{pk}/merge", headers, {"other": leads["south"].pk})
    assert hidden.status_code == 422 and "other" in hidden.json()["errors"]
    assert Lead.objects.get(pk=leads["south"].pk).merged_into_id is None


def test_candidates_find_the_transliterated_twin(client, world, api_token, leads):
    twin = make_lead(world, owner=world.manager_north, name="Aleksei Morozov", phone="0733 111 222")
    body = client.get(
        f"/api/v1/leads/{leads['morozov'].pk}/candidates", headers=api_token(world.manager_north)
    ).json()
    assert [item["id"] for item in body] == [twin.pk]


# --- History ------------------------------------------------------------------------------------


def test_history_is_newest_first_with_actors(client, world, api_token, leads):
    pk = leads["stefan"].pk
    headers = api_token(world.manager_north)
    post(client, f"/api/v1/leads/{pk}/start", headers)
    body = client.get(f"/api/v1/leads/{pk}/history", headers=headers).json()
    assert body["count"] == 3
    newest = body["items"][0]
    assert (newest["kind"], newest["data"]["new"]) == ("status", LeadStatus.IN_WORK)
    assert newest["actor"] == {"id": world.manager_north.pk, "name": str(world.manager_north)}
    assert newest["kind_label"] == "Status changed"
    assert body["items"][-1]["kind"] == "created"
    page = client.get(f"/api/v1/leads/{pk}/history?limit=1&offset=1", headers=headers).json()
    assert page["count"] == 3 and len(page["items"]) == 1


# --- Interests ----------------------------------------------------------------------------------


def test_interests_list_is_scoped_and_filtered(client, world, api_token):
    north = make_interest(world, company="Alpha SRL", phone="+40 21 555 1234")
    webinar = make_interest(world, name="Ion", source="webinar")
    make_interest(world, team=world.south, company="Beta Kft")
    body = client.get("/api/v1/interests", headers=api_token(world.marketer_north)).json()
    assert body["count"] == 2 and {i["id"] for i in body["items"]} == {north.pk, webinar.pk}
    item = next(i for i in body["items"] if i["id"] == north.pk)
    assert (item["company_name"], item["phone"], item["reason"]) == (
        "Alpha SRL",
        "+40215551234",
        "no person's name",
    )
    assert ids(client.get("/api/v1/interests?source=webinar", headers=api_token(world.head_north))) == {
        webinar.pk
    }
    assert ids(client.get("/api/v1/interests?q=alpha", headers=api_token(world.head_north))) == {north.pk}
    assert ids(client.get("/api/v1/interests", headers=api_token(world.manager_south))) == {
        Interest.objects.get(team=world.south).pk
    }


def test_interest_upgrade(client, world, api_token):
    interest = make_interest(world, company="Alpha SRL", phone="+40 21 555 1234", campaign="expo")
    headers = api_token(world.manager_north)
    response = post(
        client,
        f"/api/v1/interests/{interest.pk}/upgrade",
        headers,
        {"name": "Dana Radu", "email": "Dana@Alpha.ro"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["full_name"], body["email"], body["company_name"], body["campaign"]) == (
        "Dana Radu",
        "dana@alpha.ro",
        "Alpha SRL",
        "expo",
    )
    interest.refresh_from_db()
    assert interest.upgraded_to_id == body["id"]
    assert ids(client.get("/api/v1/interests?upgraded=true", headers=headers)) == {interest.pk}
    again = post(client, f"/api/v1/interests/{interest.pk}/upgrade", headers, {"name": "Dana Radu"})
    assert again.status_code == 409


def test_interest_upgrade_bad_input_and_permissions(client, world, api_token, leads):
    interest = make_interest(world, company="Alpha SRL")
    headers = api_token(world.manager_north)
    no_name = post(client, f"/api/v1/interests/{interest.pk}/upgrade", headers, {"email": "x@alpha.ro"})
    assert no_name.status_code == 422 and "first_name" in no_name.json()["errors"]
    bad_phone = post(
        client, f"/api/v1/interests/{interest.pk}/upgrade", headers, {"name": "Dana", "phone": "12"}
    )
    assert bad_phone.status_code == 422 and "phone" in bad_phone.json()["errors"]
    known = post(
        client, f"/api/v1/interests/{interest.pk}/upgrade", headers, {"name": "Dana", "email": "anna@kiss.hu"}
    )
    assert known.status_code == 409 and "email" in known.json()["errors"], "an existing lead's e-mail"
    marketer = post(
        client,
        f"/api/v1/interests/{interest.pk}/upgrade",
        api_token(world.marketer_north),
        {"name": "D", "email": "d@a.ro"},
    )
    assert marketer.status_code == 403
    south = post(
        client,
        f"/api/v1/interests/{interest.pk}/upgrade",
        api_token(world.manager_south),
        {"name": "D", "email": "d@a.ro"},
    )
    assert south.status_code == 404
    interest.refresh_from_db()
    assert interest.upgraded_to_id is None and Lead.objects.count() == 4


def test_openapi_lists_the_lead_doors(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in [
        "/api/v1/leads",
        "/api/v1/leads/{lead_id}",
        "/api/v1/leads/{lead_id}/assign",
        "/api/v1/leads/{lead_id}/qualify",
        "/api/v1/leads/{lead_id}/convert",
        "/api/v1/leads/{lead_id}/refuse",
        "/api/v1/leads/{lead_id}/postpone",
        "/api/v1/leads/{lead_id}/merge",
        "/api/v1/leads/{lead_id}/history",
        "/api/v1/interests",
        "/api/v1/interests/{interest_id}/upgrade",
    ]:
        assert path in paths, path
