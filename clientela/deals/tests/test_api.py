"""The deals API: scoped lists with filters and pagination, creation, optimistic locking (409),
the won/lost rules (422, nothing written), lines, pipelines, products, proposals with their
PDF, payments and receivables — and marketers never see amounts."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from clientela.deals.catalogue import services as catalogue_services
from clientela.deals.models import Deal, DealStageChange, Document, Objection, Payment, Pipeline, Product
from clientela.deals.tests.conftest import stage

pytestmark = pytest.mark.urls("clientela.deals.tests.urls")


def post(client, path, headers, data=None):
    return client.post(path, data=data or {}, content_type="application/json", headers=headers)


def patch(client, path, headers, data):
    return client.patch(path, data=data, content_type="application/json", headers=headers)


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


@pytest.fixture
def deals(world, make_deal, clients, products):
    """Two of Mara's (one with lines), one of Nelu's, one South deal of Sándor."""
    mine = make_deal(title="Audit Cluj", amount="0")
    catalogue_services.line_add(by=world.manager_north, deal=mine, product=products["audit"], quantity="2")
    return {
        "mine": Deal.objects.get(pk=mine.pk),
        "other": make_deal(title="Licences", amount="500", pipeline_code="direct"),
        "nelu": make_deal(owner=world.manager_north2, client=clients["north2"], title="Kovács pilot"),
        "south": make_deal(owner=world.manager_south, client=clients["south"], title="Морозов"),
    }


# --- lists and reads -----------------------------------------------------------------------------


def test_list_shape_and_scoping_per_role(client, world, api_token, deals):
    response = client.get("/api/v1/deals", headers=api_token(world.manager_north))
    body = response.json()
    assert set(body) == {"count", "items"} and body["count"] == 2
    item = next(i for i in body["items"] if i["id"] == deals["mine"].pk)
    assert item["amount"] == "3000.00" and item["currency"] == "RON"
    assert item["stage"]["name"] == "First contact" and item["pipeline"]["name"] == "Corporate sales"
    assert item["client"]["name"] == "Ștefan & Fiii" and item["version"] == 2
    assert ids(client.get("/api/v1/deals", headers=api_token(world.manager_south))) == {deals["south"].pk}
    assert ids(client.get("/api/v1/deals", headers=api_token(world.head_north))) == {
        deals["mine"].pk,
        deals["other"].pk,
        deals["nelu"].pk,
    }
    assert len(ids(client.get("/api/v1/deals", headers=api_token(world.admin)))) == 4


def test_another_teams_deal_is_404_everywhere(client, world, api_token, deals):
    headers = api_token(world.manager_south)
    pk = deals["mine"].pk
    before = Deal.objects.get(pk=pk).version
    for response in (
        client.get(f"/api/v1/deals/{pk}", headers=headers),
        patch(client, f"/api/v1/deals/{pk}", headers, {"version": 2, "title": "Hijack"}),
        post(client, f"/api/v1/deals/{pk}/move", headers, {"stage": stage("negotiation").pk}),
        post(client, f"/api/v1/deals/{pk}/lose", headers, {"reason": "price"}),
        post(client, f"/api/v1/deals/{pk}/lines", headers, {"name": "x", "unit_price": "1"}),
        client.get(f"/api/v1/deals/{pk}/stage-history", headers=headers),
        post(client, "/api/v1/payments", headers, {"deal": pk, "kind": "received", "amount": "1"}),
        post(client, "/api/v1/proposals", headers, {"deal": pk}),
    ):
        assert response.status_code == 404, response.content
        assert response.json()["detail"]
    assert Deal.objects.get(pk=pk).version == before


def test_a_teammate_sees_nothing_of_my_deals_and_cannot_change_them(client, world, api_token, deals):
    headers = api_token(world.manager_north2)
    assert ids(client.get("/api/v1/deals", headers=headers)) == {deals["nelu"].pk}
    assert client.get(f"/api/v1/deals/{deals['mine'].pk}", headers=headers).status_code == 404


def test_marketers_see_deals_without_amounts(client, world, api_token, deals):
    headers = api_token(world.marketer_north)
    response = client.get("/api/v1/deals", headers=headers)
    assert response.json()["count"] == 3
    for item in response.json()["items"]:
        assert item["amount"] is None and item["overdue_amount"] is None
    detail = client.get(f"/api/v1/deals/{deals['mine'].pk}", headers=headers).json()
    assert detail["amount"] is None
    assert detail["lines"][0]["unit_price"] is None and detail["lines"][0]["total"] is None
    assert detail["lines"][0]["quantity"] == "2.000"
    assert client.get("/api/v1/payments", headers=headers).json() == {"count": 0, "items": []}
    assert client.get("/api/v1/proposals", headers=headers).json() == {"count": 0, "items": []}
    assert client.get("/api/v1/receivables", headers=headers).json() == {"count": 0, "items": []}
    response = post(
        client, f"/api/v1/deals/{deals['mine'].pk}/move", headers, {"stage": stage("negotiation").pk}
    )
    assert response.status_code == 403
    ordered = client.get("/api/v1/deals?ordering=-amount", headers=headers)
    assert ordered.status_code == 200  # allowed, but not ordered by what they cannot see


def test_filters_search_and_pagination(client, world, api_token, deals):
    headers = api_token(world.head_north)
    corporate = Pipeline.objects.get(code="corporate").pk
    assert ids(client.get(f"/api/v1/deals?pipeline={corporate}", headers=headers)) == {
        deals["mine"].pk,
        deals["nelu"].pk,
    }
    assert ids(client.get(f"/api/v1/deals?owner={world.manager_north2.pk}", headers=headers)) == {
        deals["nelu"].pk
    }
    assert ids(client.get("/api/v1/deals?q=kovács", headers=headers)) == {deals["nelu"].pk}
    assert ids(client.get("/api/v1/deals?q=fiii", headers=headers)) == {deals["mine"].pk, deals["other"].pk}
    assert ids(client.get(f"/api/v1/deals?q={deals['other'].pk}", headers=headers)) == {deals["other"].pk}
    assert ids(client.get("/api/v1/deals?status=won", headers=headers)) == set()
    admin = api_token(world.admin)
    assert ids(client.get("/api/v1/deals?q=morozov", headers=admin)) == {deals["south"].pk}  # any script
    assert ids(client.get("/api/v1/deals?q=МОРОЗОВ", headers=admin)) == {deals["south"].pk}
    assert ids(client.get("/api/v1/deals?q=audit%20cluj", headers=admin)) == {deals["mine"].pk}
    page = client.get("/api/v1/deals?limit=1&offset=1&ordering=title", headers=headers).json()
    assert page["count"] == 3 and [i["title"] for i in page["items"]] == ["Kovács pilot"]
    bad = client.get("/api/v1/deals?status=closed&limit=0", headers=headers)
    assert bad.status_code == 422 and {"status", "limit"} <= set(bad.json()["errors"])


def test_list_queries_do_not_grow_with_rows(client, world, api_token, make_deal, clients):
    headers = api_token(world.admin)
    for _ in range(3):
        make_deal()
    client.get("/api/v1/deals", headers=headers)  # warm up token/session lookups
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/deals", headers=headers).status_code == 200
    for _ in range(12):
        make_deal(owner=world.manager_south, client=clients["south"])
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/deals", headers=headers).json()["count"] == 15
    assert len(many) == len(few) <= 8


# --- creation --------------------------------------------------------------------------------------


def test_create_with_lines(client, world, api_token, clients, products):
    contact = clients["north"].contacts.get()
    response = post(
        client,
        "/api/v1/deals",
        api_token(world.manager_north),
        {
            "client": clients["north"].pk,
            "title": "Security review",
            "contacts": [contact.pk],
            "expected_close_date": "2030-05-01",
            "lines": [
                {"product": products["audit"].pk, "quantity": "3", "discount_percent": "5"},
                {"name": "Report in Romanian", "quantity": 1, "unit_price": "250.50"},
            ],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount"] == "4525.50"  # 3 × 1500 − 5 % + 250.50
    assert [line["total"] for line in body["lines"]] == ["4275.00", "250.50"]
    assert body["contacts"] == [{"id": contact.pk, "name": str(contact)}]
    assert body["owner"]["id"] == world.manager_north.pk and body["stage"]["name"] == "First contact"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"amount": 1200.5}, "amount"),
        ({"amount": "12,50"}, "amount"),
        ({"amount": "-3"}, "amount"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        (
            {
                "lines": [
                    {"name": "ok", "unit_price": "1"},
                    {"name": "bad", "unit_price": "1", "quantity": "0"},
                ]
            },
            "lines.1.quantity",
        ),
        ({"lines": [{"name": "x", "unit_price": 9.99}]}, "lines.0.unit_price"),
        ({"client": 999999}, "client"),
        ({"stage": 999999}, "stage"),
    ],
)
def test_create_refuses_bad_input_with_field_errors_and_writes_nothing(
    client, world, api_token, clients, payload, field
):
    data = {"client": clients["north"].pk, **payload}
    response = post(client, "/api/v1/deals", api_token(world.manager_north), data)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()
    assert not Deal.objects.exists()


def test_create_for_someone_elses_client_is_refused(client, world, api_token, clients):
    response = post(client, "/api/v1/deals", api_token(world.manager_south), {"client": clients["north"].pk})
    assert response.status_code == 422 and "client" in response.json()["errors"]
    response = post(client, "/api/v1/deals", api_token(world.marketer_north), {"client": clients["north"].pk})
    assert response.status_code == 403


def test_unauthenticated_requests_get_401(client, deals):
    assert client.get("/api/v1/deals").status_code == 401


# --- edits and optimistic locking ----------------------------------------------------------------


def test_patch_needs_the_version_and_a_stale_one_is_409(client, world, api_token, deals):
    deal = deals["other"]
    headers = api_token(world.manager_north)
    missing = patch(client, f"/api/v1/deals/{deal.pk}", headers, {"title": "No version"})
    assert missing.status_code == 422 and "version" in missing.json()["errors"]
    ok = patch(
        client,
        f"/api/v1/deals/{deal.pk}",
        headers,
        {"version": 1, "title": "New title", "next_step_date": "2030-01-01"},
    )
    assert ok.status_code == 200 and ok.json()["version"] == 2 and ok.json()["title"] == "New title"
    stale = patch(
        client,
        f"/api/v1/deals/{deal.pk}",
        api_token(world.head_north),
        {"version": 1, "title": "Old view", "amount": "9"},
    )
    assert stale.status_code == 409
    body = stale.json()
    assert "version" in body["errors"] and "someone else" in body["detail"].lower()
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.title, str(stored.amount), stored.version) == ("New title", "500.00", 2)


def test_patch_validates_each_field(client, world, api_token, deals):
    deal = deals["mine"]
    response = patch(
        client,
        f"/api/v1/deals/{deal.pk}",
        api_token(world.manager_north),
        {"version": deal.version, "amount": "10", "currency": "EUR", "title": ""},
    )
    assert response.status_code == 422
    assert {"amount", "currency", "title"} <= set(response.json()["errors"])
    assert Deal.objects.get(pk=deal.pk).version == deal.version


# --- moving, winning, losing ---------------------------------------------------------------------


def test_lose_without_a_reason_is_422_and_changes_nothing(client, world, api_token, deals):
    deal = deals["other"]
    headers = api_token(world.manager_north)
    response = post(client, f"/api/v1/deals/{deal.pk}/lose", headers, {})
    assert response.status_code == 422 and "reason" in response.json()["errors"]
    response = post(client, f"/api/v1/deals/{deal.pk}/lose", headers, {"reason": "bogus"})
    assert response.status_code == 422 and "reason" in response.json()["errors"]
    lost = stage("lost", "direct")
    response = post(client, f"/api/v1/deals/{deal.pk}/move", headers, {"stage": lost.pk})
    assert response.status_code == 422 and "lost_reason" in response.json()["errors"]
    stored = Deal.objects.get(pk=deal.pk)
    assert stored.status == "open" and stored.version == 1
    assert DealStageChange.objects.filter(deal=deal).count() == 1
    response = post(
        client,
        f"/api/v1/deals/{deal.pk}/lose",
        headers,
        {"reason": "competitor", "note": "Cheaper elsewhere"},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "lost" and response.json()["lost_reason"] == "competitor"


def test_win_on_corporate_checks_the_payment_schedule_given(client, world, api_token, deals):
    deal = deals["mine"]
    headers = api_token(world.manager_north)
    short = {"payments": [{"due_date": "2030-01-10", "amount": "1000"}]}
    response = post(client, f"/api/v1/deals/{deal.pk}/win", headers, short)
    assert response.status_code == 422 and "payments" in response.json()["errors"]
    assert not Payment.objects.filter(deal=deal).exists()
    response = post(
        client,
        f"/api/v1/deals/{deal.pk}/win",
        headers,
        {
            "payments": [
                {"due_date": "2030-01-10", "amount": "1000"},
                {"due_date": "2030-02-10", "amount": "2000.00"},
            ]
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "won" and response.json()["stage"]["name"] == "Won"
    assert Payment.objects.filter(deal=deal, kind="expected").count() == 2


def test_win_on_corporate_without_a_schedule_plans_one_payment(client, world, api_token, deals):
    deal = deals["mine"]
    response = post(client, f"/api/v1/deals/{deal.pk}/win", api_token(world.manager_north), {})
    assert response.status_code == 200, response.content
    [payment] = Payment.objects.filter(deal=deal, kind="expected")
    assert payment.amount == deal.amount and payment.due_date > dt.date.today()


def test_move_with_a_stale_version_is_409(client, world, api_token, deals):
    deal = deals["other"]
    headers = api_token(world.manager_north)
    meeting = stage("meeting", "direct")
    response = post(client, f"/api/v1/deals/{deal.pk}/move", headers, {"stage": meeting.pk, "version": 1})
    assert response.status_code == 200 and response.json()["version"] == 2
    demo = stage("demonstration", "direct")
    response = post(client, f"/api/v1/deals/{deal.pk}/move", headers, {"stage": demo.pk, "version": 1})
    assert response.status_code == 409
    assert Deal.objects.get(pk=deal.pk).stage == meeting
    history = client.get(f"/api/v1/deals/{deal.pk}/stage-history", headers=headers).json()
    assert [h["to_stage"]["name"] for h in history] == ["First contact", "Meeting scheduled"]
    assert history[1]["seconds_in_previous"] >= 0 and history[0]["from_stage"] is None


def test_lines_and_objections(client, world, api_token, deals, products):
    deal = deals["mine"]
    headers = api_token(world.manager_north)
    response = post(
        client,
        f"/api/v1/deals/{deal.pk}/lines",
        headers,
        {"product": products["licence"].pk, "quantity": "10"},
    )
    assert response.status_code == 201 and response.json()["amount"] == "3999.00"
    line_id = response.json()["lines"][-1]["id"]
    response = client.delete(f"/api/v1/deals/{deal.pk}/lines/{line_id}", headers=headers)
    assert response.status_code == 200 and response.json()["amount"] == "3000.00"
    objection = Objection.objects.create(text="Too expensive", answer="Value.")
    response = post(
        client, f"/api/v1/deals/{deal.pk}/objections", headers, {"objection": objection.pk, "note": "CFO"}
    )
    assert response.status_code == 201 and response.json()["stage"]["name"] == "First contact"


# --- pipelines and products -----------------------------------------------------------------------


def test_pipelines_list_and_admin_changes(client, world, api_token):
    response = client.get("/api/v1/pipelines", headers=api_token(world.manager_north))
    body = response.json()
    assert body["count"] == 3
    corporate = body["items"][0]
    assert corporate["is_default"] and [s["name"] for s in corporate["stages"]] == [
        "First contact",
        "Needs identified",
        "Proposal sent",
        "Negotiation",
        "Agreement",
        "Won",
        "Lost",
    ]
    new = {
        "name": "Partners",
        "kind": "other",
        "stages": [
            {"name": "Talk", "probability": 20},
            {"name": "Signed", "is_won": True},
            {"name": "Gone", "is_lost": True},
        ],
    }
    assert post(client, "/api/v1/pipelines", api_token(world.manager_north), new).status_code == 403
    response = post(client, "/api/v1/pipelines", api_token(world.admin), new)
    assert response.status_code == 201 and [s["name"] for s in response.json()["stages"]] == [
        "Talk",
        "Signed",
        "Gone",
    ]
    pk = response.json()["id"]
    response = patch(client, f"/api/v1/pipelines/{pk}", api_token(world.admin), {"is_default": True})
    assert response.json()["is_default"] is True
    assert Pipeline.objects.filter(is_default=True).count() == 1
    bad = post(
        client,
        f"/api/v1/pipelines/{pk}/stages",
        api_token(world.admin),
        {"name": "Both", "is_won": True, "is_lost": True},
    )
    assert bad.status_code == 422 and "is_lost" in bad.json()["errors"]


def test_products_with_prices(client, world, api_token, products):
    response = client.get("/api/v1/products?q=licen", headers=api_token(world.manager_north))
    assert response.json()["count"] == 1
    item = response.json()["items"][0]
    assert item["prices"] == [
        {
            "price_list_id": products["ron"].pk,
            "price_list": "Standard RON",
            "currency": "RON",
            "is_default": True,
            "price": "99.90",
        }
    ]
    assert (
        post(
            client, "/api/v1/products", api_token(world.manager_north), {"code": "X", "name": "X"}
        ).status_code
        == 403
    )
    response = post(
        client,
        "/api/v1/products",
        api_token(world.admin),
        {"code": "CONS", "name": "Consulting", "unit": "hour"},
    )
    assert response.status_code == 201
    duplicate = post(client, "/api/v1/products", api_token(world.admin), {"code": "CONS", "name": "Again"})
    assert duplicate.status_code == 422 and "code" in duplicate.json()["errors"]
    assert Product.objects.filter(code="CONS").count() == 1


# --- proposals and payments ----------------------------------------------------------------------


def test_proposals_numbered_versioned_and_downloadable(client, world, api_token, deals):
    headers = api_token(world.manager_north)
    deal = deals["mine"]
    response = post(client, "/api/v1/proposals", headers, {"deal": deal.pk, "title": "Ofertă"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == f"P-{timezone.localdate().year}-0001" and body["current_version"] == 1
    pk = body["id"]
    response = client.get(f"/api/v1/proposals/{pk}/pdf", headers=headers)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages
    )
    assert "Ștefan & Fiii" in text and "Аудит безопасности" in text
    response = post(client, f"/api/v1/proposals/{pk}/versions", headers)
    assert response.status_code == 201 and [v["version"] for v in response.json()["versions"]] == [2, 1]
    response = post(client, f"/api/v1/proposals/{pk}/send", headers, {"version": 1, "to": "cfo@example.ro"})
    versions = {v["version"]: v for v in response.json()["versions"]}
    assert versions[1]["sent_to"] == "cfo@example.ro" and versions[2]["sent_at"] is None
    response = patch(client, f"/api/v1/proposals/{pk}", headers, {"status": "accepted"})
    assert response.json()["status"] == "accepted"
    response = patch(client, f"/api/v1/proposals/{pk}", headers, {"valid_until": "2000-01-01"})
    assert response.status_code == 422 and "valid_until" in response.json()["errors"]
    assert client.get(f"/api/v1/proposals/{pk}", headers=api_token(world.manager_south)).status_code == 404
    assert (
        client.get(f"/api/v1/proposals/{pk}/pdf", headers=api_token(world.manager_south)).status_code == 404
    )
    assert ids(client.get(f"/api/v1/proposals?deal={deal.pk}", headers=headers)) == {pk}
    empty = post(client, "/api/v1/proposals", headers, {"deal": deals["other"].pk})
    assert empty.status_code == 422 and "lines" in empty.json()["errors"]
    assert Document.objects.count() == 1


def test_payments_and_receivables(client, world, api_token, deals):
    headers = api_token(world.manager_north)
    deal = deals["other"]
    past = (timezone.localdate() - dt.timedelta(days=5)).isoformat()
    response = post(
        client,
        "/api/v1/payments",
        headers,
        {"deal": deal.pk, "kind": "expected", "amount": "500", "due_date": past},
    )
    assert response.status_code == 201 and response.json()["currency"] == "RON"
    payment_id = response.json()["id"]
    bad = post(
        client,
        "/api/v1/payments",
        headers,
        {"deal": deal.pk, "kind": "expected", "amount": 5.5, "due_date": past},
    )
    assert bad.status_code == 422 and "amount" in bad.json()["errors"]
    bad = post(client, "/api/v1/payments", headers, {"deal": deal.pk, "kind": "expected", "amount": "5"})
    assert bad.status_code == 422 and "due_date" in bad.json()["errors"]
    post(client, "/api/v1/payments", headers, {"deal": deal.pk, "kind": "received", "amount": "200"})
    receivables = client.get("/api/v1/receivables", headers=headers).json()
    assert receivables["count"] == 1 and receivables["items"][0]["overdue_amount"] == "300.00"
    assert client.get(f"/api/v1/deals/{deal.pk}", headers=headers).json()["overdue_amount"] == "300.00"
    assert ids(client.get("/api/v1/deals?overdue_receivables=true", headers=headers)) == {deal.pk}
    assert ids(client.get("/api/v1/payments?overdue=true", headers=headers)) == {payment_id}
    assert client.get("/api/v1/receivables", headers=api_token(world.manager_south)).json()["count"] == 0
    response = patch(client, f"/api/v1/payments/{payment_id}", headers, {"amount": "200"})
    assert response.status_code == 200 and response.json()["amount"] == "200.00"
    assert client.get("/api/v1/receivables", headers=headers).json()["count"] == 0
    assert (
        client.get(f"/api/v1/payments/{payment_id}", headers=api_token(world.manager_south)).status_code
        == 404
    )
