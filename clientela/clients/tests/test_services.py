"""Client services: values checked per field, legal ids unique per country, HQ rules,
archive instead of delete, lost/reactivate, permissions, audit."""

from __future__ import annotations

import decimal

import pytest

from clientela.clients.models import Client
from clientela.clients.services.client import (
    client_archive,
    client_can_delete,
    client_create,
    client_delete,
    client_mark_lost,
    client_policy_update,
    client_reactivate,
    client_restore,
    client_update,
)
from clientela.clients.services.derived import client_record_activity
from clientela.clients.tests.factories import make_client, make_contact
from clientela.core.audit import history_for
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.models import AuditAction, AuditEntry


def errors_of(excinfo) -> dict:
    return excinfo.value.errors


def test_manager_creates_a_client_for_themselves_with_normalised_values(world):
    client = client_create(
        by=world.manager_north,
        data={
            "name": "  Alpha   Nord SRL ",
            "country": "ro",
            "tax_id": "RO 185 472 90",
            "registration_number": "J40/1234/2005",
            "phone": "0721 234 567",
            "email": "Office@Alpha.RO",
            "other_phones": ["+36 1 234 5678", "0721 234 567"],
            "website": "alpha.ro",
            "credit_limit": "15000.50",
            "credit_currency": "ron",
            "discount_percent": "7.5",
        },
        tags=["Key account", "key account", "VIP"],
    )
    client.refresh_from_db()
    assert client.owner == world.manager_north and client.team == world.north
    assert client.name == "Alpha Nord SRL"
    assert client.tax_id == "18547290" and client.tax_key == "18547290"
    assert client.phone == "+40721234567" and client.phone_raw == "0721 234 567"
    assert client.email == "office@alpha.ro"
    assert client.other_phones == ["+3612345678", "+40721234567"]
    assert client.website == "https://alpha.ro"
    assert client.credit_limit == decimal.Decimal("15000.50") and client.credit_currency == "RON"
    assert client.discount_percent == decimal.Decimal("7.50")
    assert sorted(t.name for t in client.tags.all()) == ["Key account", "VIP"]
    assert "alpha nord" in client.search_text and "40721234567" in client.search_text
    entry = history_for(client).filter(action=AuditAction.CREATE).get()
    assert entry.actor == world.manager_north and entry.changes["tax_id"] == [None, "18547290"]


def test_every_bad_field_is_reported_at_once(world):
    with pytest.raises(BusinessError) as excinfo:
        client_create(
            by=world.manager_north,
            data={
                "name": "",
                "country": "XX",
                "email": "not-an-email",
                "phone": "12",
                "website": "http://",
                "employees": "many",
                "credit_limit": "-5",
                "discount_percent": "150",
                "revenue_band": "huge",
            },
        )
    assert excinfo.value.status == 422
    assert set(errors_of(excinfo)) >= {
        "name",
        "country",
        "email",
        "phone",
        "website",
        "employees",
        "credit_limit",
        "discount_percent",
        "revenue_band",
    }
    assert not Client.objects.exists()


def test_tax_id_is_checked_for_the_country(world):
    with pytest.raises(BusinessError) as excinfo:
        client_create(by=world.manager_north, data={"name": "X", "country": "RO", "tax_id": "18547291"})
    assert "check digit" in errors_of(excinfo)["tax_id"][0]
    with pytest.raises(BusinessError) as excinfo:
        client_create(
            by=world.manager_north, data={"name": "X", "country": "HU", "registration_number": "99-09-1"}
        )
    assert "registration_number" in errors_of(excinfo)


def test_credit_limit_needs_a_currency_and_money_is_never_a_float(world):
    with pytest.raises(BusinessError) as excinfo:
        client_create(by=world.manager_north, data={"name": "X", "credit_limit": "100"})
    assert "credit_currency" in errors_of(excinfo)
    client = client_create(
        by=world.manager_north, data={"name": "Y", "credit_limit": 0.1, "credit_currency": "EUR"}
    )
    assert client.credit_limit == decimal.Decimal("0.10")
    with pytest.raises(BusinessError) as excinfo:
        client_update(by=world.manager_north, client=client, data={"credit_limit": "10.123"})
    assert "two decimal" in errors_of(excinfo)["credit_limit"][0]


def test_tax_id_is_unique_per_country_and_says_who_has_it(world):
    first = make_client(world.manager_north, name="Alpha", country="HU", tax_id="10773381-2-44")
    # The EU VAT form of the same taxpayer number is the same company.
    with pytest.raises(ConflictError) as excinfo:
        client_create(by=world.manager_north, data={"name": "Copy", "country": "HU", "tax_id": "HU10773381"})
    assert excinfo.value.status == 409
    assert f"Alpha (#{first.pk})" in errors_of(excinfo)["tax_id"][0]
    # Another country may have the same digits.
    other = client_create(
        by=world.manager_north, data={"name": "Elsewhere", "country": "DE", "tax_id": "10773381-2-44"}
    )
    assert other.pk
    assert Client.objects.filter(tax_key="10773381").count() == 1


def test_uniqueness_does_not_reveal_an_invisible_client(world):
    make_client(world.manager_south, name="Secret South Kft", country="RO", tax_id="18547290")
    with pytest.raises(ConflictError) as excinfo:
        client_create(by=world.manager_north, data={"name": "Mine", "country": "RO", "tax_id": "18547290"})
    message = errors_of(excinfo)["tax_id"][0]
    assert "Secret South" not in message and "Another team" in message


def test_registration_number_is_unique_per_country(world):
    make_client(world.manager_north, name="A", country="RO", registration_number="J40/1234/2005")
    with pytest.raises(ConflictError) as excinfo:
        client_create(
            by=world.manager_north,
            data={"name": "B", "country": "RO", "registration_number": "j40 1234 2005"},
        )
    assert "registration_number" in errors_of(excinfo)


def test_changing_the_country_rechecks_the_legal_ids(world):
    client = make_client(world.manager_north, country="RO", tax_id="18547290")
    with pytest.raises(BusinessError) as excinfo:
        client_update(by=world.manager_north, client=client, data={"country": "HU"})
    assert "tax_id" in errors_of(excinfo)
    client.refresh_from_db()
    assert client.country == "RO"


def test_update_changes_only_what_was_sent_and_audits_it(world):
    client = make_client(world.manager_north, name="Alpha", city="Cluj", country="RO")
    client_update(by=world.manager_north, client=client, data={"city": "Iași", "employees": 120})
    client.refresh_from_db()
    assert (client.city, client.employees, client.name) == ("Iași", 120, "Alpha")
    entry = history_for(client).filter(action=AuditAction.UPDATE).get()
    assert entry.changes == {"city": ["Cluj", "Iași"], "employees": [None, 120]}
    assert "iasi" in client.search_text


def test_owner_is_not_changed_by_update(world):
    client = make_client(world.manager_north)
    with pytest.raises(BusinessError) as excinfo:
        client_update(by=world.head_north, client=client, data={"owner": world.manager_north2.pk})
    assert "owner" in errors_of(excinfo)


@pytest.mark.parametrize("who", ["manager_north2", "manager_south", "marketer_north"])
def test_others_cannot_change_a_managers_client(world, who):
    client = make_client(world.manager_north, name="Mine")
    with pytest.raises(PermissionDeniedError):
        client_update(by=getattr(world, who), client=client, data={"name": "Taken"})
    client.refresh_from_db()
    assert client.name == "Mine"


def test_head_of_the_team_and_admin_may_change_it(world):
    client = make_client(world.manager_north, name="Mine")
    client_update(by=world.head_north, client=client, data={"name": "By head"})
    client_update(by=world.admin, client=client, data={"name": "By admin"})
    client.refresh_from_db()
    assert client.name == "By admin"


def test_marketer_cannot_create_clients(world):
    with pytest.raises(PermissionDeniedError):
        client_create(by=world.marketer_north, data={"name": "X"})


def test_manager_cannot_give_a_new_client_to_someone_else(world):
    with pytest.raises(PermissionDeniedError):
        client_create(by=world.manager_north, data={"name": "X"}, owner=world.manager_north2)
    client = client_create(by=world.head_north, data={"name": "X"}, owner=world.manager_north2)
    assert client.owner == world.manager_north2 and client.team == world.north
    with pytest.raises(BusinessError):
        client_create(by=world.head_north, data={"name": "Y"}, owner=world.manager_south)


def test_headquarters_rules(world):
    hq = make_client(world.manager_north, name="HQ")
    branch = make_client(world.manager_north, name="Branch", headquarters=hq)
    assert branch.headquarters == hq
    # A branch of a branch is not allowed: pick the head office.
    with pytest.raises(BusinessError) as excinfo:
        make_client(world.manager_north, name="Sub", headquarters=branch)
    assert "branch" in errors_of(excinfo)["headquarters"][0]
    # An HQ with branches cannot become a branch itself.
    other = make_client(world.manager_north, name="Other HQ")
    with pytest.raises(BusinessError):
        client_update(by=world.manager_north, client=hq, data={}, headquarters=other)
    # Nor its own HQ.
    with pytest.raises(BusinessError):
        client_update(by=world.manager_north, client=other, data={}, headquarters=other)
    # A manager may only link to a head office they can see.
    foreign = make_client(world.manager_south, name="South HQ")
    with pytest.raises(BusinessError) as excinfo:
        client_update(by=world.manager_north, client=other, data={}, headquarters=foreign)
    assert "headquarters" in errors_of(excinfo)
    client_update(by=world.manager_north, client=branch, data={}, headquarters=None)
    branch.refresh_from_db()
    assert branch.headquarters is None


def test_archive_instead_of_delete(world):
    client = make_client(world.manager_north)
    make_contact(client)
    client_archive(by=world.manager_north, client=client)
    client.refresh_from_db()
    assert client.is_archived and client.archived_at
    assert not client_can_delete(client)
    with pytest.raises(ConflictError):
        client_delete(by=world.admin, client=client)
    assert Client.objects.filter(pk=client.pk).exists()
    client_restore(by=world.manager_north, client=client)
    client.refresh_from_db()
    assert not client.is_archived


def test_an_hq_with_working_branches_is_not_archived(world):
    hq = make_client(world.manager_north)
    make_client(world.manager_north, headquarters=hq)
    with pytest.raises(ConflictError):
        client_archive(by=world.manager_north, client=hq)


def test_client_can_delete_sees_every_related_record(world):
    from clientela.leads.tests.test_views_helpers import make_lead

    client = make_client(world.manager_north)
    assert client_can_delete(client)
    lead = make_lead(owner=world.manager_north, team=world.north)
    lead.client = client
    lead.save(update_fields=["client"])
    assert not client_can_delete(client)  # a source lead refers to it


def test_only_admins_delete_an_empty_client_and_it_is_audited(world):
    client = make_client(world.manager_north, name="Mistake")
    with pytest.raises(PermissionDeniedError):
        client_delete(by=world.manager_north, client=client)
    pk = client.pk
    client_delete(by=world.admin, client=client)
    assert not Client.objects.filter(pk=pk).exists()
    assert AuditEntry.objects.filter(event="deleted", object_id=str(pk)).exists()


def test_mark_lost_needs_a_reason_from_the_taxonomy_and_can_be_undone(world):
    client = make_client(world.manager_north)
    with pytest.raises(BusinessError) as excinfo:
        client_mark_lost(by=world.manager_north, client=client, reason="bored")
    assert "reason" in errors_of(excinfo)
    client_mark_lost(by=world.manager_north, client=client, reason="attitude", note="rude call")
    client.refresh_from_db()
    assert client.lost_at and client.lost_reason == "attitude"
    with pytest.raises(ConflictError):
        client_mark_lost(by=world.manager_north, client=client, reason="quality")
    client_reactivate(by=world.manager_north, client=client)
    client.refresh_from_db()
    assert client.lost_at is None and client.lost_reason == ""


def test_record_activity_only_moves_forward(world):
    import datetime as dt

    from django.utils import timezone

    client = make_client(world.manager_north)
    now = timezone.now()
    client_record_activity(client=client, at=now)
    client_record_activity(client=client, at=now - dt.timedelta(days=3))
    client.refresh_from_db()
    assert client.last_activity_at == now


def test_policy_is_admin_only_and_consistent(world):
    with pytest.raises(PermissionDeniedError):
        client_policy_update(by=world.head_north, data={"card_norm_min": 5})
    with pytest.raises(BusinessError):
        client_policy_update(by=world.admin, data={"card_norm_min": 16, "card_norm_target": 15})
    policy = client_policy_update(by=world.admin, data={"card_norm_min": 8, "card_norm_target": 12})
    assert (policy.card_norm_min, policy.card_norm_target) == (8, 12)
