"""Sales settings: pipelines and stages (admins), lost reasons, products and price lists,
loyalty price lists, document templates, the company profile, the objections library."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clientela.conftest import login
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.deals import settings_services as config
from clientela.deals.models import (
    ClientPriceList,
    CompanyProfile,
    DocumentTemplate,
    LostReason,
    Objection,
    Pipeline,
    PriceList,
    PriceListItem,
    Product,
    Stage,
)
from clientela.deals.tests.conftest import pipeline, stage
from clientela.deals.tests.test_documents import PNG

pytestmark = pytest.mark.urls("clientela.deals.tests.urls")


def test_defaults_ship_three_pipelines_reasons_and_templates(db):
    assert list(Pipeline.objects.order_by("position").values_list("code", flat=True)) == [
        "corporate",
        "direct",
        "retail",
    ]
    assert Pipeline.objects.get(is_default=True).code == "corporate"
    corporate = [s.code for s in pipeline().stages.order_by("position")]
    assert corporate == [
        "first_contact",
        "needs_identified",
        "proposal_sent",
        "negotiation",
        "agreement",
        "won",
        "lost",
    ]
    for code in ("direct", "retail"):
        stages = pipeline(code).stages.all()
        assert stages.filter(is_won=True).count() == 1 and stages.filter(is_lost=True).count() == 1
    assert set(LostReason.objects.values_list("code", flat=True)) == {
        "price",
        "competitor",
        "no_budget",
        "timing",
        "no_decision",
        "quality",
        "staff_attitude",
        "other",
    }
    assert set(DocumentTemplate.objects.filter(is_default=True).values_list("kind", flat=True)) == {
        "proposal",
        "agreement",
        "invoice",
        "act",
    }


def test_only_admins_configure_pipelines(world):
    with pytest.raises(PermissionDeniedError):
        config.pipeline_create(by=world.head_north, data={"name": "Partners"})
    created = config.pipeline_create(by=world.admin, data={"name": "Partners", "is_default": True})
    assert [s.label for s in created.stages.order_by("position")] == ["New", "Won", "Lost"]
    assert Pipeline.objects.get(is_default=True) == created
    with pytest.raises(BusinessError) as caught:
        config.pipeline_update(by=world.admin, pipeline=created, data={"is_active": False})
    assert "is_active" in caught.value.errors
    config.pipeline_update(by=world.admin, pipeline=pipeline(), data={"is_default": True})
    assert Pipeline.objects.get(is_default=True).code == "corporate"


def test_stage_rules(world, make_deal):
    make_deal()
    first = stage("first_contact")
    with pytest.raises(BusinessError):
        config.stage_create(
            by=world.admin, pipeline=pipeline(), data={"name": "Both", "is_won": True, "is_lost": True}
        )
    with pytest.raises(ConflictError):
        config.stage_update(by=world.admin, stage=first, data={"is_active": False})
    with pytest.raises(ConflictError):
        config.stage_update(by=world.admin, stage=first, data={"is_won": True})
    renamed = config.stage_update(
        by=world.admin, stage=stage("agreement"), data={"name": "Contract signed", "probability": 90}
    )
    assert renamed.label == "Contract signed" and renamed.probability == 90
    config.stage_move(by=world.admin, stage=stage("needs_identified"), step=-1)
    assert [s.code for s in pipeline().stages.order_by("position")][:2] == [
        "needs_identified",
        "first_contact",
    ]


def test_products_and_price_lists(world, products):
    with pytest.raises(BusinessError) as caught:
        config.product_create(by=world.admin, data={"code": "AUD-1", "name": "Duplicate"})
    assert "code" in caught.value.errors
    other = config.price_list_create(
        by=world.admin, data={"name": "New RON", "currency": "ron", "is_default": True}
    )
    assert other.currency == "RON"
    assert list(PriceList.objects.filter(currency="RON", is_default=True)) == [other]
    with pytest.raises(BusinessError) as caught:
        config.price_list_create(by=world.admin, data={"name": "Bad", "currency": "RUR"})
    assert "currency" in caught.value.errors
    item = config.price_set(by=world.admin, price_list=other, product=products["audit"], price="1400")
    assert item.price == Decimal("1400.00")
    config.price_set(by=world.admin, price_list=other, product=products["audit"], price="1450.50")
    assert PriceListItem.objects.get(pk=item.pk).price == Decimal("1450.50")
    with pytest.raises(BusinessError):
        config.price_set(by=world.admin, price_list=other, product=products["audit"], price="1.234")
    with pytest.raises(BusinessError) as caught:
        config.price_list_update(by=world.admin, price_list=other, data={"currency": "EUR"})
    assert "currency" in caught.value.errors


def test_loyalty_price_lists_are_given_by_heads_to_their_clients(world, clients, products):
    loyal = PriceList.objects.create(name="Loyal", currency="RON")
    with pytest.raises(PermissionDeniedError):
        config.client_price_list_set(by=world.manager_north, client=clients["north"], price_list=loyal)
    with pytest.raises(BusinessError):
        config.client_price_list_set(by=world.head_north, client=clients["south"], price_list=loyal)
    config.client_price_list_set(by=world.head_north, client=clients["north"], price_list=loyal)
    assert ClientPriceList.objects.get(client=clients["north"]).price_list == loyal
    config.client_price_list_set(by=world.head_north, client=clients["north"], price_list=None)
    assert not ClientPriceList.objects.exists()


def test_objections_library_is_curated_by_heads(world, products):
    with pytest.raises(PermissionDeniedError):
        config.objection_create(by=world.manager_north, data={"text": "x", "answer": "y"})
    with pytest.raises(BusinessError) as caught:
        config.objection_create(by=world.head_north, data={"text": "Too expensive", "answer": " "})
    assert "answer" in caught.value.errors
    objection = config.objection_create(
        by=world.head_north,
        data={"text": "Too expensive", "answer": "Value first."},
        products=[products["audit"]],
        stages=[stage("negotiation")],
    )
    assert list(objection.stages.all()) == [stage("negotiation")]
    config.objection_update(
        by=world.head_north, objection=objection, data={"is_active": False}, products=[], stages=[]
    )
    objection.refresh_from_db()
    assert not objection.is_active and not objection.products.exists()


# --- pages ----------------------------------------------------------------------------------------


SETTINGS_PAGES = [
    "deals:settings",
    "deals:reason_list",
    "deals:product_list",
    "deals:price_list_list",
    "deals:template_list",
    "deals:objection_list",
    "deals:client_price_lists",
]


@pytest.mark.parametrize("name", SETTINGS_PAGES)
def test_settings_pages_by_role(client, world, name):
    login(client, world.manager_north)
    assert client.get(reverse(name)).status_code == 403
    login(client, world.head_north)
    assert client.get(reverse(name)).status_code == 200
    login(client, world.admin)
    assert client.get(reverse(name)).status_code == 200


def test_heads_look_but_do_not_edit_pipelines(client, world):
    login(client, world.head_north)
    assert client.get(reverse("deals:pipeline_create")).status_code == 403
    assert (
        client.post(
            reverse("deals:stage_edit", args=[stage("agreement").pk]), {"name": "x", "probability": 1}
        ).status_code
        == 403
    )
    assert client.get(reverse("deals:objection_create")).status_code == 200


def test_admin_pages_create_and_edit(client, world):
    login(client, world.admin)
    response = client.post(
        reverse("deals:pipeline_create"), {"name": "Partners", "kind": "other", "is_active": "on"}
    )
    assert response.status_code == 302
    partners = Pipeline.objects.get(name="Partners")
    response = client.post(
        reverse("deals:stage_create", args=[partners.pk]),
        {"name": "Pilot", "probability": 40, "is_active": "on"},
    )
    assert response.status_code == 302 and partners.stages.filter(name="Pilot").exists()
    response = client.post(
        reverse("deals:stage_create", args=[partners.pk]), {"name": "X", "probability": 140}
    )
    assert response.status_code == 422
    response = client.post(
        reverse("deals:product_create"),
        {"code": "TR-1", "name": "Traducere", "unit": "page", "is_active": "on"},
    )
    assert response.status_code == 302 and Product.objects.filter(code="TR-1").exists()
    response = client.post(
        reverse("deals:price_list_create"),
        {"name": "HUF list", "currency": "HUF", "is_default": "on", "is_active": "on"},
    )
    price_list = PriceList.objects.get(currency="HUF")
    assert response["Location"] == reverse("deals:price_list_detail", args=[price_list.pk])
    response = client.post(
        reverse("deals:price_set", args=[price_list.pk]),
        {"product": Product.objects.get(code="TR-1").pk, "price": "9500"},
    )
    assert PriceListItem.objects.get(price_list=price_list).price == Decimal("9500.00")
    response = client.post(reverse("deals:reason_create"), {"name": "Went bankrupt", "is_active": "on"})
    assert LostReason.objects.filter(name="Went bankrupt").exists()


def test_template_editing_validates_and_previews(client, world):
    login(client, world.admin)
    template = DocumentTemplate.objects.get(kind="proposal", is_default=True)
    data = {
        "kind": "proposal",
        "language": "en",
        "name": template.name,
        "body": "{% for %}",
        "is_default": "on",
        "is_active": "on",
    }
    response = client.post(reverse("deals:template_edit", args=[template.pk]), data)
    assert response.status_code == 422 and "The template has an error" in response.content.decode()
    assert DocumentTemplate.objects.get(pk=template.pk).body != "{% for %}"
    data["body"] = (
        "<html><body><h1>{{ labels.heading }} {{ document.number }}</h1>"
        "{% for line in lines %}<p>{{ line.name }}</p>{% endfor %}</body></html>"
    )
    assert client.post(reverse("deals:template_edit", args=[template.pk]), data).status_code == 302
    preview = client.get(reverse("deals:template_preview", args=[template.pk]))
    assert preview.status_code == 200 and preview["Content-Type"] == "application/pdf"
    from clientela.deals.tests.test_documents import pdf_text

    text = pdf_text(preview.content)
    assert "Commercial proposal P-2026-0001" in text and "Аудит" in text and "Traducere tehnică" in text


def test_company_profile_with_logo(client, world):
    login(client, world.admin)
    logo = SimpleUploadedFile("logo.png", PNG, content_type="image/png")
    response = client.post(
        reverse("deals:company"), {"name": "Northwind", "legal_name": "Northwind SRL", "logo": logo}
    )
    assert response.status_code == 302
    profile = CompanyProfile.objects.get()
    assert profile.name == "Northwind" and profile.logo.name.startswith("company/")
    not_image = SimpleUploadedFile("logo.png", b"not an image", content_type="image/png")
    response = client.post(reverse("deals:company"), {"name": "Northwind", "logo": not_image})
    assert response.status_code == 422
    login(client, world.head_north)
    assert client.get(reverse("deals:company")).status_code == 403


def test_objection_pages(client, world):
    login(client, world.head_north)
    response = client.post(
        reverse("deals:objection_create"),
        {
            "text": "Not now",
            "answer": "Agree the date.",
            "stages": [stage("negotiation").pk],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert list(objection.stages.all()) == [stage("negotiation")]
    page = client.get(reverse("deals:objection_list")).content.decode()
    assert "Not now" in page and "raised 0 times" in page
    assert Stage.objects.filter(pk=stage("negotiation").pk).exists()
