"""Keep-alive (SPEC §7): an active deal whose client waits on us must not go silent.

Definitions (per open deal — and per won deal still being delivered: one with a delivery end
date not yet marked delivered —, evaluated by the periodic sweep):

* The client is **waiting on us** when
  (a) the latest inbound touch (any activity with direction "in": an e-mail received, a call
      taken …) on the deal — or on its client or contacts without a deal — is later than our
      latest outbound touch to that client, i.e. the client spoke last; or
  (b) a promise to the client is still open: a task of kind `promise` on the deal (or on its
      client without a deal) that is not done.
  The waiting starts at that inbound touch (a) or when the earliest open promise was given (b).
* The client **has heard nothing from us** since our latest outbound activity (direction "out",
  any kind: call, e-mail, meeting, proposal, price list …) on the client — its deals, its
  contacts, or itself.
* The **silence** is counted from the later of our latest outbound touch and the start of the
  waiting, so a client who writes after months of quiet is the first-response clock's business,
  not an instant keep-alive.
* When the silence reaches the team's `KeepAlivePolicy.days` (default 3 calendar days), the deal
  owner gets ONE `keep_alive` task (due at once) and a notification whose link opens the compose
  page prefilled with the keep-alive template. The reminder is keyed by the deal and the moment
  the silence started: it is raised once per waiting period (`run_once`), never while a
  keep-alive task of the deal is still open, and again only after a new touch starts a new
  period.

The team's policy (on or off, the number of days) is read with `keep_alive_policy` and changed by
the team's head or an admin with `keep_alive_policy_update`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientela.activities import texts
from clientela.activities.choices import Direction, TaskKind
from clientela.activities.models import KEEP_ALIVE_DEFAULT_DAYS, Activity, KeepAlivePolicy, Task
from clientela.activities.services.task import task_create
from clientela.comms.templates import render_message
from clientela.core.audit import audit_create, model_update
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.notifications import notify
from clientela.core.permissions import require, role_of, visible_team_ids
from clientela.core.roles import Role
from clientela.core.tasks import run_once
from clientela.core.texts import Message
from clientela.deals.choices import DealStatus
from clientela.deals.models import Deal
from clientela.users.models import User

BATCH = 2000
# Open deals, and won deals still being delivered (a delivery end date, not yet marked delivered):
# after the sale the client still waits on us until the delivery is done.
KEPT_ALIVE = Q(status=DealStatus.OPEN) | Q(
    status=DealStatus.WON, delivery_ends_on__isnull=False, delivered_at__isnull=True
)


def _max_by(rows: Iterable[Any], key: str) -> dict[int, dt.datetime]:
    return {row[key]: row["at"] for row in rows if row[key] is not None}


def waiting_deals(
    *, now: dt.datetime, deal_ids: Iterable[int] | None = None
) -> list[tuple[Any, dt.datetime]]:
    """Open deals whose client waits on us and has heard nothing for the team's number of days.

    Returns `(deal, silence_since)` pairs.
    """

    policies = {p.team_id: p for p in KeepAlivePolicy.objects.all()}
    deals = Deal.objects.filter(KEPT_ALIVE).order_by("pk")
    if deal_ids is not None:
        deals = deals.filter(pk__in=list(deal_ids))
    found: list[tuple[Any, dt.datetime]] = []
    last_pk = 0
    while True:
        batch = list(deals.filter(pk__gt=last_pk).select_related("client", "owner", "team")[:BATCH])
        if not batch:
            return found
        last_pk = batch[-1].pk
        found.extend(_waiting_in(batch, now=now, policies=policies))


def _waiting_in(
    batch: list[Any], *, now: dt.datetime, policies: dict[int, KeepAlivePolicy]
) -> list[tuple[Any, dt.datetime]]:
    deal_ids = [deal.pk for deal in batch]
    client_ids = {deal.client_id for deal in batch}
    out_by_client = _max_by(
        Activity.objects.filter(client_id__in=client_ids, direction=Direction.OUT)
        .values("client_id")
        .annotate(at=Max("occurred_at")),
        "client_id",
    )
    out_by_deal = _max_by(
        Activity.objects.filter(deal_id__in=deal_ids, direction=Direction.OUT)
        .values("deal_id")
        .annotate(at=Max("occurred_at")),
        "deal_id",
    )
    in_by_deal = _max_by(
        Activity.objects.filter(deal_id__in=deal_ids, direction=Direction.IN)
        .values("deal_id")
        .annotate(at=Max("occurred_at")),
        "deal_id",
    )
    in_by_client = _max_by(
        Activity.objects.filter(client_id__in=client_ids, deal__isnull=True, direction=Direction.IN)
        .values("client_id")
        .annotate(at=Max("occurred_at")),
        "client_id",
    )
    open_promises = Task.objects.filter(done_at__isnull=True, kind=TaskKind.PROMISE)
    promise_by_deal = _max_by(
        open_promises.filter(deal_id__in=deal_ids).values("deal_id").annotate(at=Min("created_at")), "deal_id"
    )
    promise_by_client = _max_by(
        open_promises.filter(client_id__in=client_ids, deal__isnull=True)
        .values("client_id")
        .annotate(at=Min("created_at")),
        "client_id",
    )
    busy = set(
        Task.objects.filter(deal_id__in=deal_ids, kind=TaskKind.KEEP_ALIVE, done_at__isnull=True).values_list(
            "deal_id", flat=True
        )
    )
    result = []
    for deal in batch:
        policy = policies.get(deal.team_id)
        if (policy is not None and not policy.enabled) or deal.pk in busy:
            continue
        days = policy.days if policy is not None else KEEP_ALIVE_DEFAULT_DAYS
        last_out = max(
            (at for at in (out_by_client.get(deal.client_id), out_by_deal.get(deal.pk)) if at is not None),
            default=None,
        )
        inbound = max(
            (at for at in (in_by_deal.get(deal.pk), in_by_client.get(deal.client_id)) if at is not None),
            default=None,
        )
        starts = []
        if inbound is not None and (last_out is None or inbound > last_out):
            starts.append(inbound)
        promised = [at for at in (promise_by_deal.get(deal.pk), promise_by_client.get(deal.client_id)) if at]
        if promised:
            starts.append(min(promised))
        if not starts:
            continue
        waiting_since = min(starts)
        silence_since = max(waiting_since, last_out) if last_out is not None else waiting_since
        if now - silence_since >= dt.timedelta(days=days):
            result.append((deal, silence_since))
    return result


def keep_alive_url(deal: Any) -> str:
    try:
        return reverse("activities:keep_alive_compose", args=[deal.pk])
    except NoReverseMatch:
        return ""


def keep_alive_raise(*, deal: Any, silence_since: dt.datetime, now: dt.datetime) -> Task | None:
    """Raise the deal's keep-alive reminder for this waiting period (once). Returns the task if raised."""
    created: list[Task] = []

    def effect() -> None:
        if Task.objects.filter(deal=deal, kind=TaskKind.KEEP_ALIVE, done_at__isnull=True).exists():
            return
        # Written by a background job: in the language of the manager who will read it.
        with translation.override(getattr(deal.owner, "language", "") or settings.LANGUAGE_CODE):
            _raise(days=(now - silence_since).days)

    def _raise(*, days: int) -> None:
        task = task_create(
            by=None,
            title=Message(texts.KEEP_ALIVE, client=deal.client, deal=deal),
            description=_("The client has heard nothing from us for %(days)s days.") % {"days": days},
            due_at=now,
            kind=TaskKind.KEEP_ALIVE,
            assignee=deal.owner,
            deal=deal,
        )
        notify(
            user=deal.owner,
            verb="keep_alive",
            text=_("%(client)s has heard nothing from us for %(days)s days about %(deal)s.")
            % {"client": deal.client, "days": days, "deal": deal},
            url=keep_alive_url(deal),
        )
        created.append(task)

    run_once(f"activities.keep_alive:{deal.pk}:{silence_since.isoformat()}", effect)
    return created[0] if created else None


def keep_alive_sweep(*, now: dt.datetime | None = None) -> int:
    """Raise every due keep-alive reminder. Returns how many were raised."""
    moment = now or timezone.now()
    raised = 0
    for deal, silence_since in waiting_deals(now=moment):
        with transaction.atomic():
            if keep_alive_raise(deal=deal, silence_since=silence_since, now=moment) is not None:
                raised += 1
    return raised


def keep_alive_compose_url(*, deal: Any, language: str, days_waiting: int | str = "") -> str:
    """The compose page prefilled with the keep-alive template for the deal's main contact.

    "" when the mail app's compose page is not there."""
    try:
        base = reverse("mail:compose")
    except NoReverseMatch:
        return ""
    contact = (
        deal.contacts.exclude(email="").order_by("pk").first()
        or deal.client.contacts.exclude(email="").filter(Q(is_archived=False)).order_by("pk").first()
    )
    to = contact.email if contact is not None else deal.client.email
    name = (contact.full_name if contact is not None else "") or str(deal.client)
    lang = (getattr(contact, "preferred_language", "") if contact is not None else "") or language
    subject = _("About %(deal)s") % {"deal": deal.title}
    body = ""
    try:
        rendered = render_message(
            "keep_alive",
            language=lang,
            context={
                "client": deal.client,
                "contact": contact,
                "deal": deal,
                "manager": deal.owner,
                "days_waiting": days_waiting,
            },
        )
        subject, body = rendered.subject or subject, rendered.body
    except Exception:
        body = _("Hello %(name)s,\n\na short note to let you know we are still on it: %(deal)s.\n") % {
            "name": name,
            "deal": deal.title,
        }
    params = {"to": to, "subject": subject, "body": body, "deal": deal.pk, "client": deal.client_id}
    if contact is not None:
        params["contact"] = contact.pk
    return f"{base}?{urlencode(params)}"


# --- The team's policy ---------------------------------------------------------------------------


def keep_alive_policy(team: Any) -> KeepAlivePolicy:
    """The team's keep-alive policy (the defaults when the team has none yet)."""
    if team is None:
        return KeepAlivePolicy()
    policy = KeepAlivePolicy.objects.filter(team=team).first()
    return policy or KeepAlivePolicy(team=team)


@transaction.atomic
def keep_alive_policy_update(*, by: User, team: Any, enabled: bool, days: int) -> KeepAlivePolicy:
    require(by, "view_team_settings")
    teams = visible_team_ids(by)
    if teams is not None and team.pk not in teams:
        raise PermissionDeniedError(_("You cannot change another team's settings."))
    if role_of(by) != Role.ADMIN and team.head_id != by.pk:
        raise PermissionDeniedError(_("Only the team's head of sales can change this."))
    if not 1 <= int(days) <= 60:
        raise BusinessError(_("Please correct the policy."), errors={"days": [_("Between 1 and 60 days.")]})
    policy = KeepAlivePolicy.objects.filter(team=team).first()
    if policy is None:
        policy = KeepAlivePolicy.objects.create(
            team=team, enabled=enabled, days=days, created_by=by, updated_by=by
        )
        audit_create(actor=by, instance=policy, fields=("team", "enabled", "days"))
        return policy
    policy, _changes = model_update(instance=policy, data={"enabled": enabled, "days": int(days)}, actor=by)
    return policy
