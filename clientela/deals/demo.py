"""Demo deals: products and price lists, the objections library, and deals on all three
pipelines worked through their stages over the last months — with proposals (PDF), payment
schedules, payments received and some overdue, lost reasons and objections raised.

Everything goes through the services, so the demo has the same history (stage changes,
timeline, audit) that real work leaves. Clients come from the context (`context["clients"]`)
or, when no earlier loader made any, are created here.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from clientela.clients.models import Client, Contact
from clientela.deals import services
from clientela.deals import settings_services as config
from clientela.deals.board import services as board_services
from clientela.deals.catalogue import services as catalogue_services
from clientela.deals.documents import services as document_services
from clientela.deals.models import Deal, LostReason, Objection, Pipeline, PriceList, Product, Stage
from clientela.deals.payments import services as payment_services
from clientela.deals.rates import selectors as rate_selectors
from clientela.deals.rates import services as rate_services

PRODUCTS = [
    # code, name, unit, prices (RON, HUF, MYR, EUR)
    ("TR-TECH", "Technical translation", "page", ("120", "9500", "110", "25")),
    ("VID-PRO", "Video production", "day", ("4500", "350000", "4200", "900")),
    ("AUD-SEC", "Security audit", "day", ("3800", "300000", "3500", "780")),
    ("CONS-H", "Consulting", "hour", ("450", "36000", "400", "95")),
    ("LIC-CRM", "Software licence (yearly)", "seat", ("990", "78000", "900", "199")),
    ("TRN-DAY", "Training day", "day", ("2900", "230000", "2700", "590")),
    ("PBX-CL", "Cloud PBX", "line/month", ("45", "3500", "40", "9")),
]
OBJECTIONS = [
    (
        "It is too expensive.",
        "Compare the cost of one lost client with the price; offer a pilot at a smaller scope.",
        ["proposal_sent", "negotiation"],
    ),
    (
        "We already work with another supplier.",
        "Ask what they would improve; offer a side-by-side trial on one project.",
        ["first_contact", "needs_identified"],
    ),
    (
        "Not now, maybe next quarter.",
        "Agree the date and the reason; set the next step in the CRM before hanging up.",
        ["needs_identified", "proposal_sent"],
    ),
    (
        "I need to discuss it with my director.",
        "Offer a short call with the director; send a one-page summary they can forward.",
        ["proposal_sent", "negotiation", "agreement"],
    ),
    (
        "Your delivery times are too long.",
        "Show the delivery plan with dates; offer a partial delivery first.",
        ["negotiation", "offer"],
    ),
    (
        "We had a bad experience with a similar product.",
        "Ask what went wrong and show how it is handled here; give a reference client.",
        [],
    ),
]
DEMO_CLIENTS = {
    "Bucharest": [
        ("Carpat Lumen", "SRL", "RO", "Cluj-Napoca", "RO18547290"),
        ("Danube Helios", "SRL", "RO", "Constanța", "RO30117452"),
        ("Ștefan & Fiii Logistică", "SRL", "RO", "Iași", "RO27761143"),
        ("ООО Альфа Трейд", "SRL", "MD", "Chișinău", "1012600012345"),
    ],
    "Budapest": [
        ("Granit Sigma", "Kft.", "HU", "Győr", "12345678-2-08"),
        ("Árvíztűrő Gépgyár", "Zrt.", "HU", "Budapest", "23456789-2-41"),
        ("Polar Nexus", "Kft.", "HU", "Debrecen", "24567890-2-09"),
    ],
    "Kuala Lumpur": [
        ("Zenit Astra", "Sdn Bhd", "MY", "Kuala Lumpur", "201901012345"),
        ("Baltic Summit Asia", "Sdn Bhd", "MY", "Penang", "201801054321"),
    ],
}
# How many deals the demo starts (a test may ask for fewer with context["deal_count"]).
DEAL_COUNT = 120
CURRENCY = {"RO": "RON", "MD": "RON", "HU": "HUF", "MY": "MYR"}
PRICE_INDEX = {"RON": 0, "HUF": 1, "MYR": 2, "EUR": 3}
# What one unit was worth in euros, a month ago and yesterday (the board's totals convert with them).
EURO_RATES = {
    "EUR": (Decimal(1), Decimal(1)),
    "RON": (Decimal("0.2008"), Decimal("0.2011")),
    "HUF": (Decimal("0.002532"), Decimal("0.002547")),
    "MYR": (Decimal("0.2046"), Decimal("0.2052")),
}


def _exchange_rates(admin: Any) -> None:
    """Rates of the demo's currencies into the base currency (when it is one of them)."""
    base = rate_selectors.base_currency()
    if base not in EURO_RATES:
        return
    today = timezone.localdate()
    rows = []
    for position, day in enumerate((today - dt.timedelta(days=30), today - dt.timedelta(days=1))):
        in_base = EURO_RATES[base][position]
        rows += [
            {
                "currency": currency,
                "rate": (pair[position] / in_base).quantize(Decimal("0.0000001")),
                "valid_from": day,
            }
            for currency, pair in EURO_RATES.items()
            if currency != base
        ]
    rate_services.exchange_rates_upsert(by=admin, rows=rows)


def _managers(team: Any, users: dict[str, Any]) -> list[Any]:
    return [user for user in users.values() if user.team_id == team.pk and user.role in ("manager", "head")]


def _clients(context: dict[str, Any]) -> list[Client]:
    given = [client for client in context.get("clients", []) if isinstance(client, Client)]
    if given:
        return given
    existing = list(Client.objects.filter(is_archived=False).exclude(owner__isnull=True)[:40])
    if existing:
        return existing
    made = []
    for team_name, rows in DEMO_CLIENTS.items():
        team = context["teams"][team_name]
        managers = [u for u in _managers(team, context["users"]) if u.role == "manager"]
        for index, (name, legal, country, city, tax_id) in enumerate(rows):
            owner = managers[index % len(managers)]
            client = Client.objects.create(
                name=name,
                legal_form=legal,
                country=country,
                city=city,
                tax_id=tax_id,
                owner=owner,
                team=team,
                created_by=owner,
            )
            Contact.objects.create(
                client=client,
                first_name="Ioana" if country == "RO" else "Anna",
                last_name="Demo",
                position="CEO",
                role="decision_maker",
            )
            made.append(client)
    return made


def _catalogue(admin: Any) -> dict[str, Product]:
    products = {}
    lists = {
        currency: config.price_list_create(
            by=admin, data={"name": f"Standard {currency}", "currency": currency, "is_default": True}
        )
        for currency in PRICE_INDEX
    }
    for code, name, unit, prices in PRODUCTS:
        product = config.product_create(by=admin, data={"code": code, "name": name, "unit": unit})
        products[code] = product
        for currency, index in PRICE_INDEX.items():
            config.price_set(by=admin, price_list=lists[currency], product=product, price=prices[index])
    loyalty = config.price_list_create(by=admin, data={"name": "Loyal clients RON (−10%)", "currency": "RON"})
    for code, _name, _unit, prices in PRODUCTS:
        price = (Decimal(prices[0]) * Decimal("0.9")).quantize(Decimal("0.01"))
        config.price_set(by=admin, price_list=loyalty, product=products[code], price=price)
    return products


def _library(admin: Any) -> list[Objection]:
    library = []
    for text, answer, stage_codes in OBJECTIONS:
        stages = list(Stage.objects.filter(code__in=stage_codes))
        library.append(
            config.objection_create(by=admin, data={"text": text, "answer": answer}, stages=stages)
        )
    return library


def _schedule(amount: Decimal, start: dt.date, parts: int) -> list[board_services.ScheduledPayment]:
    share = (amount / parts).quantize(Decimal("0.01"))
    rows = [
        board_services.ScheduledPayment(due_date=start + dt.timedelta(days=30 * i), amount=share)
        for i in range(parts - 1)
    ]
    rows.append(
        board_services.ScheduledPayment(
            due_date=start + dt.timedelta(days=30 * (parts - 1)), amount=amount - share * (parts - 1)
        )
    )
    return rows


def load(context: dict[str, Any]) -> None:
    rng = random.Random(11)  # demo data, not security
    users = context["users"]
    admin = users["admin"]
    config.company_update(
        by=admin,
        data={
            "name": "Northwind Trading",
            "legal_name": "Northwind Trading SRL",
            "tax_id": "RO40112233",
            "registration_number": "J40/1234/2019",
            "address": "Str. Exemplu 12\nBucurești 010101\nRomânia",
            "email": "sales@northwind-trading.example",
            "phone": "+40 21 000 0000",
            "website": "https://northwind-trading.example",
            "bank_details": "IBAN RO49 AAAA 1B31 0075 9384 0000\nBanca Exemplu",
        },
    )
    products = _catalogue(admin)
    _exchange_rates(admin)
    library = _library(admin)
    clients = _clients(context)
    loyalty = PriceList.objects.get(name__startswith="Loyal clients")
    for client in [c for c in clients if c.country in ("RO", "MD")][:2]:
        head = client.team.head if client.team else admin
        config.client_price_list_set(by=head or admin, client=client, price_list=loyalty)
    reasons = list(LostReason.objects.filter(is_active=True))
    pipelines = {p.code: p for p in Pipeline.objects.filter(code__in=["corporate", "direct", "retail"])}
    now = timezone.now()
    today = timezone.localdate()
    made: list[Deal] = []
    for index in range(int(context.get("deal_count", DEAL_COUNT))):
        client = clients[index % len(clients)]
        owner = client.owner
        if owner is None:
            continue
        pipeline = pipelines[("corporate", "direct", "retail")[index % 3]]
        stages = list(pipeline.stages.filter(is_active=True).order_by("position"))
        open_stages = [s for s in stages if not s.is_closed]
        started = now - dt.timedelta(days=rng.randrange(5, 170), hours=rng.randrange(0, 12))
        currency = CURRENCY.get(client.country, "EUR")
        codes = rng.sample(list(products), k=rng.randrange(1, 4))
        deal = services.deal_create(
            by=owner,
            client=client,
            title=f"{products[codes[0]].name} — {client.name}"[:200],
            pipeline=pipeline,
            currency=currency,
            expected_close_date=today + dt.timedelta(days=rng.randrange(-20, 90)),
            next_step_date=today + dt.timedelta(days=rng.randrange(-6, 14)),
            next_step_subject=rng.choice(
                [
                    "Call to agree the scope",
                    "Send the revised offer",
                    "Meeting with the director",
                    "Demo at their office",
                ]
            ),
            contacts=list(client.contacts.all()[:1]),
            at=started,
        )
        for code in codes:
            catalogue_services.line_add(
                by=owner,
                deal=deal,
                product=products[code],
                quantity=str(rng.choice([1, 2, 3, 5, 10, 20])),
                discount_percent=rng.choice(["0", "0", "5", "10"]),
            )
        deal.refresh_from_db()
        # Walk the deal forward through some open stages, days apart.
        depth = rng.randrange(0, len(open_stages))
        moment = started
        for stage in open_stages[1 : depth + 1]:
            moment += dt.timedelta(days=rng.randrange(2, 15), hours=rng.randrange(0, 8))
            if moment >= now:
                break
            deal = board_services.deal_move(by=owner, deal=deal, stage=stage, at=moment)
        if rng.random() < 0.35 and library:
            board_services.objection_record(by=owner, deal=deal, objection=rng.choice(library))
        if pipeline.code == "corporate" and deal.stage.position >= 2 and deal.lines.exists():
            document = document_services.document_create(
                by=owner, deal=deal, title=f"Offer for {client.name}"[:200]
            )
            document_services.document_send(
                by=owner,
                version=document.versions.get(version=1),
                to=f"office@{client.pk}.example",
                confirm_early=True,  # a demo client's parallel deals: their proposals go anyway
            )
            if rng.random() < 0.4:
                version = document_services.document_revise(by=owner, document=document)
                document_services.document_send(by=owner, version=version)
        closing = rng.random()
        moment += dt.timedelta(days=rng.randrange(1, 10))
        if moment >= now:
            moment = now - dt.timedelta(hours=1)
        if closing < 0.3:
            won = next(s for s in stages if s.is_won)
            schedule: list[board_services.ScheduledPayment] = []
            if pipeline.requires_payment_schedule:
                schedule = _schedule(
                    deal.amount, (moment + dt.timedelta(days=10)).date(), rng.choice([1, 2, 3])
                )
            deal = board_services.deal_move(by=owner, deal=deal, stage=won, payments=schedule, at=moment)
            if not schedule:
                payment_services.payment_create(
                    by=owner,
                    deal=deal,
                    kind="expected",
                    amount=deal.amount,
                    due_date=(moment + dt.timedelta(days=14)).date(),
                )
            _receive_some(rng, owner, deal, today)
            if pipeline.code == "corporate":
                invoice = document_services.document_create(by=owner, deal=deal, kind="invoice")
                document_services.document_send(by=owner, version=invoice.versions.get(version=1))
        elif closing < 0.45:
            lost = next(s for s in stages if s.is_lost)
            deal = board_services.deal_move(
                by=owner,
                deal=deal,
                stage=lost,
                lost_reason=rng.choice(reasons),
                lost_note=rng.choice(["", "Went with a cheaper offer.", "Budget frozen until next year."]),
                at=moment,
            )
        made.append(deal)
    context["deals"] = made


def _receive_some(rng: random.Random, owner: Any, deal: Deal, today: dt.date) -> None:
    """Pay the schedule rows that are due, but leave some unpaid (overdue receivables)."""
    for payment in deal.payments.filter(kind="expected").order_by("due_date"):
        if payment.due_date is None or payment.due_date > today:
            break
        if rng.random() < 0.7:
            paid_on = min(today, payment.due_date + dt.timedelta(days=rng.randrange(0, 6)))
            payment_services.payment_create(
                by=owner, deal=deal, kind="received", amount=payment.amount, paid_on=paid_on
            )
        else:
            break
