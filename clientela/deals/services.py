"""Writes on a deal itself: start it, edit it, add a note — and what every write on a deal shares
(who may change it, the timeline, version claims). The sub-domains write through these:
`board` (moves between stages, won/lost, objections), `catalogue` (product lines), `documents`
and `payments`. Each write is atomic, audited and on the deal's timeline.

Concurrency: every change to a deal's own fields claims the next `version` with a conditional
UPDATE (`… WHERE id = %s AND version = %s`). A caller that read version 3 and writes after
someone else made it 4 gets a ConflictError (409) and nothing of theirs is written. Callers
that send no version (a drag on the board, a background job) lock the row instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.clients.models import Client, Contact
from clientela.clients.services.derived import client_record_activity
from clientela.core.audit import audit_create, audit_event, json_safe, model_update
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.normalise import search_text
from clientela.core.notifications import notify
from clientela.core.permissions import Action, require_record, role_of, user_can
from clientela.core.roles import OWNING_ROLES, Role
from clientela.core.texts import Message, sentences, stored
from clientela.core.validation import too_long
from clientela.deals import texts
from clientela.deals.board.stages import default_pipeline, first_open_stage
from clientela.deals.choices import DealEventKind, DealStatus
from clientela.deals.models import Deal, DealEvent, DealStageChange, DocumentVersion, Pipeline, Stage
from clientela.deals.money import clean_currency, currency_for_country, invalid, parse_amount
from clientela.users.models import Team, User

DEAL_AUDIT_FIELDS = [
    "title",
    "client",
    "owner",
    "team",
    "pipeline",
    "stage",
    "status",
    "amount",
    "currency",
    "expected_close_date",
    "next_step_date",
    "next_step_subject",
    "source_lead",
]
# Fields `deal_update` may change; pipeline and stage change only by moving the deal.
EDITABLE_FIELDS = {
    "title",
    "client",
    "contacts",
    "owner",
    "amount",
    "currency",
    "expected_close_date",
    "next_step_date",
    "next_step_subject",
    "source_lead",
}
# What a refused change of a deal says, on a page and in the API.
CANNOT_CHANGE = gettext_lazy("You cannot change this deal.")


def actor_of(by: User | None) -> User | None:
    """The user a write is recorded under: none for a job or an anonymous caller."""
    return by if getattr(by, "is_authenticated", False) else None


def deal_url(deal: Deal) -> str:
    try:
        return reverse("deals:detail", args=[deal.pk])
    except NoReverseMatch:
        return ""


def deal_event(
    deal: Deal,
    kind: str,
    actor: User | None = None,
    text: str | Message = "",
    *,
    document_version: DocumentVersion | None = None,
    at: dt.datetime | None = None,
    **data: Any,
) -> DealEvent:
    """Add a line to the deal's timeline (`at`: when it happened, if not now): a `Message` the
    system writes (shown in each reader's language), or a person's text as typed."""
    plain, message = stored(text)
    return DealEvent.objects.create(
        deal=deal,
        kind=kind,
        actor=actor_of(actor),
        text=plain,
        text_message=message,
        data=json_safe(data),
        document_version=document_version,
        at=at or timezone.now(),
    )


# --- Version claims (optimistic locking) --------------------------------------------------------


def conflict(current: int | None) -> ConflictError:
    message = _(
        "Someone else changed this deal while you were editing it (it is now at version %(version)s). "
        "Reload it to see their change, then apply yours again."
    ) % {"version": current}
    return ConflictError(message, errors={"version": [message]})


def claim_version(deal: Deal, expected: int | None) -> None:
    """Move the deal to its next version, or refuse with 409 when `expected` is stale.

    With `expected` None the row is locked and whatever version it has is claimed. The deal
    is reloaded afterwards, so the change is based on what is stored, not on what was read.
    """
    if expected is None:
        expected = Deal.objects.select_for_update().values_list("version", flat=True).get(pk=deal.pk)
    claimed = Deal.objects.filter(pk=deal.pk, version=expected).update(version=expected + 1)
    if not claimed:
        current = Deal.objects.filter(pk=deal.pk).values_list("version", flat=True).first()
        raise conflict(current)
    deal.refresh_from_db()


# --- Reading helpers for input ------------------------------------------------------------------


def _check_client(by: User | None, client: Client) -> None:
    if by is not None and not Client.objects.visible_to(by).filter(pk=client.pk).exists():
        raise invalid("client", _("Choose one of your clients."))
    if client.is_archived:
        raise invalid("client", _("This client is archived; restore it before starting a deal."))


def _check_contacts(client: Client, contacts: Iterable[Contact]) -> list[Contact]:
    contacts = list(contacts)
    if any(contact.client_id != client.pk for contact in contacts):
        raise invalid("contacts", _("Choose contacts of this client."))
    return contacts


def _check_owner(by: User | None, owner: User | None, *, current: User | None = None) -> None:
    """Managers own what they create; heads and admins may give a deal to someone of their teams
    (or put it back in the team queue)."""
    if owner == current:
        return
    if owner is None:
        if by is not None and not user_can(by, "distribute_leads"):
            raise PermissionDeniedError(_("Only a head of sales can put a deal back in the team queue."))
        return
    if not owner.is_active or role_of(owner) not in OWNING_ROLES:
        raise invalid("owner", _("Choose an active sales manager."))
    if by is None or owner.pk == by.pk:
        return
    if not user_can(by, "distribute_leads"):
        raise PermissionDeniedError(_("Only a head of sales can give a deal to someone else."))
    if role_of(by) != Role.ADMIN:
        teams = {by.team_id, *by.headed_teams.values_list("id", flat=True)}
        if owner.team_id not in teams:
            raise invalid("owner", _("Choose someone of your teams."))


def _checked_client(by: User | None, client: Client) -> Client:
    _check_client(by, client)
    return client


def _checked_owner(by: User | None, owner: User | None, *, current: User | None) -> User | None:
    _check_owner(by, owner, current=current)
    return owner


def touch_client(client: Client, at: dt.datetime) -> None:
    """A deal started or won counts as contact/purchase for the client's status (clients app)."""
    client_record_activity(client=client, at=at)


def _default_currency(client: Client, team: Team | None) -> str:
    return currency_for_country(client.country or (team.default_country if team else ""))


# --- Deals -------------------------------------------------------------------------------------


@transaction.atomic
def deal_create(
    *,
    by: User | None,
    client: Client,
    title: str = "",
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    owner: User | None = None,
    amount: Any = None,
    currency: str = "",
    expected_close_date: dt.date | None = None,
    next_step_date: dt.date | None = None,
    next_step_subject: str = "",
    contacts: Iterable[Contact] = (),
    source_lead: Any = None,
    at: dt.datetime | None = None,
) -> Deal:
    """Start a deal with a client in the first open stage of a pipeline (the default one unless
    named). The owner is the creator unless a head gives it to someone; the team follows the owner."""
    by = actor_of(by)
    if by is not None and not user_can(by, "work_records"):
        raise PermissionDeniedError(_("Your role cannot start deals."))
    _check_client(by, client)
    contact_list = _check_contacts(client, contacts)
    if owner is None and by is not None and role_of(by) in OWNING_ROLES:
        owner = by
    _check_owner(by, owner)
    pipeline = pipeline or default_pipeline()
    if not pipeline.is_active:
        raise invalid("pipeline", _("This pipeline is switched off."))
    if stage is None:
        stage = first_open_stage(pipeline)
    elif stage.pipeline_id != pipeline.pk or not stage.is_active:
        raise invalid("stage", _("Choose an active stage of the pipeline."))
    elif stage.is_closed:
        raise invalid("stage", _("A new deal starts in an open stage; win or lose it afterwards."))
    team = owner.team if owner is not None else (client.team or (by.team if by else None))
    title = " ".join((title or "").split())[:200] or client.name[:200]
    now = at or timezone.now()
    deal = Deal(
        title=title,
        client=client,
        owner=owner,
        team=team,
        pipeline=pipeline,
        stage=stage,
        status=DealStatus.OPEN,
        amount=parse_amount(amount) if amount not in (None, "") else Decimal("0.00"),
        currency=clean_currency(currency) if currency else _default_currency(client, team),
        expected_close_date=expected_close_date,
        next_step_date=next_step_date,
        next_step_subject=" ".join((next_step_subject or "").split())[:200],
        source_lead=source_lead,
        search_text=search_text(title)[:600],
        stage_entered_at=now,
        created_by=by,
        updated_by=by,
    )
    deal.save()
    if at is not None:
        Deal.objects.filter(pk=deal.pk).update(created_at=at)
    if contact_list:
        deal.contacts.set(contact_list)
    DealStageChange.objects.create(
        deal=deal, pipeline=pipeline, from_stage=None, to_stage=stage, at=now, by=by
    )
    audit_create(actor=by, instance=deal, fields=DEAL_AUDIT_FIELDS)
    text = Message(
        texts.CREATED, pipeline=texts.label("pipeline", pipeline), stage=texts.label("stage", stage)
    )
    if source_lead is not None:
        text = sentences(text, Message(texts.FROM_LEAD, lead=source_lead))
    deal_event(deal, DealEventKind.CREATED, by, text, at=now, stage=stage.pk)
    touch_client(client, now)
    if owner is not None and owner != by:
        notify(
            user=owner,
            verb="deal_assigned",
            text=_("New deal for you: %(deal)s") % {"deal": deal},
            url=deal_url(deal),
        )
    return deal


def _clean_update(by: User, deal: Deal, data: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise the fields of an edit; every bad value is named."""
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise invalid(sorted(unknown)[0], _("This field cannot be changed here."))
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}

    def collect(name: str, call: Any) -> None:
        try:
            values[name] = call()
        except PermissionDeniedError:
            raise
        except BusinessError as exc:
            for field, messages in (exc.errors or {name: [exc.message]}).items():
                errors.setdefault(field, []).extend(messages)

    has_lines = deal.lines.exists()
    if "title" in data:
        title = " ".join(str(data["title"] or "").split())
        if not title:
            errors["title"] = [_("Give the deal a title.")]
        elif len(title) > 200:
            errors["title"] = [too_long(200)]
        values["title"] = title
    if "amount" in data:
        collect("amount", lambda: parse_amount(data["amount"]))
        if has_lines and "amount" in values and values["amount"] != deal.amount:
            errors.setdefault("amount", []).append(
                _("The amount is the sum of the deal's products; change the products instead.")
            )
    if "currency" in data:
        collect("currency", lambda: clean_currency(data["currency"]))
        if values.get("currency") not in (None, deal.currency) and (has_lines or deal.payments.exists()):
            errors.setdefault("currency", []).append(
                _("The deal has products or payments in %(currency)s; remove them to change the currency.")
                % {"currency": deal.currency}
            )
    if "next_step_subject" in data:
        subject = " ".join(str(data["next_step_subject"] or "").split())
        if len(subject) > 200:
            errors["next_step_subject"] = [too_long(200)]
        values["next_step_subject"] = subject
    for name in ("expected_close_date", "next_step_date"):
        if name in data:
            if data[name] is not None and not isinstance(data[name], dt.date):
                errors[name] = [_("Enter a date.")]
            values[name] = data[name]
    client = data.get("client", deal.client)
    if "client" in data:
        if client is None:
            errors["client"] = [_("A deal needs a client.")]
        else:
            collect("client", lambda: _checked_client(by, client))
    if "contacts" in data and client is not None:
        collect("contacts", lambda: _check_contacts(client, data["contacts"] or []))
    elif "client" in data and client is not None and client != deal.client:
        values["contacts"] = []  # the old client's people do not follow the deal
    if "owner" in data:
        owner = data["owner"]
        taking_own = owner is not None and by is not None and owner.pk == by.pk and deal.owner_id is None
        if owner != deal.owner and not taking_own:
            collect("owner", lambda: _checked_owner(by, owner, current=deal.owner))
        else:
            values["owner"] = owner
    if "source_lead" in data:
        values["source_lead"] = data["source_lead"]
    if errors:
        raise BusinessError(_("Some fields are not valid."), errors=errors, status=422)
    return values


@transaction.atomic
def deal_update(*, by: User, deal: Deal, data: dict[str, Any], version: int | None) -> Deal:
    """Edit a deal's fields. `version` is the one the editor saw; a stale one is a 409 conflict.

    Pipeline and stage change by moving the deal (`deal_move`); the amount is the sum of the
    product lines when the deal has some.
    """
    require_record(by, deal, Action.WORK, CANNOT_CHANGE)
    values = _clean_update(by, deal, data)
    claim_version(deal, version)
    contacts = values.pop("contacts", None)
    old_owner = deal.owner
    if "owner" in values and values["owner"] is not None and values["owner"] != deal.owner:
        values["team"] = values["owner"].team
    deal, changes = model_update(instance=deal, data=values, actor=actor_of(by))
    if contacts is not None:
        before = set(deal.contacts.values_list("pk", flat=True))
        after = {contact.pk for contact in contacts}
        if before != after:
            deal.contacts.set(contacts)
            changes["contacts"] = [sorted(before), sorted(after)]
            audit_event(actor=by, instance=deal, event="contacts", changes={"contacts": changes["contacts"]})
    if not changes:
        return deal
    if "owner" in changes:
        deal_event(
            deal,
            DealEventKind.ASSIGNED,
            by,
            _("Owner: %(old)s → %(new)s") % {"old": old_owner or "—", "new": deal.owner or "—"},
        )
        notify(
            user=deal.owner,
            verb="deal_assigned",
            text=_("New deal for you: %(deal)s") % {"deal": deal},
            url=deal_url(deal),
        )
        if old_owner is not None and old_owner != actor_of(by):
            notify(
                user=old_owner,
                verb="deal_reassigned",
                text=_("%(deal)s was given to %(owner)s") % {"deal": deal, "owner": deal.owner or "—"},
                url=deal_url(deal),
            )
    if "title" in changes:
        deal.search_text = search_text(deal.title)[:600]
        Deal.objects.filter(pk=deal.pk).update(search_text=deal.search_text)
    other = [name for name in changes if name not in ("owner", "team")]
    if other:
        labels = [str(getattr(Deal._meta.get_field(name), "verbose_name", name)) for name in other]
        deal_event(
            deal,
            DealEventKind.EDITED,
            by,
            _("Changed: %(fields)s") % {"fields": ", ".join(labels)},
            changes=changes,
        )
    return deal


@transaction.atomic
def deal_note(*, by: User, deal: Deal, text: str) -> DealEvent:
    require_record(by, deal, Action.WORK, CANNOT_CHANGE)
    text = (text or "").strip()
    if not text:
        raise invalid("text", _("Write something."))
    if len(text) > 5000:
        raise invalid("text", too_long(5000))
    return deal_event(deal, DealEventKind.NOTE, by, text)
