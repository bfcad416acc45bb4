"""Loyalty reasons (counted like churn reasons), benefits and conditions, their history, and the
conditions applied to new deal lines and documents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from clientela.clients.services.client import client_update
from clientela.conftest import login
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.deals.catalogue.services import line_add
from clientela.deals.defaults import ensure_defaults
from clientela.deals.documents.services import document_create
from clientela.deals.models import ClientPriceList, Pipeline, PriceList, PriceListItem, Product
from clientela.deals.services import deal_create
from clientela.leads.services.convert import lead_convert
from clientela.retention import loyalty
from clientela.retention.loyalty_models import ClientBenefit, ClientLoyaltyReason, LoyaltyReason
from clientela.retention.tests.loyalty_helpers import make_clients, make_lead


@pytest.fixture
def clients(world):
    return make_clients(world)


# --- The configurable list -----------------------------------------------------------------------


def test_built_in_reasons_are_seeded_and_translated(db):
    codes = set(LoyaltyReason.objects.values_list("code", flat=True))
    assert {"price", "quality", "personal_manager", "delivery_speed", "payment_terms", "range"} <= codes
    price = LoyaltyReason.objects.get(code="price")
    with translation.override("ro"):
        assert loyalty.reason_label(price) == "Preț"
    with translation.override("en"):
        assert loyalty.reason_label(price) == "Price"


def test_admins_add_reasons_named_per_language_others_may_not(world):
    reason = loyalty.loyalty_reason_create(by=world.admin, names={"en": "Local stock", "hu": "Helyi készlet"})
    assert reason.code == "local-stock"
    with translation.override("hu"):
        assert loyalty.reason_label(reason) == "Helyi készlet"
    with translation.override("ru"):
        assert loyalty.reason_label(reason) == "Local stock"  # no Russian name: English
    with pytest.raises(BusinessError) as exc:
        loyalty.loyalty_reason_create(by=world.admin, names={"ro": "Fără engleză"})
    assert "names.en" in exc.value.errors
    with pytest.raises(PermissionDeniedError):
        loyalty.loyalty_reason_create(by=world.head_north, names={"en": "Heads may not"})
    loyalty.loyalty_reason_update(by=world.admin, reason=reason, data={"is_active": False})
    assert "local-stock" not in dict(loyalty.reason_choices())


# --- A client's reasons and the report -----------------------------------------------------------


def test_reasons_are_counted_against_a_hand_computation(world, clients):
    extra = make_clients_more(world)
    # Mara's client: price + quality; Nelu's: price; another of Mara's: personal manager;
    # a North client of nobody's answer: none. South: price (not visible to the North).
    loyalty.client_loyalty_reasons_set(
        by=world.manager_north, client=clients["north"], codes=["price", "quality"]
    )
    loyalty.client_loyalty_reasons_set(by=world.manager_north2, client=clients["north2"], codes=["price"])
    loyalty.client_loyalty_reasons_set(by=world.manager_north, client=extra, codes=["personal_manager"])
    loyalty.client_loyalty_reasons_set(by=world.manager_south, client=clients["south"], codes=["price"])

    def counts(viewer):
        return {row["code"]: (row["clients"], row["share"]) for row in loyalty.reason_counts(viewer)}

    # The head of the North: 3 clients answered; price 2 → 66.67 %, quality 1 and personal
    # manager 1 → 33.33 % each.
    head = counts(world.head_north)
    assert head["price"] == (2, Decimal("66.67"))
    assert head["quality"] == (1, Decimal("33.33"))
    assert head["personal_manager"] == (1, Decimal("33.33"))
    assert head["delivery_speed"] == (0, Decimal("0.00"))
    # Mara sees her own two clients: price 1 of 2 = 50 %.
    mara = counts(world.manager_north)
    assert mara["price"] == (1, Decimal("50.00"))
    assert mara["personal_manager"] == (1, Decimal("50.00"))
    # The admin sees all 4: price 3 of 4 = 75 %.
    assert counts(world.admin)["price"] == (3, Decimal("75.00"))
    assert loyalty.answered_count(world.admin) == 4


def make_clients_more(world):
    from clientela.clients.models import Client

    return Client.objects.create(
        name="Andrei Logistic", country="RO", owner=world.manager_north, team=world.north
    )


def test_setting_reasons_replaces_them_and_is_audited(world, clients):
    client = clients["north"]
    loyalty.client_loyalty_reasons_set(by=world.manager_north, client=client, codes=["price", "quality"])
    loyalty.client_loyalty_reasons_set(by=world.manager_north, client=client, codes=["quality", "range"])
    assert loyalty.client_reason_codes(client) == ["quality", "range"]
    entries = loyalty.loyalty_history(client)
    assert entries[0].event == "loyalty_reasons"
    assert entries[0].changes["reasons"] == [["price", "quality"], ["quality", "range"]]
    with pytest.raises(BusinessError) as exc:
        loyalty.client_loyalty_reasons_set(by=world.manager_north, client=client, codes=["nonsense"])
    assert "reasons" in exc.value.errors
    with pytest.raises(PermissionDeniedError):
        loyalty.client_loyalty_reasons_set(by=world.manager_north, client=clients["south"], codes=["price"])


def test_the_conversion_asks_why_they_came(world):
    lead = make_lead(world)
    conversion = lead_convert(
        by=world.manager_north, lead=lead, loyalty_reasons=["quality", "delivery_speed"]
    )
    rows = ClientLoyaltyReason.objects.filter(client=conversion.client).order_by("reason__position")
    assert [(r.reason.code, r.source) for r in rows] == [
        ("quality", "conversion"),
        ("delivery_speed", "conversion"),
    ]


def test_the_conversion_form_offers_the_reasons(world, client):
    lead = make_lead(world)
    login(client, world.manager_north)
    page = client.get(f"/leads/{lead.pk}/convert/")
    assert page.status_code == 200
    assert 'name="loyalty_reasons" value="personal_manager"' in page.content.decode()
    response = client.post(
        f"/leads/{lead.pk}/convert/",
        {"client_name": "ООО Вектор", "loyalty_reasons": ["price"], "contact_role": ""},
    )
    assert response.status_code in (200, 302)
    lead.refresh_from_db()
    assert lead.client is not None
    assert loyalty.client_reason_codes(lead.client) == ["price"]


def test_the_conversion_api_refuses_an_unknown_reason(world, client, api_token):
    lead = make_lead(world)
    response = client.post(
        f"/api/v1/leads/{lead.pk}/convert",
        {"client_name": "ООО Вектор", "loyalty_reasons": ["nope"]},
        content_type="application/json",
        headers=api_token(world.manager_north),
    )
    assert response.status_code == 422
    assert "reasons" in response.json()["errors"]
    lead.refresh_from_db()
    assert lead.client is None  # nothing of the conversion kept


# --- Benefits, conditions and their history ------------------------------------------------------


def test_benefits_and_condition_changes_are_audited_and_shown(world, clients):
    client = clients["north"]
    client_update(
        by=world.manager_north, client=client, data={"discount_percent": "7.5", "payment_terms_days": 45}
    )
    benefit = loyalty.client_benefit_add(
        by=world.manager_north,
        client=client,
        values={"kind": "free_delivery", "value": "orders over 500 EUR", "valid_until": "2027-12-31"},
    )
    assert benefit.valid_until == dt.date(2027, 12, 31)
    loyalty.client_benefit_remove(by=world.manager_north, benefit=benefit)
    history = loyalty.loyalty_history(client)
    events = [entry.event or "update" for entry in history]
    assert events == ["loyalty_benefit_removed", "loyalty_benefit_added", "update"]
    assert history[2].changes["discount_percent"] == [None, "7.50"]
    assert history[2].changes["payment_terms_days"] == [None, 45]
    with pytest.raises(BusinessError) as exc:
        loyalty.client_benefit_add(
            by=world.manager_north, client=client, values={"kind": "x", "valid_until": "31.12"}
        )
    assert set(exc.value.errors) == {"kind", "valid_until"}
    with pytest.raises(PermissionDeniedError):
        loyalty.client_benefit_add(
            by=world.manager_north, client=clients["south"], values={"kind": "free_delivery"}
        )


def test_the_loyalty_page_shows_conditions_benefits_and_history(world, clients, client):
    north = clients["north"]
    client_update(by=world.manager_north, client=north, data={"discount_percent": "12"})
    login(client, world.manager_north)
    response = client.post(
        f"/clients/{north.pk}/loyalty/benefits/", {"kind": "extended_warranty", "value": "+1 year"}
    )
    assert response.status_code == 302
    page = client.get(f"/clients/{north.pk}/loyalty/").content.decode()
    assert "Extended warranty" in page and "+1 year" in page
    assert "Benefit added: Extended warranty · +1 year" in page
    assert "12" in page
    card = client.get(f"/clients/{north.pk}/").content.decode()
    assert 'id="client-loyalty"' in card and "Extended warranty" in card
    # Another team's client: 404 on every door; the marketer: refused.
    south = clients["south"]
    assert client.get(f"/clients/{south.pk}/loyalty/").status_code == 404
    assert client.post(f"/clients/{south.pk}/loyalty/benefits/", {"kind": "free_delivery"}).status_code == 404
    assert client.post(f"/clients/{south.pk}/loyalty/reasons/", {"reasons": ["price"]}).status_code == 404
    login(client, world.marketer_north)
    assert client.get(f"/clients/{north.pk}/loyalty/").status_code == 403


def test_bad_benefit_on_the_page_is_a_field_error(world, clients, client):
    login(client, world.manager_north)
    response = client.post(f"/clients/{clients['north'].pk}/loyalty/benefits/", {"kind": "nope"})
    assert response.status_code == 422
    assert not ClientBenefit.objects.exists()


# --- Conditions applied automatically ------------------------------------------------------------


@pytest.fixture
def priced(world, clients):
    ensure_defaults()
    product = Product.objects.create(code="LIC-1", name="Licență", unit="pcs")
    standard = PriceList.objects.create(name="Standard RON", currency="RON", is_default=True)
    PriceListItem.objects.create(price_list=standard, product=product, price=Decimal("100.00"))
    loyal = PriceList.objects.create(name="Loyal RON", currency="RON")
    PriceListItem.objects.create(price_list=loyal, product=product, price=Decimal("90.00"))
    return {"product": product, "loyal": loyal}


def _deal(world, client):
    client.refresh_from_db()  # as a request would read it
    return deal_create(
        by=world.manager_north,
        client=client,
        pipeline=Pipeline.objects.get(is_default=True),
        amount="0",
        currency="RON",
        title="Licences",
    )


def test_a_new_line_takes_the_clients_discount_and_loyalty_price_list(world, clients, priced):
    client = clients["north"]
    client_update(by=world.manager_north, client=client, data={"discount_percent": "10"})
    ClientPriceList.objects.create(client=client, price_list=priced["loyal"])
    deal = _deal(world, client)
    line = line_add(by=world.manager_north, deal=deal, product=priced["product"], quantity=3)
    # 3 × 90.00 (the loyalty list) − 10 % = 243.00
    assert (line.unit_price, line.discount_percent, line.total) == (
        Decimal("90.00"),
        Decimal("10"),
        Decimal("243.00"),
    )
    # An explicit discount (also 0) wins over the client's.
    other = line_add(
        by=world.manager_north, deal=deal, product=priced["product"], quantity=1, discount_percent="0"
    )
    assert other.total == Decimal("90.00")


def test_a_line_added_on_the_page_and_api_without_a_discount_gets_the_clients(
    world, clients, priced, client, api_token
):
    north = clients["north"]
    client_update(by=world.manager_north, client=north, data={"discount_percent": "5"})
    deal = _deal(world, north)
    response = client.post(
        f"/api/v1/deals/{deal.pk}/lines",
        {"product": priced["product"].pk, "quantity": 2},
        content_type="application/json",
        headers=api_token(world.manager_north),
    )
    assert response.status_code == 201
    line = deal.lines.get()
    # 2 × 100.00 − 5 % = 190.00
    assert (line.discount_percent, line.total) == (Decimal("5"), Decimal("190.00"))
    login(client, world.manager_north)
    client.post(
        f"/deals/{deal.pk}/lines/", {"product": priced["product"].pk, "quantity": "1", "discount_percent": ""}
    )
    assert deal.lines.order_by("-pk").first().discount_percent == Decimal("5")


def test_a_new_proposal_has_the_discount_on_its_lines_and_states_the_payment_terms(world, clients, priced):
    north = clients["north"]
    client_update(
        by=world.manager_north,
        client=north,
        data={"discount_percent": "20", "payment_terms_days": 30, "payment_terms_note": "by bank transfer"},
    )
    deal = _deal(world, north)
    document = document_create(
        by=world.manager_north,
        deal=deal,
        language="en",
        first_line={"product": priced["product"], "quantity": 1},
    )
    version = document.versions.get()
    # 1 × 100.00 − 20 % = 80.00
    assert version.total == Decimal("80.00")
    assert "Payment within 30 days; by bank transfer" in version.html
    invoice = document_create(by=world.manager_north, deal=deal, kind="invoice", language="ro")
    assert "Plata în 30 de zile; by bank transfer" in invoice.versions.get().html


# --- API -----------------------------------------------------------------------------------------


def test_the_loyalty_api(world, clients, client, api_token):
    north, south = clients["north"], clients["south"]
    mara = api_token(world.manager_north)
    response = client.put(
        f"/api/v1/clients/{north.pk}/loyalty/reasons",
        {"reasons": ["price", "service"]},
        content_type="application/json",
        headers=mara,
    )
    assert response.status_code == 200, response.content
    assert response.json()["reasons"] == ["price", "service"]
    response = client.post(
        f"/api/v1/clients/{north.pk}/loyalty/benefits",
        {"kind": "priority_support", "valid_until": "2027-06-30"},
        content_type="application/json",
        headers=mara,
    )
    assert response.status_code == 201
    benefit_id = response.json()["id"]
    body = client.get(f"/api/v1/clients/{north.pk}/loyalty", headers=mara).json()
    assert [b["kind"] for b in body["benefits"]] == ["priority_support"]
    assert [h["event"] for h in body["history"]] == ["loyalty_benefit_added", "loyalty_reasons"]
    bad = client.post(
        f"/api/v1/clients/{north.pk}/loyalty/benefits",
        {"kind": "nope"},
        content_type="application/json",
        headers=mara,
    )
    assert bad.status_code == 422 and "kind" in bad.json()["errors"]
    # Another team's client is not there; the marketer sees no clients (no money).
    assert client.get(f"/api/v1/clients/{south.pk}/loyalty", headers=mara).status_code == 404
    assert (
        client.get(f"/api/v1/clients/{north.pk}/loyalty", headers=api_token(world.marketer_north)).status_code
        == 403
    )
    assert (
        client.delete(f"/api/v1/clients/{north.pk}/loyalty/benefits/{benefit_id}", headers=mara).status_code
        == 204
    )
    report = client.get("/api/v1/loyalty/report", headers=api_token(world.head_north)).json()
    reasons = {row["reason"]: row["clients"] for row in report[0]["rows"]}
    assert reasons["Price"] == 1


def test_admins_edit_the_lists_on_their_page(world, client):
    login(client, world.head_north)
    assert client.get("/retention/loyalty/settings/").status_code == 403
    login(client, world.admin)
    assert client.get("/retention/loyalty/settings/").status_code == 200
    response = client.post(
        "/retention/loyalty/settings/",
        {"list": "benefits", "name_en": "Spare parts at cost", "name_ro": "Piese la cost"},
    )
    assert response.status_code == 302
    kind = loyalty.BenefitKind.objects.get(code="spare-parts-at-cost")
    with translation.override("ro"):
        assert loyalty.benefit_label(kind) == "Piese la cost"
    reason = LoyaltyReason.objects.get(code="range")
    client.post("/retention/loyalty/settings/", {"list": "reasons", "id": reason.pk, "name_en": ""})
    reason.refresh_from_db()
    assert reason.is_active is False  # unticked "in use": retired, kept for the counts


def test_the_report_page_and_its_export(world, clients, client):
    loyalty.client_loyalty_reasons_set(by=world.manager_north, client=clients["north"], codes=["quality"])
    login(client, world.head_north)
    page = client.get("/retention/loyalty/").content.decode()
    assert "figure-loyalty-reasons" in page and "figure-referrals" in page
    export = client.get("/retention/loyalty/?export=csv&figure=loyalty-reasons")
    assert export.status_code == 200
    body = b"".join(export.streaming_content if export.streaming else [export.content]).decode("utf-8-sig")
    assert "Quality,1,100" in body.replace(".00", "").replace('"', "")
    clients_page = client.get("/retention/loyalty/clients/?reason=quality").content.decode()
    assert "Ștefan &amp; Fiii" in clients_page and "Kovács" not in clients_page
    login(client, world.marketer_north)
    assert client.get("/retention/loyalty/").status_code == 403
