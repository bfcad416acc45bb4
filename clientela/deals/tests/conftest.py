"""Fixtures of the deals tests: the defaults a fresh install has, clients, deals, products."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clientela.clients.models import Client, Contact
from clientela.core.audit import history_for
from clientela.deals import services
from clientela.deals.defaults import ensure_defaults
from clientela.deals.models import (
    Deal,
    DealEvent,
    DealStageChange,
    Payment,
    Pipeline,
    PriceList,
    PriceListItem,
    Product,
    Stage,
)

pytestmark = pytest.mark.urls("clientela.deals.tests.urls")


@pytest.fixture(autouse=True)
def _deal_defaults(request):
    """Pipelines, lost reasons and templates come from a data migration; transactional tests'
    flush wipes them, so put them back."""
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db"} & set(request.fixturenames)
    )
    if uses_db:
        request.getfixturevalue("db")
        ensure_defaults()


def pipeline(code: str = "corporate") -> Pipeline:
    return Pipeline.objects.get(code=code)


def stage(code: str, pipeline_code: str = "corporate") -> Stage:
    return Stage.objects.get(pipeline__code=pipeline_code, code=code)


@pytest.fixture
def clients(world):
    """A North client of Mara (manager_north), one of Nelu, and a South client of Sándor."""
    north = Client.objects.create(
        name="Ștefan & Fiii",
        legal_form="SRL",
        tax_id="RO1234567",
        country="RO",
        city="Cluj",
        owner=world.manager_north,
        team=world.north,
    )
    north2 = Client.objects.create(
        name="Kovács Kft", country="HU", owner=world.manager_north2, team=world.north
    )
    south = Client.objects.create(
        name="ООО Морозов", country="RO", owner=world.manager_south, team=world.south
    )
    Contact.objects.create(client=north, first_name="Ioana", last_name="Pop", position="CFO")
    return {"north": north, "north2": north2, "south": south}


@pytest.fixture
def products(db):
    audit = Product.objects.create(code="AUD-1", name="Аудит безопасности", unit="day")
    licence = Product.objects.create(code="LIC-1", name="Licență software", unit="pcs")
    ron = PriceList.objects.create(name="Standard RON", currency="RON", is_default=True)
    PriceListItem.objects.create(price_list=ron, product=audit, price=Decimal("1500.00"))
    PriceListItem.objects.create(price_list=ron, product=licence, price=Decimal("99.90"))
    return {"audit": audit, "licence": licence, "ron": ron}


@pytest.fixture
def make_deal(world, clients):
    def make(*, owner=None, client=None, amount="1000.00", pipeline_code="corporate", **extra) -> Deal:
        owner = owner or world.manager_north
        return services.deal_create(
            by=owner,
            client=client or clients["north"],
            pipeline=pipeline(pipeline_code),
            amount=amount,
            currency=extra.pop("currency", "RON"),
            **extra,
        )

    return make


def days_ago(days: int) -> dt.datetime:
    from django.utils import timezone

    return timezone.now() - dt.timedelta(days=days)


def snapshot(deal: Deal) -> dict:
    """Everything a failed write must leave as it was."""
    deal = Deal.objects.get(pk=deal.pk)
    return {
        "row": {f.attname: getattr(deal, f.attname) for f in Deal._meta.concrete_fields},
        "changes": DealStageChange.objects.filter(deal=deal).count(),
        "events": DealEvent.objects.filter(deal=deal).count(),
        "payments": Payment.objects.filter(deal=deal).count(),
        "audit": history_for(deal).count(),
    }
