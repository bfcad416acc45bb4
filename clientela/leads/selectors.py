"""Reads of leads and interests, always scoped to what the viewer may see.

Every door (list page, API, search, autocomplete, export) calls these, so filters, search
and permissions behave the same everywhere.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, DateTimeField, OuterRef, Q, QuerySet, Subquery

from clientela.core.listspec import ListValues
from clientela.core.normalise import company_key, phone_digits
from clientela.core.permissions import get_visible_or_404, user_can, visible_team_ids
from clientela.core.roles import Role
from clientela.leads.choices import OPEN_STATUSES
from clientela.leads.lists import LEADS
from clientela.leads.models import Interest, Lead
from clientela.users.models import User


def lead_list(*, viewer: Any, filters: ListValues | None = None) -> QuerySet[Lead]:
    """Leads the viewer may see, filtered and ordered as the list declares (`leads.lists.LEADS`:
    `LEADS.values(q=…, status=…)`), owner and team loaded with each row."""
    return LEADS.queryset(viewer, filters)


def lead_get(*, viewer: Any, pk: int) -> Lead:
    """One lead the viewer may see, or Http404."""
    return get_visible_or_404(
        Lead.objects.select_related("owner", "team", "client", "contact", "refusal_reason"), viewer, pk=pk
    )


def lead_history(*, lead: Lead) -> QuerySet[Any]:
    return lead.events.select_related("actor").order_by("-at", "-id")


def fuzzy_candidates(*, viewer: Any, lead: Lead, limit: int = 5) -> list[Lead]:
    """Open leads that look like the same person: same transliterated last name and first
    initial ('Морозов А.' ≈ 'Morozov A.'), preferring the same company."""
    if not lead.name_key:
        return []
    candidates = list(
        Lead.objects.visible_to(viewer)
        .filter(name_key=lead.name_key, status__in=OPEN_STATUSES, merged_into__isnull=True)
        .exclude(pk=lead.pk)
        .select_related("owner")
        .order_by("-created_at")[:50]
    )
    own_company = company_key(lead.company_name)

    def rank(other: Lead) -> tuple[int, int]:
        same_company = bool(own_company) and company_key(other.company_name) == own_company
        return (0 if same_company else 1, -other.pk)

    if own_company:
        candidates = [
            c for c in candidates if not c.company_name or company_key(c.company_name) == own_company
        ]
    return sorted(candidates, key=rank)[:limit]


def interest_list(
    *,
    viewer: Any,
    q: str = "",
    source: str = "",
    upgraded: bool | None = None,
    created_from: Any = None,
    created_to: Any = None,
) -> QuerySet[Interest]:
    interests = Interest.objects.visible_to(viewer).select_related("team", "upgraded_to")
    if q:
        term = q.strip()
        interests = interests.filter(
            Q(name__icontains=term)
            | Q(company_name__icontains=term)
            | Q(email__icontains=term.lower())
            | Q(phone__contains=phone_digits(term) or term)
        )
    if source:
        interests = interests.filter(source=source)
    if upgraded is not None:
        interests = interests.filter(upgraded_to__isnull=not upgraded)
    if created_from:  # the reader's days, like the lists' date filters
        interests = interests.filter(created_at__date__gte=created_from)
    if created_to:
        interests = interests.filter(created_at__date__lte=created_to)
    return interests.order_by("-created_at", "-id")


def interest_counts_by_source(*, viewer: Any) -> list[Any]:
    return list(
        Interest.objects.visible_to(viewer).values("source").annotate(count=Count("id")).order_by("-count")
    )


def lead_status_counts(*, viewer: Any, mine_only: bool) -> dict[str, int]:
    """Open leads per status for the home page (the viewer's own, or all they may see)."""
    leads = Lead.objects.visible_to(viewer).filter(merged_into__isnull=True, status__in=OPEN_STATUSES)
    if mine_only:
        leads = leads.filter(owner=viewer)
    rows = leads.values_list("status").annotate(count=Count("id"))
    return dict(rows)


def team_load(*, viewer: Any) -> list[Any]:
    """Open leads per manager of the teams the viewer may see (for heads and admins)."""
    teams = visible_team_ids(viewer)
    people = User.objects.filter(is_active=True, role=Role.MANAGER).select_related("team")
    if teams is not None:
        people = people.filter(team_id__in=teams)
    return list(
        people.annotate(
            open_leads=Count(
                "leads", filter=Q(leads__status__in=OPEN_STATUSES, leads__merged_into__isnull=True)
            )
        ).order_by("-open_leads", "first_name")
    )


def client_last_lead_touch() -> Subquery:
    """The last touch of the leads a client came from, over a client row: part of the client's
    last contact (registered on `clients.status.LAST_CONTACT_SOURCES`)."""
    leads = Lead.objects.filter(client=OuterRef("pk"), last_touch_at__isnull=False)
    latest = leads.order_by("-last_touch_at").values("last_touch_at")[:1]
    return Subquery(latest, output_field=DateTimeField())


def client_source_leads(client_ids: list[int]) -> dict[str, dict[int, list[Any]]]:
    """The leads each client came from, newest conversion first, for a handover summary
    (registered on `clients.selectors.HANDOVER_SUMMARY_PARTS`)."""
    leads: dict[int, list[Any]] = defaultdict(list)
    converted = Lead.objects.filter(client_id__in=client_ids).select_related("owner")
    for lead in converted.order_by("-converted_at"):
        if lead.client_id is not None:
            leads[lead.client_id].append(lead)
    return {"source_leads": dict(leads)}


def may_create_leads(user: Any) -> bool:
    """Who may enter leads by hand or import them: those who work records, and marketers who
    run the intake doors."""
    return user_can(user, "work_records") or user_can(user, "manage_intake")
