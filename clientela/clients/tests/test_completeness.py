"""Card completeness against the configured norm: the card and the list agree."""

from __future__ import annotations

import pytest

from clientela.clients.choices import CompletenessLevel
from clientela.clients.completeness import (
    COMPANY_FIELD_COUNT,
    PERSON_FIELD_COUNT,
    card_completeness,
    filter_completeness,
    norms,
    with_completeness,
)
from clientela.clients.lists import CLIENTS
from clientela.clients.models import Client, ClientPolicy
from clientela.clients.selectors import client_list
from clientela.clients.services.client import client_policy_update, client_update
from clientela.clients.tests.factories import make_client, make_contact


def ro_cui(body: str) -> str:
    """A valid Romanian CUI made of `body` and its check digit."""
    weights = (7, 5, 3, 2, 1, 7, 5, 3, 2)
    padded = body.rjust(9, "0")
    return body + str(sum(int(d) * w for d, w in zip(padded, weights, strict=True)) * 10 % 11 % 10)


def full(n: int) -> dict:
    """Every key field but the contact, with legal ids unique to `n`."""
    return {**FULL, "tax_id": ro_cui(f"1854{n:03d}"), "registration_number": f"J40/{n}/2005"}


FULL = {
    "legal_form": "SRL",
    "tax_id": "18547290",
    "registration_number": "J40/1234/2005",
    "industry": "Logistics",
    "employees": 50,
    "revenue_band": "1m_10m",
    "country": "RO",
    "region": "Ilfov",
    "city": "Bucharest",
    "address": "Str. Lunga 1",
    "website": "example.ro",
    "phone": "+40721000111",
    "email": "office@example.ro",
    "payment_terms_days": 30,
    "credit_limit": "1000",
    "credit_currency": "RON",
}


def test_an_empty_card_lists_what_is_missing(world):
    client = make_client(None, name="Bare")
    result = card_completeness(client)
    assert result.filled == 1  # the name
    assert result.norm.total == COMPANY_FIELD_COUNT == 18
    assert not result.normal and result.level == CompletenessLevel.BELOW
    missing = [str(m) for m in result.missing]
    assert "Tax id" in missing and "A contact person" in missing and "Personal manager" in missing
    assert result.percent == 100 // 15


def test_a_full_card_is_complete_and_its_percent_is_capped(world):
    client = make_client(world.manager_north, name="Full", **FULL)
    make_contact(client)
    result = card_completeness(client)
    assert result.filled == 18 and result.missing == []
    assert result.percent == 100 and result.level == CompletenessLevel.COMPLETE


def test_the_norm_is_ten_fields_by_default(world):
    fields = dict(list(FULL.items())[:8])  # name + 8 = 9 filled: below
    client = make_client(None, name="Nine", **fields)
    assert card_completeness(client).filled == 9 and not card_completeness(client).normal
    client_update(by=world.admin, client=client, data={"address": "Somewhere 2"})
    client.refresh_from_db()
    result = card_completeness(client)
    assert result.filled == 10 and result.normal and result.percent == 66


def test_private_persons_have_a_proportional_norm(world):
    person = make_client(None, name="Ion Popescu", kind="person", city="Cluj", phone="+40721000222")
    result = card_completeness(person)
    assert result.norm.total == PERSON_FIELD_COUNT == 11
    assert "Tax id" not in [str(m) for m in result.missing]
    by_kind = norms()
    assert by_kind["person"].target == round(15 * 11 / 18)
    assert by_kind["person"].minimum == round(10 * 11 / 18)


def test_the_norm_is_configured_by_the_admin(world):
    client = make_client(None, name="Eight", **dict(list(FULL.items())[:7]))
    assert not card_completeness(client).normal
    client_policy_update(by=world.admin, data={"card_norm_min": 8, "card_norm_target": 12})
    assert card_completeness(client).normal
    assert card_completeness(client).percent == 8 * 100 // 12


def test_sql_and_python_agree_on_every_card(world):
    clients = [
        make_client(None, name="Bare"),
        make_client(world.manager_north, name="Half", **dict(list(full(1).items())[:6])),
        make_client(world.manager_north, name="Full", **full(2)),
        make_client(None, name="Person", kind="person", city="Cluj", email="p@example.com"),
        make_client(
            world.manager_north,
            name="Person 2",
            kind="person",
            **{k: FULL[k] for k in ("country", "city", "phone")},
        ),
    ]
    make_contact(clients[2])
    annotated = {c.pk: c for c in with_completeness(Client.objects.all())}
    for client in clients:
        card = card_completeness(Client.objects.get(pk=client.pk))
        row = annotated[client.pk]
        assert (row.completeness_filled, row.completeness_percent) == (card.filled, card.percent), client.name
        for level in CompletenessLevel.values:
            in_filter = filter_completeness(Client.objects.filter(pk=client.pk), level).exists()
            expected = {
                CompletenessLevel.BELOW: not card.normal,
                CompletenessLevel.NORMAL: card.normal,
                CompletenessLevel.COMPLETE: card.percent >= 100,
            }[level]
            assert in_filter == expected, (client.name, level)


@pytest.mark.parametrize(
    ("level", "names"), [("below", {"Bare"}), ("normal", {"Ten", "Full"}), ("complete", {"Full"})]
)
def test_the_list_filters_by_completeness(world, level, names):
    make_client(world.manager_north, name="Bare")
    make_client(world.manager_north, name="Ten", **dict(list(full(1).items())[:8]))  # + name + owner = 10
    complete = make_client(world.manager_north, name="Full", **full(2))
    make_contact(complete)
    found = client_list(viewer=world.manager_north, filters=CLIENTS.values(completeness=level))
    assert {c.name for c in found} == names


def test_policy_row_is_made_once(db):
    assert ClientPolicy.current().pk == ClientPolicy.current().pk == 1
