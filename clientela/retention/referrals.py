"""Referrals (SPEC §8): leads a client recommended are linked to it (`Lead.referred_by_client`,
origin "seed"), counted per client, and a referral bonus is recorded as a loyalty benefit of the
referring client (once per referred lead)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from clientela.clients.models import Client
from clientela.core.permissions import Action
from clientela.leads.choices import LeadStatus
from clientela.leads.models import Lead
from clientela.retention.loyalty import client_benefit_add
from clientela.retention.loyalty_models import BuiltInBenefit, ClientBenefit
from clientela.users.models import User


def referral_counts(client: Client) -> dict[str, int]:
    """How many leads the client recommended, and how many of them became clients."""
    counts = Lead.objects.filter(referred_by_client=client).aggregate(
        referred=Count("pk"), converted=Count("pk", filter=Q(status=LeadStatus.CONVERTED))
    )
    return {"referred": counts["referred"] or 0, "converted": counts["converted"] or 0}


def referred_leads(viewer: User, client: Client) -> QuerySet[Lead]:
    """The referred leads the viewer may open (the count covers them all)."""
    return (
        Lead.objects.restrict(viewer, Action.VIEW).filter(referred_by_client=client).order_by("-created_at")
    )


def referral_report(viewer: User, *, limit: int = 50) -> list[dict[str, Any]]:
    """The viewer's clients that recommended leads, most first: referred, converted, bonuses."""
    clients = (
        Client.objects.restrict(viewer, Action.VIEW)
        .filter(referred_leads__isnull=False)
        .annotate(
            referred=Count("referred_leads", distinct=True),
            converted=Count(
                "referred_leads", filter=Q(referred_leads__status=LeadStatus.CONVERTED), distinct=True
            ),
        )
        .order_by("-referred", "name", "pk")[:limit]
    )
    rows = list(clients)
    bonuses = dict(
        ClientBenefit.objects.filter(client__in=[c.pk for c in rows], referral_lead__isnull=False)
        .values_list("client_id")
        .annotate(n=Count("pk"))
    )
    return [
        {
            "client_id": c.pk,
            "client": c.name,
            "referred": c.referred,
            "converted": c.converted,
            "bonuses": bonuses.get(c.pk, 0),
        }
        for c in rows
    ]


def bonus_recorded(lead: Lead) -> bool:
    return ClientBenefit.objects.filter(referral_lead=lead).exists()


@transaction.atomic
def referral_bonus_record(*, by: User, lead: Lead, values: Mapping[str, Any] | None = None) -> ClientBenefit:
    """Record the referral bonus of the client who recommended `lead` (a benefit of that client,
    naming the lead; once per lead)."""
    from clientela.retention.loyalty import invalid

    client = lead.referred_by_client
    if client is None:
        raise invalid({"lead": [str(_no_referrer())]})
    data = {"kind": BuiltInBenefit.REFERRAL_BONUS.value, **dict(values or {})}
    data["kind"] = data.get("kind") or BuiltInBenefit.REFERRAL_BONUS.value
    return client_benefit_add(by=by, client=client, values=data, referral_lead=lead)


def _no_referrer() -> str:
    from django.utils.translation import gettext as _

    return _("No client recommended this lead.")
