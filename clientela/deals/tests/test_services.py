"""Deal services: creation, optimistic locking, who may change a deal, scoping, and the client
card's deal figures and handovers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clientela.core.audit import history_for
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.models import AuditEntry, Notification
from clientela.core.permissions import Action, can
from clientela.deals import selectors, services
from clientela.deals.board import services as board_services
from clientela.deals.catalogue import services as catalogue_services
from clientela.deals.choices import DealEventKind, DealStatus
from clientela.deals.client_card import client_deal_summary, deal_family_figures, move_deals_on_handover
from clientela.deals.models import (
    Deal,
    DealEvent,
    DealStageChange,
)
from clientela.deals.tests.conftest import snapshot, stage

pytestmark = pytest.mark.urls("clientela.deals.tests.urls")


# --- creation ------------------------------------------------------------------------------------


def test_create_starts_in_the_first_open_stage_of_the_default_pipeline(world, clients):
    deal = services.deal_create(by=world.manager_north, client=clients["north"], amount="1200.50")
    assert deal.pipeline.code == "corporate" and deal.pipeline.is_default
    assert deal.stage.code == "first_contact"
    assert deal.status == DealStatus.OPEN
    assert deal.owner == world.manager_north and deal.team == world.north
    assert deal.amount == Decimal("1200.50")
    assert deal.currency == "RON"  # from the client's country
    assert deal.title == clients["north"].name
    assert deal.version == 1
    change = DealStageChange.objects.get(deal=deal)
    assert change.from_stage is None and change.to_stage == deal.stage and change.seconds_in_previous is None
    assert history_for(deal).filter(action="create").exists()
    assert DealEvent.objects.filter(deal=deal, kind=DealEventKind.CREATED).exists()


def test_create_with_a_foreign_currency_and_contacts(world, clients):
    contact = clients["north"].contacts.get()
    deal = services.deal_create(
        by=world.manager_north, client=clients["north"], currency="eur", contacts=[contact], title="  Pilot  "
    )
    assert deal.currency == "EUR"
    assert list(deal.contacts.all()) == [contact]
    assert deal.title == "Pilot"


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("currency", {"currency": "EURO"}),
        ("amount", {"amount": "12.345"}),
        ("amount", {"amount": 10.5}),
        ("amount", {"amount": "-1"}),
    ],
)
def test_create_refuses_bad_money_and_writes_nothing(world, clients, field, kwargs):
    with pytest.raises(BusinessError) as caught:
        services.deal_create(by=world.manager_north, client=clients["north"], **kwargs)
    assert caught.value.status == 422 and field in caught.value.errors
    assert not Deal.objects.exists()
    assert not AuditEntry.objects.filter(content_type__model="deal").exists()


def test_create_refuses_an_invisible_client_and_a_marketer(world, clients):
    with pytest.raises(BusinessError) as caught:
        services.deal_create(by=world.manager_north, client=clients["south"])
    assert "client" in caught.value.errors
    with pytest.raises(PermissionDeniedError):
        services.deal_create(by=world.marketer_north, client=clients["north"])
    assert not Deal.objects.exists()


def test_create_refuses_contacts_of_another_client(world, clients):
    from clientela.clients.models import Contact

    other = Contact.objects.create(client=clients["north2"], first_name="Béla")
    with pytest.raises(BusinessError) as caught:
        services.deal_create(by=world.head_north, client=clients["north"], contacts=[other])
    assert "contacts" in caught.value.errors


def test_only_heads_give_a_new_deal_to_someone_else(world, clients):
    with pytest.raises(PermissionDeniedError):
        services.deal_create(by=world.manager_north, client=clients["north"], owner=world.manager_north2)
    deal = services.deal_create(by=world.head_north, client=clients["north"], owner=world.manager_north2)
    assert deal.owner == world.manager_north2
    assert Notification.objects.filter(user=world.manager_north2, verb="deal_assigned").exists()
    with pytest.raises(BusinessError) as caught:
        services.deal_create(by=world.head_north, client=clients["north"], owner=world.manager_south)
    assert "owner" in caught.value.errors


def test_a_new_deal_cannot_start_closed(world, clients):
    with pytest.raises(BusinessError) as caught:
        services.deal_create(by=world.manager_north, client=clients["north"], stage=stage("won"))
    assert "stage" in caught.value.errors


def test_a_client_with_deals_cannot_be_deleted(world, make_deal, clients):
    from django.db.models import ProtectedError

    make_deal()
    with pytest.raises(ProtectedError):
        clients["north"].delete()


# --- optimistic locking ----------------------------------------------------------------------


def test_a_stale_edit_is_a_conflict_and_overwrites_nothing(world, make_deal):
    deal = make_deal()
    first = Deal.objects.get(pk=deal.pk)
    second = Deal.objects.get(pk=deal.pk)
    services.deal_update(by=world.manager_north, deal=first, data={"title": "Mine first"}, version=1)
    before = snapshot(deal)
    with pytest.raises(ConflictError) as caught:
        services.deal_update(
            by=world.head_north, deal=second, data={"title": "Theirs", "amount": "5"}, version=1
        )
    assert caught.value.status == 409
    assert "version" in caught.value.errors and "2" in caught.value.message
    assert snapshot(deal) == before
    stored = Deal.objects.get(pk=deal.pk)
    assert stored.title == "Mine first" and stored.amount == Decimal("1000.00") and stored.version == 2


def test_an_edit_with_the_current_version_applies_and_is_audited(world, make_deal):
    deal = make_deal()
    services.deal_update(
        by=world.manager_north,
        deal=deal,
        data={"amount": "2500", "next_step_date": dt.date(2030, 1, 2), "next_step_subject": "Call Ioana"},
        version=deal.version,
    )
    stored = Deal.objects.get(pk=deal.pk)
    assert stored.amount == Decimal("2500.00") and stored.version == 2
    entry = history_for(stored).filter(action="update").get()
    assert entry.changes["amount"] == ["1000.00", "2500.00"]
    assert DealEvent.objects.filter(deal=deal, kind=DealEventKind.EDITED).exists()


def test_bad_fields_of_an_edit_write_nothing(world, make_deal):
    deal = make_deal()
    before = snapshot(deal)
    with pytest.raises(BusinessError) as caught:
        services.deal_update(
            by=world.manager_north,
            deal=deal,
            data={"amount": "1,5", "currency": "RUR", "title": ""},
            version=1,
        )
    assert set(caught.value.errors) == {"amount", "currency", "title"}
    assert snapshot(deal) == before


def test_the_amount_follows_the_lines(world, make_deal, products):
    deal = make_deal(amount="0")
    catalogue_services.line_add(
        by=world.manager_north, deal=deal, product=products["audit"], quantity="2", discount_percent="10"
    )
    catalogue_services.line_add(
        by=world.manager_north, deal=deal, name="Travel", quantity="1", unit_price="150.25"
    )
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.amount == Decimal("2850.25")  # 2 × 1500 − 10% + 150.25
    with pytest.raises(BusinessError) as caught:
        services.deal_update(by=world.manager_north, deal=deal, data={"amount": "99"}, version=deal.version)
    assert "amount" in caught.value.errors
    with pytest.raises(BusinessError) as caught:
        services.deal_update(
            by=world.manager_north, deal=deal, data={"currency": "EUR"}, version=deal.version
        )
    assert "currency" in caught.value.errors
    line = deal.lines.get(name="Travel")
    catalogue_services.line_remove(by=world.manager_north, line=line)
    assert Deal.objects.get(pk=deal.pk).amount == Decimal("2700.00")


def test_moves_bump_the_version_so_open_edit_forms_go_stale(world, make_deal):
    deal = make_deal()
    board_services.deal_move(by=world.manager_north, deal=deal, stage=stage("needs_identified"))
    with pytest.raises(ConflictError):
        services.deal_update(by=world.manager_north, deal=deal, data={"title": "Old form"}, version=1)
    with pytest.raises(ConflictError):
        board_services.deal_move(
            by=world.manager_north, deal=Deal.objects.get(pk=deal.pk), stage=stage("negotiation"), version=1
        )
    assert Deal.objects.get(pk=deal.pk).stage.code == "needs_identified"


# --- who may do what ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("manager_north", True),  # owner
        ("head_north", True),
        ("admin", True),
        ("manager_north2", False),  # teammate, not the owner
        ("manager_south", False),
        ("marketer_north", False),
    ],
)
def test_who_may_change_a_deal(world, make_deal, who, allowed):
    deal = make_deal()
    user = getattr(world, who)
    assert can(user, deal, Action.WORK) is allowed
    if not allowed:
        before = snapshot(deal)
        with pytest.raises(PermissionDeniedError):
            board_services.deal_move(by=user, deal=deal, stage=stage("negotiation"))
        with pytest.raises(PermissionDeniedError):
            services.deal_update(by=user, deal=deal, data={"title": "x"}, version=1)
        assert snapshot(deal) == before


def test_scoping_of_deals(world, make_deal, clients):
    mine = make_deal()
    theirs = make_deal(owner=world.manager_north2, client=clients["north2"])
    south = make_deal(owner=world.manager_south, client=clients["south"])
    unassigned = make_deal()
    Deal.objects.filter(pk=unassigned.pk).update(owner=None)
    visible = {
        who: set(selectors.deals_visible_to(getattr(world, who)).values_list("pk", flat=True))
        for who in (
            "manager_north",
            "manager_north2",
            "head_north",
            "manager_south",
            "marketer_north",
            "admin",
        )
    }
    assert visible["manager_north"] == {mine.pk, unassigned.pk}
    assert visible["manager_north2"] == {theirs.pk, unassigned.pk}
    assert visible["head_north"] == {mine.pk, theirs.pk, unassigned.pk}
    assert visible["manager_south"] == {south.pk}
    assert visible["marketer_north"] == {mine.pk, theirs.pk, unassigned.pk}
    assert visible["admin"] == {mine.pk, theirs.pk, south.pk, unassigned.pk}
    assert selectors.can_see_amounts(world.marketer_north) is False


# --- the client card and handovers ---------------------------------------------------------------


def test_client_card_summary_and_family_figures(world, make_deal, clients):
    won = make_deal(amount="500", pipeline_code="direct")
    board_services.deal_win(by=world.manager_north, deal=won)
    make_deal(amount="300")
    summary = client_deal_summary(client=clients["north"], viewer=world.manager_north)
    assert (summary["open"], summary["won"], summary["total"]) == (1, 1, 2)
    assert "500.00\u00a0RON" in summary["won_revenue"]
    figures = {
        str(label): value for label, value in deal_family_figures([clients["north"].pk], world.head_north)
    }
    assert figures["Open deals"] == 1 and "500.00\u00a0RON" in figures["Won in the last 12 months"]
    marketer = {
        str(label): value for label, value in deal_family_figures([clients["north"].pk], world.marketer_north)
    }
    assert list(marketer) == ["Open deals"]
    assert client_deal_summary(client=clients["north"], viewer=world.manager_south)["total"] == 0


def test_handover_moves_open_deals_of_the_previous_manager(world, make_deal, clients):
    open_deal = make_deal()
    closed = make_deal(pipeline_code="direct")
    board_services.deal_win(by=world.manager_north, deal=closed)
    moved = move_deals_on_handover(
        by=world.head_north,
        handover=None,
        client_ids=[clients["north"].pk],
        from_user_ids=[world.manager_north.pk],
        to_user=world.manager_north2,
    )
    assert moved == 1
    stored = Deal.objects.get(pk=open_deal.pk)
    assert stored.owner == world.manager_north2 and stored.version == 2
    assert Deal.objects.get(pk=closed.pk).owner == world.manager_north
    assert DealEvent.objects.filter(deal=open_deal, kind=DealEventKind.ASSIGNED).exists()
    assert AuditEntry.objects.filter(event="handover", action="bulk").exists()


def test_only_heads_put_a_deal_back_in_the_team_queue(world, make_deal):
    deal = make_deal()
    with pytest.raises(PermissionDeniedError):
        services.deal_update(by=world.manager_north, deal=deal, data={"owner": None}, version=1)
    services.deal_update(by=world.head_north, deal=deal, data={"owner": None}, version=1)
    assert Deal.objects.get(pk=deal.pk).owner is None
    taken = services.deal_update(
        by=world.manager_north2,
        deal=Deal.objects.get(pk=deal.pk),
        data={"owner": world.manager_north2},
        version=2,
    )
    assert taken.owner == world.manager_north2  # a manager takes an unassigned deal of the team
