"""Handovers: clients get a new personal manager in one action (heads for their teams, admins for
all); both people are told and the new one gets a summary. What other apps keep for a client
follows through `clients.hooks.client_handed_over`, with `handover_move_rows` as their one way
of moving their rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.clients.completeness import refresh_completeness
from clientela.clients.hooks import client_handed_over
from clientela.clients.models import Client, Handover, HandoverItem
from clientela.clients.services.client import actor, owner_candidates
from clientela.clients.services.rules import invalid
from clientela.core.audit import audit_bulk, audit_event
from clientela.core.errors import ConflictError, PermissionDeniedError
from clientela.core.notifications import notify
from clientela.core.permissions import role_of
from clientela.core.roles import OWNING_ROLES, Role
from clientela.users.models import User


def can_hand_over(user: Any) -> bool:
    """Heads of sales (for their teams) and admins move clients between managers."""
    return role_of(user) in (Role.HEAD, Role.ADMIN)


def _handover_url(handover: Handover) -> str:
    try:
        return reverse("clients:handover", args=[handover.pk])
    except NoReverseMatch:
        return ""


@transaction.atomic
def client_handover(*, by: User, clients: Iterable[Client], to_user: User, note: str = "") -> Handover:
    """Give clients a new personal manager in one action.

    Contacts, history and every record registered through `hooks.client_handed_over`
    move with the client; the previous managers and the new one are notified, and the new one
    gets a summary of each relationship (the handover page). One client is audited on its card;
    several are one bulk audit entry.
    """
    if not can_hand_over(by):
        raise PermissionDeniedError(_("Only a head of sales or an admin hands clients over."))
    ids = sorted({c.pk for c in clients})
    if not ids:
        raise invalid({"clients": [_("Choose at least one client.")]})
    if not to_user.is_active or role_of(to_user) not in OWNING_ROLES:
        raise invalid({"to_user": [_("Choose an active manager.")]})
    if not owner_candidates(by).filter(pk=to_user.pk).exists():
        raise PermissionDeniedError(_("You can hand clients only to people of your teams."))
    locked = list(
        Client.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("owner", "team")
        .order_by("pk")
    )
    visible = set(Client.objects.visible_to(by).filter(pk__in=ids).values_list("pk", flat=True))
    if len(locked) != len(ids) or visible != set(ids):
        raise PermissionDeniedError(_("Some of these clients are not yours to hand over."))
    moving = [c for c in locked if c.owner_id != to_user.pk]
    if not moving:
        raise ConflictError(
            _("%(user)s is already the personal manager of these clients.") % {"user": to_user},
            errors={"to_user": [_("Choose someone else.")]},
        )
    new_team = to_user.team
    handover = Handover.objects.create(
        by=actor(by), to_user=to_user, team=new_team, note=str(note or "").strip()[:5000]
    )
    HandoverItem.objects.bulk_create(
        [HandoverItem(handover=handover, client=c, from_user=c.owner, from_team=c.team) for c in moving]
    )
    moving_ids = [c.pk for c in moving]
    changes: dict[str, Any] = {"owner": to_user, "updated_by": actor(by), "updated_at": timezone.now()}
    if new_team is not None:
        changes["team"] = new_team
    Client.objects.filter(pk__in=moving_ids).update(**changes)
    if any(c.owner_id is None for c in moving):
        refresh_completeness(c.pk for c in moving if c.owner_id is None)  # the owner is a key field
    if len(moving) == 1:
        client = moving[0]
        audit_event(
            actor=by,
            instance=client,
            event="handover",
            changes={
                "owner": [client.owner_id, to_user.pk],
                "team": [client.team_id, new_team.pk if new_team else client.team_id],
                "handover": handover.pk,
            },
        )
    else:
        audit_bulk(
            actor=by,
            model=Client,
            event="handover",
            details={
                "handover": handover.pk,
                "clients": moving_ids,
                "from": {str(c.pk): c.owner_id for c in moving},
                "to_user": to_user.pk,
                "team": new_team.pk if new_team else None,
            },
        )
    from_user_ids = sorted({c.owner_id for c in moving if c.owner_id})
    for hook in client_handed_over:
        hook(by=by, handover=handover, client_ids=moving_ids, from_user_ids=from_user_ids, to_user=to_user)
    url = _handover_url(handover)
    names = ", ".join(c.name for c in moving[:3]) + ("…" if len(moving) > 3 else "")
    notify(
        user=to_user,
        verb="clients_handed_over",
        text=_("You are now the personal manager of %(count)d client(s): %(names)s. See the summary.")
        % {"count": len(moving), "names": names},
        url=url,
    )
    for previous in User.objects.filter(pk__in=from_user_ids).exclude(pk=to_user.pk):
        count = sum(1 for c in moving if c.owner_id == previous.pk)
        notify(
            user=previous,
            verb="clients_handed_over",
            text=_("%(count)d of your clients were handed over to %(user)s.")
            % {"count": count, "user": to_user},
            url=url,
        )
    return handover


@transaction.atomic
def client_handover_all(*, by: User, from_user: User, to_user: User, note: str = "") -> Handover:
    """Everything `from_user` manages (that `by` may hand over) goes to `to_user`."""
    if not can_hand_over(by):
        raise PermissionDeniedError(_("Only a head of sales or an admin hands clients over."))
    clients = list(Client.objects.visible_to(by).filter(owner=from_user).only("pk"))
    if not clients:
        raise invalid({"from_user": [_("%(user)s has no clients you can hand over.") % {"user": from_user}]})
    return client_handover(by=by, clients=clients, to_user=to_user, note=note)


def handover_move_rows(
    *, by: User, handover: Any, rows: models.QuerySet[Any], changes: dict[str, Any], what: str, to_user: User
) -> int:
    """Give another app's rows that follow a handover (open tasks, e-mail threads) to the new
    manager, with their team, in one update and one audit entry naming them (`what`: the entry's
    key for the ids). Used by the `client_handed_over` hooks of those apps."""
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        return 0
    if to_user.team_id:
        changes = {**changes, "team_id": to_user.team_id}
    rows.model.objects.filter(pk__in=ids).update(**changes)
    audit_bulk(
        actor=by,
        model=rows.model,
        event="handover",
        details={"handover": getattr(handover, "pk", None), what: ids, "to_user": to_user.pk},
    )
    return len(ids)
