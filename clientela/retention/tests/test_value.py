"""Key-client figures against a hand computation: revenue (two currencies and a rate, payments
instead of won amounts, never both), ABC classes, RFM scores, repeat purchase, concentration
alerts at and above the level, and the filters of the client list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from clientela.clients.models import Client
from clientela.clients.tests.factories import make_client
from clientela.core.models import AuditEntry, Notification
from clientela.deals.choices import DealStatus, PaymentKind
from clientela.deals.models import Deal, ExchangeRate, Payment
from clientela.deals.services import deal_create
from clientela.retention import value
from clientela.retention.models import RetentionPolicy, ValueRun

TODAY = dt.date(2026, 12, 7)  # the window: 8 Dec 2025 – 7 Dec 2026


def at(day: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12, 0)))


def won(client, amount: str, currency: str, day: str) -> Deal:
    deal = deal_create(by=None, client=client, owner=client.owner, title="Deal", currency=currency)
    Deal.objects.filter(pk=deal.pk).update(status=DealStatus.WON, amount=Decimal(amount), closed_at=at(day))
    return deal


def received(deal: Deal, amount: str, day: str) -> Payment:
    return Payment.objects.create(
        deal=deal,
        kind=PaymentKind.RECEIVED,
        amount=Decimal(amount),
        currency=deal.currency,
        paid_on=dt.date.fromisoformat(day),
    )


@pytest.fixture
def base_eur(settings):
    settings.BASE_CURRENCY = "EUR"
    # 1 RON = 0.20 EUR from a day inside the window (the rate in force on the last day counts).
    ExchangeRate.objects.create(
        currency="RON", base="EUR", rate=Decimal("0.25"), valid_from=dt.date(2025, 1, 1)
    )
    ExchangeRate.objects.create(
        currency="RON", base="EUR", rate=Decimal("0.2"), valid_from=dt.date(2026, 1, 1)
    )


@pytest.fixture
def book(world, base_eur):
    """North (Mara): Kappa, Gamma, Alfa, Beta, Epsilon; South (Sándor): Delta, Eta."""
    mara, sandor = world.manager_north, world.manager_south
    c = {name: make_client(mara, name=name) for name in ("Kappa", "Gamma", "Alfa", "Beta", "Epsilon")}
    c.update({name: make_client(sandor, name=name) for name in ("Delta", "Eta")})
    # Kappa: won 10,000 RON, nothing received → 10,000 × 0.20 = 2,000 EUR.
    won(c["Kappa"], "10000", "RON", "2026-09-01")
    # Gamma: an open deal with a 1,400 EUR prepayment received in the window → 1,400.
    open_deal = deal_create(by=None, client=c["Gamma"], owner=mara, title="Open", currency="EUR")
    Deal.objects.filter(pk=open_deal.pk).update(amount=Decimal("9000"))
    received(open_deal, "1400", "2026-10-01")
    # Alfa: 600 EUR won in the window; 900 won before it (a purchase, not revenue) → 600.
    won(c["Alfa"], "900", "EUR", "2025-01-10")
    won(c["Alfa"], "600", "EUR", "2026-06-01")
    # Beta: won 5,000 RON, received 2,500 RON in the window and 1,000 RON before it: the payments
    # count, not the won amount → 2,500 × 0.20 = 500 EUR.
    beta = won(c["Beta"], "5000", "RON", "2026-02-01")
    received(beta, "2500", "2026-03-01")
    received(beta, "1000", "2025-11-01")
    # Delta: won 400 EUR; a lost deal's received payment never counts → 400.
    won(c["Delta"], "400", "EUR", "2026-11-01")
    lost = deal_create(by=None, client=c["Delta"], owner=sandor, title="Lost", currency="EUR")
    Deal.objects.filter(pk=lost.pk).update(status=DealStatus.LOST, closed_at=at("2026-05-02"))
    received(lost, "300", "2026-05-01")
    # Eta: 100 EUR and 700 USD won the same day; USD has no rate → 100, 700 USD shown apart.
    won(c["Eta"], "100", "EUR", "2026-11-20")
    won(c["Eta"], "700", "USD", "2026-11-20")
    # A won deal outside the window without payments, and a deal still open: nothing.
    return c


def stored(clients):
    return {name: Client.objects.get(pk=client.pk) for name, client in clients.items()}


def test_revenue_abc_and_rfm_match_the_hand_computation(book):
    run = value.value_classify(by=None, today=TODAY)
    c = stored(book)
    revenue = {name: c[name].revenue_12m for name in c}
    assert revenue == {
        "Kappa": Decimal("2000.00"),
        "Gamma": Decimal("1400.00"),
        "Alfa": Decimal("600.00"),
        "Beta": Decimal("500.00"),
        "Epsilon": Decimal("0.00"),
        "Delta": Decimal("400.00"),
        "Eta": Decimal("100.00"),
    }
    assert run.revenue_total == Decimal("5000.00")
    assert run.clients_with_revenue == 6
    assert run.missing == {"USD": "700.00"}
    assert (run.window_from, run.window_to) == (dt.date(2025, 12, 8), TODAY)
    # Sorted: 2000 (before 0 %), 1400 (40 %), 600 (68 %) → A; 500 (before exactly 80 %) and 400
    # (90 %) → B; 100 (98 %) → C; no revenue → no class.
    assert {name: c[name].abc_class for name in c} == {
        "Kappa": "A",
        "Gamma": "A",
        "Alfa": "A",
        "Beta": "B",
        "Delta": "B",
        "Eta": "C",
        "Epsilon": "",
    }
    # Purchases (won deals, all time): last purchase Beta 1 Feb < Alfa 1 Jun < Kappa 1 Sep < Delta
    # 1 Nov < Eta 20 Nov → R 1..5; frequency 1 (Kappa, Beta, Delta) → F 1, 2 (Alfa, Eta) → 1 + ⌊5×3/5⌋ = 4;
    # value Eta 100 (USD unpriced) < Delta 400 < Beta 700 (3,500 RON received) < Alfa 1,500 < Kappa 2,000.
    rfm = {name: (c[name].rfm_r, c[name].rfm_f, c[name].rfm_m) for name in c}
    assert rfm == {
        "Kappa": (3, 1, 5),
        "Alfa": (2, 4, 4),
        "Beta": (1, 1, 3),
        "Delta": (4, 1, 2),
        "Eta": (5, 4, 1),
        "Gamma": (None, None, None),  # an open deal is no purchase
        "Epsilon": (None, None, None),
    }
    assert c["Alfa"].first_purchase_at == at("2025-01-10")
    assert c["Alfa"].second_purchase_at == at("2026-06-01")
    assert c["Kappa"].second_purchase_at is None
    # Value to date (the passive list's): won deals at the latest rates, whatever was received —
    # Kappa 10,000 RON × 0.20, Alfa 900 + 600, Beta 5,000 RON × 0.20, Delta 400 (the lost deal's
    # payment is no purchase), Eta 100 (700 USD has no rate); last purchase the latest won deal.
    worth = {name: c[name].value_to_date for name in c}
    assert worth == {
        "Kappa": Decimal("2000.00"),
        "Gamma": Decimal("0.00"),
        "Alfa": Decimal("1500.00"),
        "Beta": Decimal("1000.00"),
        "Epsilon": Decimal("0.00"),
        "Delta": Decimal("400.00"),
        "Eta": Decimal("100.00"),
    }
    assert c["Alfa"].last_purchase_at == at("2026-06-01")
    assert c["Gamma"].last_purchase_at is None


def test_a_second_run_writes_only_what_changed(book):
    first = value.value_classify(by=None, today=TODAY)
    assert first.clients_changed == 6  # every client with revenue or purchases (not Epsilon)
    again = value.value_classify(by=None, today=TODAY)
    assert again.clients_changed == 0
    won(book["Epsilon"], "50", "EUR", "2026-12-01")
    third = value.value_classify(by=None, today=TODAY)
    # Epsilon, and the others whose RFM ranks move now that six clients have purchases.
    assert third.clients_changed >= 1
    assert Client.objects.get(pk=book["Epsilon"].pk).revenue_12m == Decimal("50.00")
    assert ValueRun.objects.count() == 3


def test_the_client_that_crosses_80_percent_is_a(world, base_eur):
    clients = [make_client(world.manager_north, name=name) for name in ("Big", "Middle", "Small")]
    for client, amount in zip(clients, ("70", "20", "10"), strict=True):
        won(client, amount, "EUR", "2026-10-01")
    value.value_classify(by=None, today=TODAY)
    # 70 (before 0 %) → A; 20 (before 70 %, crosses 80 %) → A; 10 (before 90 % < 95 %) → B.
    assert [Client.objects.get(pk=c.pk).abc_class for c in clients] == ["A", "A", "B"]


def test_concentration_shares_and_top_n_per_viewer(book, world):
    value.value_classify(by=None, today=TODAY)
    admin = value.concentration(world.admin)
    assert admin.total == Decimal("5000.00")
    assert [(row["client"], row["share"]) for row in admin.rows[:3]] == [
        ("Kappa", Decimal("40.00")),
        ("Gamma", Decimal("28.00")),
        ("Alfa", Decimal("12.00")),
    ]
    # top 1: 2000/5000; top 5: 4900/5000; top 10: all 6.
    assert [(t["n"], t["share"]) for t in admin.top] == [
        (1, Decimal("40.00")),
        (5, Decimal("98.00")),
        (10, Decimal("100.00")),
    ]
    assert admin.over == 2  # Kappa 40 %, Gamma 28 % > 25 %
    # Mara sees her own clients: 2000 + 1400 + 600 + 500 = 4500; Kappa 44.44 %.
    mara = value.concentration(world.manager_north)
    assert mara.total == Decimal("4500.00")
    assert mara.rows[0]["share"] == Decimal("44.44")
    assert {row["client"] for row in mara.rows} == {"Kappa", "Gamma", "Alfa", "Beta"}
    # The head of North sees North only.
    assert value.concentration(world.head_north).total == Decimal("4500.00")
    # Sándor: Delta 400 of 500 = 80 %.
    assert value.concentration(world.manager_south).rows[0]["share"] == Decimal("80.00")


def test_abc_split_and_rfm_grid(book, world):
    value.value_classify(by=None, today=TODAY)
    split = {row["abc"]: row for row in value.abc_split(world.admin)}
    assert (split["A"]["clients"], split["A"]["revenue"], split["A"]["share"]) == (
        3,
        Decimal("4000.00"),
        Decimal("80.00"),
    )
    assert (split["B"]["clients"], split["B"]["revenue"]) == (2, Decimal("900.00"))
    assert (split["C"]["clients"], split["none"]["clients"]) == (1, 1)
    assert split["A"]["_links"]["clients"].endswith("?abc=A")
    grid = {row["r"]: row for row in value.rfm_grid(world.admin)}
    assert grid[3]["f1"] == 1 and grid[3]["f1_revenue"] == Decimal("2000.00")  # Kappa
    assert grid[5]["f4"] == 1  # Eta
    assert sum(row[f"f{f}"] for row in grid.values() for f in range(1, 6)) == 5
    assert "rfm_r=3" in grid[3]["_links"]["f1"] and "rfm_f=1" in grid[3]["_links"]["f1"]


def test_repeat_purchase_per_quarter(book, world):
    value.value_classify(by=None, today=TODAY)
    rows = {row["period"]: row for row in value.repeat_purchase(world.admin, period="quarter", today=TODAY)}
    assert len(rows) == 8 and next(iter(rows)) == "Q1 2025" and list(rows)[-1] == "Q4 2026"
    # Alfa: first 10 Jan 2025, second 17 months later → not a repeat within 12 months.
    assert (rows["Q1 2025"]["first"], rows["Q1 2025"]["repeat"], rows["Q1 2025"]["rate"]) == (
        1,
        0,
        Decimal("0.00"),
    )
    # Beta (Feb 2026): no second purchase, still within 12 months → pending.
    assert (rows["Q1 2026"]["first"], rows["Q1 2026"]["pending"]) == (1, 1)
    # Q4 2026: Delta (pending) and Eta (two purchases the same day → a repeat): 1 of 2 = 50 %.
    q4 = rows["Q4 2026"]
    assert (q4["first"], q4["repeat"], q4["pending"], q4["rate"]) == (2, 1, 1, Decimal("50.00"))
    assert "first_purchase_from=2026-10-01" in q4["_links"]["first"]
    assert value.repeat_target(world.admin, None) == Decimal("90")
    # A team's shorter window: North buys again within 1 month only.
    RetentionPolicy.objects.create(team=world.north, repeat_purchase_months=1)
    rows = {row["period"]: row for row in value.repeat_purchase(world.admin, period="year", today=TODAY)}
    assert rows["2026"]["first"] == 4  # Beta, Kappa (North), Delta, Eta (South)


def test_marketers_see_no_money(book, world):
    from clientela.core.errors import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        value.concentration(world.marketer_north)


def test_a_team_outside_the_viewers_scope_is_a_field_error(book, world):
    from clientela.core.errors import BusinessError

    with pytest.raises(BusinessError) as error:
        value.concentration(world.head_north, team=world.south.pk)
    assert "team" in error.value.errors


# --- Alerts -------------------------------------------------------------------------------------


def four_clients(world, amounts):
    clients = []
    for n, amount in enumerate(amounts):
        client = make_client(world.manager_north, name=f"Quarter {n}")
        won(client, amount, "EUR", "2026-10-01")
        clients.append(client)
    return clients


def alert_entries():
    return AuditEntry.objects.filter(event="concentration_alert")


def test_exactly_25_percent_raises_no_alert(world, base_eur):
    four_clients(world, ["100", "100", "100", "100"])  # each exactly 25 % of North and of the company
    value.value_classify(by=None, today=TODAY)
    assert not alert_entries().exists()
    assert not Notification.objects.filter(verb="concentration_alert").exists()


def test_above_25_percent_alerts_heads_and_admins_once_a_month(world, base_eur):
    world.head_north.language = "ro"
    world.head_north.save(update_fields=["language"])
    clients = four_clients(world, ["101", "100", "100", "100"])  # 101 / 401 = 25.19 %
    value.value_classify(by=None, today=TODAY)
    entries = list(alert_entries())
    # Of North's revenue and of the company's (both 401).
    assert len(entries) == 2
    assert {entry.object_id for entry in entries} == {str(clients[0].pk)}
    assert {entry.changes["scope"] for entry in entries} == {"North", "company"}
    assert {entry.changes["share"] for entry in entries} == {"25.19"}
    head = Notification.objects.filter(verb="concentration_alert", user=world.head_north)
    assert head.count() == 1  # the team's alert (the company's goes to the admins)
    assert "Quarter 0" in head.get().text and "25,19 %" in head.get().text  # Romanian decimals
    assert Notification.objects.filter(verb="concentration_alert", user=world.admin).count() == 2
    assert not Notification.objects.filter(verb="concentration_alert", user=world.manager_north).exists()
    # The nightly run again in the same month: nothing new.
    value.value_classify(by=None, today=TODAY + dt.timedelta(days=1))
    assert alert_entries().count() == 2
    # Next month it is said again.
    value.value_classify(by=None, today=dt.date(2027, 1, 3))
    assert alert_entries().count() == 4


def test_the_teams_own_level_is_used(world, base_eur):
    RetentionPolicy.objects.create(team=world.north, concentration_alert_percent=Decimal("30"))
    four_clients(world, ["101", "100", "100", "100"])
    value.value_classify(by=None, today=TODAY)
    # 25.19 % is under North's 30 %, but above the company's 25 %.
    assert [entry.changes["scope"] for entry in alert_entries()] == ["company"]
