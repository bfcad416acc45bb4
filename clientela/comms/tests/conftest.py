"""Helpers for the response-clock tests: a Bucharest team and leads without clocks of their own."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from clientela.comms.models import ResponseClock
from clientela.leads.models import Lead
from clientela.leads.services.lifecycle import lead_create

BUCHAREST = zoneinfo.ZoneInfo("Europe/Bucharest")


def local(*parts: int) -> dt.datetime:
    """A Bucharest wall-clock moment (2025-03-03 is a Monday)."""
    return dt.datetime(*parts, tzinfo=BUCHAREST)  # type: ignore[misc]


@pytest.fixture
def north_in_bucharest(world):
    world.north.time_zone = "Europe/Bucharest"
    world.north.save(update_fields=["time_zone"])
    return world


@pytest.fixture
def make_lead(north_in_bucharest):
    world = north_in_bucharest
    counter = iter(range(1, 1000))

    def make(*, temperature: str = "", owner=world.manager_north, team=world.north) -> Lead:
        n = next(counter)
        lead = lead_create(
            by=None,
            fields={
                "first_name": "Ion",
                "last_name": f"Popescu{n}",
                "phone": f"+4072112{n:04d}",
                "team": team,
                "temperature": temperature,
                "temperature_manual": bool(temperature),
            },
            owner=owner,
        )
        # The tests start clocks at moments they choose; drop any clock lead creation started.
        ResponseClock.objects.filter(lead=lead).delete()
        return lead

    return make
