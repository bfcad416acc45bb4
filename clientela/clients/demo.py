"""Demo clients: companies with head offices and branches, private clients, contacts with
roles, valid legal ids per country, every status, a contact who changed jobs, a handover.

Runs after the users loader (`context["teams"]`, `context["users"]`); adds `context["clients"]`.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from clientela.clients.identifiers import InvalidIdentifier, normalise_tax_id
from clientela.clients.models import Client, Contact, ContactMembership
from clientela.clients.services.client import client_create, client_mark_lost
from clientela.clients.services.contact import contact_create, contact_move
from clientela.clients.services.handover import client_handover
from clientela.clients.status import refresh_last_contact
from clientela.core.normalise import transliterate

# team: (country, [(company, legal form, industry, employees, revenue band, city, region, tags)])
COMPANIES: dict[str, tuple[str, list[tuple[str, str, str, int, str, str, str, list[str]]]]] = {
    "Bucharest": (
        "RO",
        [
            ("Carpați Logistic", "SRL", "Logistics", 420, "10m_50m", "Bucharest", "Ilfov", ["key account"]),
            (
                "Dunărea Foods",
                "SA",
                "Food and beverage",
                1300,
                "50m_250m",
                "Galați",
                "Galați",
                ["key account", "export"],
            ),
            ("Transilvania Soft", "SRL", "IT and software", 85, "1m_10m", "Cluj-Napoca", "Cluj", []),
            ("Moldova Agro", "SRL", "Agriculture", 60, "1m_10m", "Iași", "Iași", ["seasonal"]),
            ("Banat Construct", "SA", "Construction", 240, "10m_50m", "Timișoara", "Timiș", []),
        ],
    ),
    "Budapest": (
        "HU",
        [
            ("Duna Trading", "Kft.", "Wholesale", 150, "10m_50m", "Budapest", "Pest", ["key account"]),
            ("Tisza Gépgyár", "Zrt.", "Manufacturing", 900, "50m_250m", "Szeged", "Csongrád-Csanád", []),
            ("Balaton Hotels", "Kft.", "Hospitality", 320, "10m_50m", "Siófok", "Somogy", ["seasonal"]),
            ("Mátra Energia", "Zrt.", "Energy", 510, "50m_250m", "Gyöngyös", "Heves", []),
        ],
    ),
    "Kuala Lumpur": (
        "MY",
        [
            (
                "Petaling Precision",
                "Sdn. Bhd.",
                "Manufacturing",
                270,
                "10m_50m",
                "Petaling Jaya",
                "Selangor",
                [],
            ),
            ("Klang Freight", "Sdn. Bhd.", "Logistics", 190, "10m_50m", "Klang", "Selangor", ["key account"]),
            ("Penang Digital", "Sdn. Bhd.", "IT and software", 45, "1m_10m", "George Town", "Penang", []),
            ("Johor Palm Oil", "Berhad", "Agriculture", 2200, "gt_250m", "Johor Bahru", "Johor", ["export"]),
        ],
    ),
}
# Branches of the first company of each team.
BRANCHES = {
    "Bucharest": [
        ("Carpați Logistic — Cluj", "Cluj-Napoca", "Cluj", 60),
        ("Carpați Logistic — Constanța", "Constanța", "Constanța", 95),
    ],
    "Budapest": [("Duna Trading — Debrecen", "Debrecen", "Hajdú-Bihar", 35)],
    "Kuala Lumpur": [("Petaling Precision — Penang plant", "Bayan Lepas", "Penang", 120)],
}
PEOPLE = {
    "RO": [
        ("Andrei", "Popescu"),
        ("Ioana", "Dumitrescu"),
        ("Mihaela", "Stan"),
        ("Radu", "Georgescu"),
        ("Cristina", "Marin"),
        ("Vlad", "Enache"),
    ],
    "HU": [
        ("László", "Nagy"),
        ("Katalin", "Tóth"),
        ("Gábor", "Szűcs"),
        ("Éva", "Farkas"),
        ("Péter", "Balogh"),
    ],
    "MY": [
        ("Ahmad", "bin Yusof"),
        ("Nur", "binti Hamid"),
        ("Tan", "Wei Ming"),
        ("Priya", "Raman"),
        ("Lim", "Mei Ling"),
    ],
}
POSITIONS = [
    ("General manager", "decision_maker"),
    ("Procurement lead", "buyer"),
    ("Chief accountant", "accountant"),
    ("Operations manager", "user"),
    ("Office manager", "gatekeeper"),
    ("Technical director", "influencer"),
]
STREETS = {"RO": "Str. Industriei", "HU": "Fő utca", "MY": "Jalan Tun Razak"}
PHONE_PREFIX = {"RO": "+40 72", "HU": "+36 30", "MY": "+60 12"}
LANGUAGE = {"RO": "ro", "HU": "hu", "MY": "ms"}
MANAGERS = {
    "Bucharest": ["ana", "mihai", "olga"],
    "Budapest": ["peter", "zsofia"],
    "Kuala Lumpur": ["siti", "farid"],
}
HEADS = {"Bucharest": "elena", "Budapest": "gabor", "Kuala Lumpur": "aziz"}


def _tax_id(country: str, rng: random.Random) -> str:
    """A random tax id that passes the country's check (the last digit is found by trying)."""
    for _attempt in range(100):
        if country == "RO":
            body = str(rng.randint(1_000_000, 49_999_999))
            candidates = [body + str(d) for d in range(10)]
        elif country == "HU":
            body = str(rng.randint(1_000_000, 29_999_999))[:7]
            candidates = [f"{body}{d}-2-{rng.choice(['13', '41', '42', '06'])}" for d in range(10)]
        elif country == "RU":
            body = "77" + str(rng.randint(10_000_000, 99_999_999))[:7]
            candidates = [body + str(d) for d in range(10)]
        else:
            return f"C{rng.randint(1_000_000_000, 9_999_999_999)}"
        for candidate in candidates:
            try:
                return normalise_tax_id(country, candidate).value
            except InvalidIdentifier:
                continue
    raise RuntimeError(country)


def _registration(country: str, n: int, rng: random.Random) -> str:
    if country == "RO":
        return f"J{rng.choice([12, 22, 35, 40])}/{1000 + n * 37}/{rng.randint(1995, 2020)}"
    if country == "HU":
        return f"{rng.choice(['01', '06', '13'])}-09-{100000 + n * 733:06d}"
    if country == "RU":
        return ""
    return f"{rng.randint(2005, 2022)}01{100000 + n * 17:06d}"


def _phone(country: str, rng: random.Random) -> str:
    return f"{PHONE_PREFIX[country]} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


def _age(client: Client, *, days: int, last_contact_days: int | None) -> None:
    """A client of some years: its card, its contacts and their periods there start back then."""
    now = timezone.now()
    since = now - dt.timedelta(days=days)
    Client.objects.filter(pk=client.pk).update(
        created_at=since,
        last_activity_at=now - dt.timedelta(days=last_contact_days)
        if last_contact_days is not None
        else None,
    )
    Contact.objects.filter(client=client).update(created_at=since)
    ContactMembership.objects.filter(client=client).update(started_on=since.date())
    refresh_last_contact([client.pk])  # back-dated outside the services: recount by the rule


def load(context: dict[str, Any]) -> None:
    rng = random.Random(11)  # demo data, not security
    teams, users = context["teams"], context["users"]
    made: list[Client] = []
    n = 0
    for team_name, (country, companies) in COMPANIES.items():
        managers = [users[u] for u in MANAGERS[team_name]]
        people = PEOPLE[country]
        team_clients = []
        for index, (name, legal, industry, employees, band, city, region, tags) in enumerate(companies):
            n += 1
            owner = managers[index % len(managers)]
            domain = "".join(ch for ch in transliterate(name) if ch.isalnum())
            client = client_create(
                by=owner,
                data={
                    "kind": "company",
                    "name": f"{name} {legal}",
                    "legal_form": legal,
                    "tax_id": _tax_id(country, rng),
                    "registration_number": _registration(country, n, rng),
                    "industry": industry,
                    "employees": employees,
                    "revenue_band": band,
                    "country": country,
                    "region": region,
                    "city": city,
                    "address": f"{STREETS[country]} {rng.randint(1, 120)}",
                    "postal_code": str(rng.randint(10000, 99999)),
                    "website": f"www.{domain}.example",
                    "phone": _phone(country, rng),
                    "email": f"office@{domain}.example",
                    "payment_terms_days": rng.choice([14, 30, 45, 60]) if index % 3 else None,
                    "credit_limit": str(rng.choice([5000, 20000, 50000])) if index % 2 == 0 else None,
                    "credit_currency": {"RO": "RON", "HU": "HUF", "MY": "MYR"}[country]
                    if index % 2 == 0
                    else "",
                    "discount_percent": str(rng.choice([2, 3, 5, 7.5])) if "key account" in tags else None,
                    "bonuses": "Volume bonus 2% above 100k per year" if "key account" in tags else "",
                },
                tags=tags,
            )
            team_clients.append(client)
            for p in range(1 + index % 3):
                first, last = people[(index + p) % len(people)]
                position, role = POSITIONS[(index + p) % len(POSITIONS)]
                contact_create(
                    by=owner,
                    client=client,
                    data={
                        "first_name": first,
                        "last_name": last,
                        "position": position,
                        "role": role,
                        "phone": _phone(country, rng),
                        "email": f"{transliterate(first)}.{transliterate(last.split()[-1])}@{domain}.example",
                        "birthday": dt.date(rng.randint(1965, 1995), rng.randint(1, 12), rng.randint(1, 28)),
                        "preferred_language": LANGUAGE[country],
                        "consent": p == 0,
                    },
                )
        hq = team_clients[0]
        for branch_name, city, region, employees in BRANCHES.get(team_name, []):
            branch = client_create(
                by=hq.owner,
                data={
                    "kind": "company",
                    "name": branch_name,
                    "legal_form": hq.legal_form,
                    "industry": hq.industry,
                    "employees": employees,
                    "country": country,
                    "region": region,
                    "city": city,
                    "phone": _phone(country, rng),
                },
                headquarters=hq,
            )
            first, last = people[-1]
            contact_create(
                by=hq.owner,
                client=branch,
                data={
                    "first_name": first,
                    "last_name": last,
                    "position": "Branch manager",
                    "role": "decision_maker",
                },
            )
            team_clients.append(branch)
        # A private client per team.
        first, last = people[1]
        person = client_create(
            by=managers[0],
            data={
                "kind": "person",
                "name": f"{first} {last}",
                "country": country,
                "city": COMPANIES[team_name][1][0][5],
                "phone": _phone(country, rng),
                "payment_terms_note": "Prepayment",
            },
        )
        contact_create(
            by=managers[0],
            client=person,
            data={"first_name": first, "last_name": last, "role": "decision_maker"},
        )
        team_clients.append(person)
        # Every status: most are active clients of some years, some passive, one lost, new ones stay new.
        for index, client in enumerate(team_clients):
            if index % 5 == 1:
                _age(client, days=700, last_contact_days=240)  # passive: nobody talked to them for months
            elif index % 5 in (0, 2, 3):
                _age(client, days=400 + 50 * index, last_contact_days=5 + 7 * index)
        lost = team_clients[3]
        client_mark_lost(
            by=lost.owner, client=lost, reason="attitude", note="Three unanswered enquiries in a row."
        )
        made.extend(team_clients)

    # A Russian-speaking client of the Bucharest team (Olga works them).
    client_create(
        by=users["olga"],
        data={
            "kind": "company",
            "name": "Volga Machinery OOO",
            "legal_form": "OOO",
            "tax_id": _tax_id("RU", rng),
            "registration_number": "1027700132195",
            "industry": "Manufacturing",
            "country": "RU",
            "city": "Nizhny Novgorod",
            "phone": "+7 831 200 1122",
        },
        tags=["export"],
    )

    # A buyer who changed jobs: the history keeps the old company.
    bucharest = [
        c for c in made if c.team_id == teams["Bucharest"].pk and c.kind == "company" and not c.is_branch
    ]
    mover = bucharest[1].contacts.first()
    if mover is not None:
        contact_move(
            by=users["elena"],
            contact=mover,
            to_client=bucharest[2],
            on=timezone.localdate() - dt.timedelta(days=30),
            position="Head of purchasing",
            role="buyer",
        )

    # Zsófia's first client went to Péter (she moved to key accounts): a handover with a note.
    zsofia_clients = list(Client.objects.filter(owner=users["zsofia"]).order_by("pk")[:1])
    if zsofia_clients:
        client_handover(
            by=users["gabor"],
            clients=zsofia_clients,
            to_user=users["peter"],
            note="Weekly call on Mondays; they expect the new price list before the 15th.",
        )
    context["clients"] = list(Client.objects.order_by("pk"))
