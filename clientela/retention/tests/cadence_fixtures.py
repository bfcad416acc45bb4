"""Fixtures of the post-sale cadence tests: North and South clients, a deal won at a chosen moment."""

from __future__ import annotations

import datetime as dt

import pytest

from clientela.clients.models import Client
from clientela.deals import services as deal_services
from clientela.deals.board.services import deal_move
from clientela.deals.defaults import ensure_defaults
from clientela.deals.models import Deal, Pipeline, Stage


@pytest.fixture
def cadence_clients(world):
    ensure_defaults()
    north = Client.objects.create(
        name="Ștefan & Fiii", country="RO", owner=world.manager_north, team=world.north
    )
    north2 = Client.objects.create(
        name="Kovács Kft", country="HU", owner=world.manager_north2, team=world.north
    )
    south = Client.objects.create(
        name="ООО Морозов", country="RO", owner=world.manager_south, team=world.south
    )
    return {"north": north, "north2": north2, "south": south}


def won_stage() -> Stage:
    return Stage.objects.get(pipeline__code="corporate", is_won=True)


@pytest.fixture
def win_deal(world, cadence_clients):
    """`win_deal(client=…, owner=…, at=…)`: a deal started and won (at `at`, default now)."""

    def make(*, client=None, owner=None, at: dt.datetime | None = None, title: str = "Licences") -> Deal:
        owner = owner or world.manager_north
        deal = deal_services.deal_create(
            by=owner,
            client=client or cadence_clients["north"],
            pipeline=Pipeline.objects.get(code="corporate"),
            amount="1000.00",
            currency="RON",
            title=title,
        )
        return deal_move(by=owner, deal=deal, stage=won_stage(), at=at)

    return make
