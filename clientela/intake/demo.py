"""Demo leads: a few hundred arrivals through the real pipeline, worked to every status."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from clientela.clients.models import Client
from clientela.core.normalise import transliterate
from clientela.intake.models import IntakeForm
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.models import DistributionRule, LeadPolicy, RefusalReason, TemperatureRule
from clientela.leads.services.convert import lead_convert
from clientela.leads.services.lifecycle import lead_assign, lead_qualify, lead_start_work
from clientela.leads.services.refuse import lead_postpone, lead_refuse

PEOPLE = {
    "Bucharest": (
        "RO",
        [
            ("Andrei", "Popescu"),
            ("Ioana", "Ionescu"),
            ("Ștefan", "Radu"),
            ("Elena", "Dumitru"),
            ("Răzvan", "Stoica"),
            ("Mădălina", "Matei"),
            ("Алексей", "Морозов"),
            ("Ольга", "Волкова"),
            ("Cristina", "Munteanu"),
            ("Bogdan", "Lungu"),
        ],
    ),
    "Budapest": (
        "HU",
        [
            ("László", "Nagy"),
            ("Katalin", "Kovács"),
            ("Zoltán", "Tóth"),
            ("Éva", "Szabó"),
            ("Gábor", "Horváth"),
            ("Judit", "Varga"),
            ("Attila", "Kiss"),
            ("Noémi", "Molnár"),
        ],
    ),
    "Kuala Lumpur": (
        "MY",
        [
            ("Ahmad", "bin Abdullah"),
            ("Siti", "binti Ahmad"),
            ("Hafiz", "bin Ismail"),
            ("Farah", "binti Hassan"),
            ("Rizal", "bin Omar"),
            ("Nurul", "binti Yusof"),
        ],
    ),
}
COMPANIES = [
    "Alpha Nord",
    "Vector Terra",
    "Orion Prime",
    "Atlas Metro",
    "Carpat Lumen",
    "Danube Helios",
    "Granit Sigma",
    "Polar Nexus",
    "Zenit Astra",
    "Baltic Summit",
]
LEGAL = {"RO": "SRL", "HU": "Kft.", "MY": "Sdn Bhd"}
PRODUCTS = [
    "translation",
    "video production",
    "audit",
    "consulting",
    "software licence",
    "training",
    "cloud PBX",
]
SOURCES = [
    "web_form",
    "web_form",
    "webinar",
    "callback_widget",
    "incoming_call",
    "exhibition",
    "cold_call",
    "referral",
    "word_of_mouth",
    "landing_calculator",
    "ebook",
]
PREFIX = {"RO": ("+40 7", 8), "HU": ("+36 30 ", 7), "MY": ("+60 12-", 7)}


def load(context: dict[str, Any]) -> None:
    rng = random.Random(7)  # demo data, not security
    teams, users = context["teams"], context["users"]
    admin = users["admin"]
    for team in teams.values():
        # A brand-new company has no conversion history yet: nobody counts as a beginner.
        LeadPolicy.objects.update_or_create(team=team, defaults={"min_closed_for_ranking": 0})
    TemperatureRule.objects.create(
        name="Asks for price or where to pay",
        keywords=["price", "pay", "invoice", "offer"],
        temperature="hot",
        position=1,
    )
    TemperatureRule.objects.create(
        name="Referrals are warm", sources=["referral", "word_of_mouth"], temperature="warm", position=2
    )
    TemperatureRule.objects.create(
        name="Free content is cold", sources=["ebook", "webinar"], temperature="cold", position=3
    )
    rule = DistributionRule.objects.create(
        team=teams["Bucharest"],
        name="Russian-speaking clients",
        countries=["MD", "RU"],
        position=1,
        strategy="round_robin",
    )
    rule.members.set([users["olga"]])
    DistributionRule.objects.create(
        team=teams["Bucharest"],
        name="Hot and warm to best converters",
        temperatures=["hot", "warm"],
        best_converters_only=True,
        position=2,
    )
    forms = {
        name: IntakeForm.objects.create(
            name=f"Website — {name}", team=team, default_source="web_form", created_by=admin
        )
        for name, team in teams.items()
    }
    IntakeForm.objects.create(
        name="Call me widget — Bucharest",
        team=teams["Bucharest"],
        kind="callback",
        default_source="callback_widget",
        created_by=admin,
    )
    reasons = list(RefusalReason.objects.filter(is_active=True))
    made = []
    for index in range(200):
        team_name = rng.choice(list(PEOPLE))
        country, people = PEOPLE[team_name]
        first, last = rng.choice(people)
        company = f"{rng.choice(COMPANIES)} {LEGAL[country]}"
        prefix, length = PREFIX[country]
        digits = "".join(rng.choice("0123456789") for _ in range(length))
        raw = RawLead(
            first_name=first if index % 29 else "",
            last_name=last if index % 29 else "",
            company=company,
            phone=f"{prefix}{digits}",
            email=f"{transliterate(first)[:1] or 'x'}{index}@{company.split()[0].lower()}.example"
            if index % 3
            else "",
            country="MD" if first in ("Алексей", "Ольга") else country,
            source=rng.choice(SOURCES),
            interest=rng.choice(PRODUCTS),
            message=rng.choice(
                ["", "", "Please send the price list", "What are your terms?", "Need an offer"]
            ),
            consent=rng.choice(["yes", "yes", "no"]),
            campaign=f"autumn-{rng.randrange(1, 4)}" if index % 2 else "",
        )
        ctx = IntakeContext(
            door="form", team=teams[team_name], default_source="web_form", intake_form=forms[team_name]
        )
        result = intake_submit(raw=raw, ctx=ctx)
        if result.kind == "lead" and result.duplicate_of is None:
            made.append(result.record)
    today = timezone.localdate()
    for lead in made:
        actor = lead.owner or lead.team.head
        roll = rng.random()
        if actor is None:
            continue
        if roll < 0.25:
            continue
        lead_start_work(by=actor, lead=lead)
        if roll < 0.45:
            continue
        if roll < 0.6:
            lead_qualify(
                by=actor,
                lead=lead,
                answers={"need": True, "budget": True, "authority": roll < 0.55, "timing": True},
            )
        elif roll < 0.75:
            lead_qualify(
                by=actor, lead=lead, answers={"need": True, "budget": True, "authority": True, "timing": True}
            )
            # A second enquiry from a company that is already a client joins that client: when
            # another manager of the team serves it, the head hands them the lead to convert.
            known = (
                Client.objects.filter(name__iexact=lead.company_name, country=lead.country, is_archived=False)
                .order_by("id")
                .first()
            )
            converter = actor
            if known is not None and not Client.objects.visible_to(actor).filter(pk=known.pk).exists():
                head = lead.team.head if lead.team else None
                if known.owner is None or known.team_id != lead.team_id or head is None:
                    continue  # another team's client: the lead stays qualified
                lead_assign(by=head, lead=lead, owner=known.owner, reason="Already their client")
                lead.refresh_from_db()
                converter = known.owner
            lead_convert(by=converter, lead=lead, client=known)
        elif roll < 0.9:
            lead_refuse(by=actor, lead=lead, reason=rng.choice(reasons))
        else:
            lead_postpone(by=actor, lead=lead, until=today + dt.timedelta(days=rng.randrange(1, 60)))
    # Two fresh enquiries the Bucharest head has put back in the team queue: the work list shows
    # them to the head as waiting for an owner, with their response clocks running.
    north = teams.get("Bucharest")
    if north is not None and north.head is not None:
        queued = [lead for lead in made if lead.team_id == north.pk and lead.status == "new"][:2]
        for lead in queued:
            lead_assign(by=north.head, lead=lead, owner=None, reason="Back to the team queue")
    context["leads"] = made
