"""Writes on deals: create, edit, move between stages (win, lose, reopen), product lines,
payments, objections and documents — each atomic, audited and on the deal's timeline.

Concurrency: every change to a deal's own fields claims the next `version` with a conditional
UPDATE (`… WHERE id = %s AND version = %s`). A caller that read version 3 and writes after
someone else made it 4 gets a ConflictError (409) and nothing of theirs is written. Callers
that send no version (a drag on the board, a background job) lock the row instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.clients.models import Client, Contact
from clientela.core.audit import audit_create, audit_event, json_safe, model_update
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.normalise import search_text
from clientela.core.notifications import notify
from clientela.core.permissions import role_of, user_can
from clientela.core.roles import Role
from clientela.deals.choices import (
    DOCUMENT_PREFIX,
    DealEventKind,
    DealStatus,
    DocumentKind,
    DocumentStatus,
    PaymentKind,
)
from clientela.deals.models import (
    Deal,
    DealEvent,
    DealLine,
    DealObjection,
    DealStageChange,
    Document,
    DocumentCounter,
    DocumentTemplate,
    DocumentVersion,
    LostReason,
    Objection,
    Payment,
    Pipeline,
    Product,
    Stage,
)
from clientela.deals.money import (
    clean_currency,
    currency_for_country,
    format_money,
    invalid,
    line_total,
    parse_amount,
    parse_percent,
    parse_quantity,
)
from clientela.deals.pricing import price_for
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
OWNING_ROLES = (Role.MANAGER, Role.HEAD, Role.ADMIN)
# A proposal is valid this long unless the author says otherwise.
DEFAULT_VALIDITY_DAYS = 14


@dataclass(frozen=True)
class ScheduledPayment:
    """One expected payment of a schedule, as given when a deal is won."""

    due_date: dt.date
    amount: Any  # parsed with parse_amount (Decimal, int or string; never float)


def _actor(by: Any) -> Any:
    return by if getattr(by, "is_authenticated", False) else None


def deal_url(deal: Deal) -> str:
    try:
        return reverse("deals:detail", args=[deal.pk])
    except NoReverseMatch:
        return ""


def deal_event(
    deal: Deal,
    kind: str,
    actor: Any = None,
    text: str = "",
    *,
    document_version: DocumentVersion | None = None,
    at: dt.datetime | None = None,
    **data: Any,
) -> DealEvent:
    """Add a line to the deal's timeline (`at`: when it happened, if not now)."""
    return DealEvent.objects.create(
        deal=deal,
        kind=kind,
        actor=_actor(actor),
        text=str(text),
        data=json_safe(data),
        document_version=document_version,
        at=at or timezone.now(),
    )


# --- Who may do what ---------------------------------------------------------------------------


def can_work(user: Any, deal: Deal) -> bool:
    """Owner, the head of the deal's team, an admin, or a manager of the team on an unassigned deal."""
    role = role_of(user)
    if role is None or role == Role.MARKETER:
        return False
    if role == Role.ADMIN or deal.owner_id == user.pk:
        return True
    if role == Role.HEAD:
        return deal.team_id is not None and (
            deal.team_id == user.team_id or user.headed_teams.filter(pk=deal.team_id).exists()
        )
    return role == Role.MANAGER and deal.owner_id is None and deal.team_id == user.team_id


def require_work(user: Any, deal: Deal) -> None:
    if not can_work(user, deal):
        raise PermissionDeniedError(_("You cannot change this deal."))


def _require_open(deal: Deal, message: str) -> None:
    if deal.status != DealStatus.OPEN:
        raise ConflictError(message)


# --- Pipelines ---------------------------------------------------------------------------------


def default_pipeline() -> Pipeline:
    pipeline = Pipeline.objects.filter(is_active=True).order_by("-is_default", "position", "id").first()
    if pipeline is None:
        raise BusinessError(
            _("No active pipeline: an administrator must set one up first."),
            errors={"pipeline": [_("No active pipeline.")]},
        )
    return pipeline


def first_open_stage(pipeline: Pipeline) -> Stage:
    stage = (
        pipeline.stages.filter(is_active=True, is_won=False, is_lost=False).order_by("position", "id").first()
    )
    if stage is None:
        raise BusinessError(
            _("The pipeline has no open stage."), errors={"pipeline": [_("The pipeline has no open stage.")]}
        )
    return stage


def closing_stage(pipeline: Pipeline, *, won: bool) -> Stage:
    stages = pipeline.stages.filter(is_active=True)
    stage = (stages.filter(is_won=True) if won else stages.filter(is_lost=True)).order_by("position").first()
    if stage is None:
        message = _("The pipeline has no won stage.") if won else _("The pipeline has no lost stage.")
        raise BusinessError(message, errors={"stage": [message]})
    return stage


# --- Version claims (optimistic locking) --------------------------------------------------------


def conflict(current: int | None) -> ConflictError:
    message = _(
        "Someone else changed this deal while you were editing it (it is now at version %(version)s). "
        "Reload it to see their change, then apply yours again."
    ) % {"version": current}
    return ConflictError(message, errors={"version": [message]})


def _claim_version(deal: Deal, expected: int | None) -> None:
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


def _check_client(by: Any, client: Client) -> None:
    if by is not None and not Client.objects.visible_to(by).filter(pk=client.pk).exists():
        raise invalid("client", _("Choose one of your clients."))
    if client.is_archived:
        raise invalid("client", _("This client is archived; restore it before starting a deal."))


def _check_contacts(client: Client, contacts: Iterable[Contact]) -> list[Contact]:
    contacts = list(contacts)
    if any(contact.client_id != client.pk for contact in contacts):
        raise invalid("contacts", _("Choose contacts of this client."))
    return contacts


def _check_owner(by: Any, owner: User | None, *, current: User | None = None) -> None:
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


def _checked_client(by: Any, client: Client) -> Client:
    _check_client(by, client)
    return client


def _checked_owner(by: Any, owner: User | None, *, current: User | None) -> User | None:
    _check_owner(by, owner, current=current)
    return owner


def _touch_client(client: Client, at: dt.datetime) -> None:
    """A deal started or won counts as contact/purchase for the client's status (clients app)."""
    try:
        from clientela.clients.services import client_record_activity
    except ImportError:  # a clients app without status inputs
        return
    client_record_activity(client=client, at=at)


def _default_currency(client: Client, team: Team | None) -> str:
    return currency_for_country(client.country or (team.default_country if team else ""))


# --- Deals -------------------------------------------------------------------------------------


@transaction.atomic
def deal_create(
    *,
    by: Any,
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
    by = _actor(by)
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
    text = _("Deal started in %(pipeline)s, stage “%(stage)s”.") % {"pipeline": pipeline, "stage": stage}
    if source_lead is not None:
        text += " " + _("From lead %(lead)s.") % {"lead": source_lead}
    deal_event(deal, DealEventKind.CREATED, by, text, at=now, stage=stage.pk)
    _touch_client(client, now)
    if owner is not None and owner != by:
        notify(
            user=owner,
            verb="deal_assigned",
            text=_("New deal for you: %(deal)s") % {"deal": deal},
            url=deal_url(deal),
        )
    return deal


def _clean_update(by: Any, deal: Deal, data: dict[str, Any]) -> dict[str, Any]:
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
            errors["title"] = [_("Too long: at most %(max)d characters.") % {"max": 200}]
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
            errors["next_step_subject"] = [_("Too long: at most %(max)d characters.") % {"max": 200}]
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
def deal_update(*, by: Any, deal: Deal, data: dict[str, Any], version: int | None) -> Deal:
    """Edit a deal's fields. `version` is the one the editor saw; a stale one is a 409 conflict.

    Pipeline and stage change by moving the deal (`deal_move`); the amount is the sum of the
    product lines when the deal has some.
    """
    require_work(by, deal)
    values = _clean_update(by, deal, data)
    _claim_version(deal, version)
    contacts = values.pop("contacts", None)
    old_owner = deal.owner
    if "owner" in values and values["owner"] is not None and values["owner"] != deal.owner:
        values["team"] = values["owner"].team
    deal, changes = model_update(instance=deal, data=values, actor=_actor(by))
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
        if old_owner is not None and old_owner != _actor(by):
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


def _clean_schedule(deal: Deal, payments: Sequence[ScheduledPayment]) -> list[tuple[dt.date, Decimal]]:
    rows: list[tuple[dt.date, Decimal]] = []
    for index, row in enumerate(payments):
        field = f"payments.{index}"
        if not isinstance(row.due_date, dt.date):
            raise invalid(f"{field}.due_date", _("Enter the due date."))
        rows.append((row.due_date, parse_amount(row.amount, field=f"{field}.amount", positive=True)))
    return rows


def _check_win(deal: Deal, amount: Decimal, schedule: list[tuple[dt.date, Decimal]]) -> None:
    """A deal is won with an amount above zero and, where the pipeline asks, a full payment schedule."""
    if amount <= 0:
        raise invalid(
            "amount", _("A deal is won with an amount above zero: add products or enter the amount.")
        )
    if not deal.pipeline.requires_payment_schedule and not schedule:
        return
    expected = deal.payments.filter(kind=PaymentKind.EXPECTED).aggregate(total=Sum("amount"))[
        "total"
    ] or Decimal(0)
    total = expected + sum((value for _day, value in schedule), Decimal(0))
    if deal.pipeline.requires_payment_schedule and total != amount:
        raise invalid(
            "payments",
            _(
                "The expected payments must add up to the deal amount (%(amount)s); "
                "now they add up to %(total)s."
            )
            % {"amount": format_money(amount, deal.currency), "total": format_money(total, deal.currency)},
        )
    if total > amount:
        raise invalid(
            "payments",
            _("The expected payments (%(total)s) are more than the deal amount (%(amount)s).")
            % {"amount": format_money(amount, deal.currency), "total": format_money(total, deal.currency)},
        )


@transaction.atomic
def deal_move(
    *,
    by: Any,
    deal: Deal,
    stage: Stage,
    version: int | None = None,
    lost_reason: LostReason | None = None,
    lost_note: str = "",
    amount: Any = None,
    payments: Sequence[ScheduledPayment] = (),
    at: dt.datetime | None = None,
) -> Deal:
    """Move a deal to `stage` (of its pipeline or another one), recording the stage history.

    Won needs an amount above zero (sent here as `amount` when the deal has no products) and,
    when the pipeline says so, expected payments adding up to it (`payments`). Lost needs a
    reason. Everything is checked before anything is written.
    """
    require_work(by, deal)
    if not stage.is_active:
        raise invalid("stage", _("This stage is switched off."))
    if stage.pk == deal.stage_id:
        if version is not None and version != deal.version:
            raise conflict(deal.version)
        return deal  # already there: moving again changes nothing
    if stage.pipeline_id != deal.pipeline_id and not stage.pipeline.is_active:
        raise invalid("stage", _("This pipeline is switched off."))
    reason_text = " ".join((lost_note or "").split())[:2000]
    if stage.is_lost:
        if lost_reason is None:
            raise invalid("lost_reason", _("Say why the deal was lost."))
        if not lost_reason.is_active:
            raise invalid("lost_reason", _("This reason is switched off; choose another one."))
    has_lines = deal.lines.exists()
    new_amount: Decimal | None = None
    if amount not in (None, ""):
        new_amount = parse_amount(amount)
        if has_lines and new_amount != deal.amount:
            raise invalid(
                "amount", _("The amount is the sum of the deal's products; change the products instead.")
            )
    schedule = _clean_schedule(deal, payments)
    if schedule and not stage.is_won:
        raise invalid("payments", _("A payment schedule is given when a deal is won."))
    if stage.is_won:
        _check_win(deal, new_amount if new_amount is not None else deal.amount, schedule)

    _claim_version(deal, version)
    now = at or timezone.now()
    old_stage, old_status = deal.stage, deal.status
    if stage.is_won:
        # Checked again against the locked row: a concurrent edit may have changed the payments.
        _check_win(deal, new_amount if new_amount is not None else deal.amount, schedule)
    for due_date, value in schedule:
        payment = Payment.objects.create(
            deal=deal,
            kind=PaymentKind.EXPECTED,
            amount=value,
            currency=deal.currency,
            due_date=due_date,
            created_by=_actor(by),
            updated_by=_actor(by),
        )
        audit_create(actor=by, instance=payment, fields=["deal", "kind", "amount", "currency", "due_date"])
    seconds = max(0, int((now - deal.stage_entered_at).total_seconds()))
    DealStageChange.objects.create(
        deal=deal,
        pipeline=stage.pipeline,
        from_stage=old_stage,
        to_stage=stage,
        at=now,
        by=_actor(by),
        seconds_in_previous=seconds,
    )
    deal.pipeline = stage.pipeline
    deal.stage = stage
    deal.status = stage.status
    deal.stage_entered_at = now
    if new_amount is not None:
        deal.amount = new_amount
    if stage.is_closed:
        deal.closed_at = deal.closed_at if old_status == stage.status else now
    else:
        deal.closed_at = None
    deal.lost_reason = lost_reason if stage.is_lost else None
    deal.lost_note = reason_text if stage.is_lost else ""
    deal.updated_by = _actor(by)
    deal.save(
        update_fields=[
            "pipeline",
            "stage",
            "status",
            "stage_entered_at",
            "amount",
            "closed_at",
            "lost_reason",
            "lost_note",
            "updated_by",
            "updated_at",
        ]
    )
    changes: dict[str, Any] = {"stage": [old_stage.pk, stage.pk]}
    if old_status != deal.status:
        changes["status"] = [old_status, deal.status]
    if stage.is_lost:
        changes["lost_reason"] = [None, lost_reason.code if lost_reason else None]
    audit_event(actor=by, instance=deal, event=f"moved_{deal.status}", changes=changes)
    if stage.is_won:
        _touch_client(deal.client, now)
    _stage_event(deal, by, old_stage, old_status, stage, seconds, schedule, now)
    _notify_stage_change(deal, by, old_stage, stage)
    return deal


def _stage_event(
    deal: Deal,
    by: Any,
    old_stage: Stage,
    old_status: str,
    stage: Stage,
    seconds: int,
    schedule: list[tuple[dt.date, Decimal]],
    at: dt.datetime,
) -> None:
    days = seconds // 86400
    moved = _("%(old)s → %(new)s after %(days)s d in “%(old)s”.") % {
        "old": old_stage,
        "new": stage,
        "days": days,
    }
    data: dict[str, Any] = {"from": old_stage.pk, "to": stage.pk, "seconds": seconds, "at": at}
    if stage.is_won:
        text = _("Won: %(amount)s.") % {"amount": format_money(deal.amount, deal.currency)}
        if schedule:
            text += " " + _("Payment schedule: %(rows)s.") % {
                "rows": "; ".join(
                    f"{day.isoformat()} {format_money(value, deal.currency)}" for day, value in schedule
                )
            }
        deal_event(deal, DealEventKind.WON, by, f"{text} {moved}", **data)
    elif stage.is_lost:
        text = _("Lost: %(reason)s.") % {"reason": deal.lost_reason}
        if deal.lost_note:
            text += f" {deal.lost_note}"
        deal_event(deal, DealEventKind.LOST, by, f"{text} {moved}", **data)
    elif old_status != DealStatus.OPEN:
        deal_event(deal, DealEventKind.REOPENED, by, _("Reopened. %(moved)s") % {"moved": moved}, **data)
    else:
        deal_event(deal, DealEventKind.STAGE, by, moved, **data)


def _notify_stage_change(deal: Deal, by: Any, old_stage: Stage, stage: Stage) -> None:
    text = _("%(deal)s: %(old)s → %(new)s") % {"deal": deal, "old": old_stage, "new": stage}
    actor = _actor(by)
    if deal.pipeline.notify_head_on_stage_change and deal.team_id:
        head = Team.objects.filter(pk=deal.team_id).values_list("head", flat=True).first()
        if head and (actor is None or head != actor.pk):
            notify(user=User.objects.get(pk=head), verb="deal_stage", text=text, url=deal_url(deal))
    if deal.owner is not None and deal.owner != actor:
        notify(user=deal.owner, verb="deal_stage", text=text, url=deal_url(deal))


def deal_win(
    *,
    by: Any,
    deal: Deal,
    version: int | None = None,
    amount: Any = None,
    payments: Sequence[ScheduledPayment] = (),
    stage: Stage | None = None,
) -> Deal:
    """Close the deal as won (the pipeline's won stage unless one is named)."""
    target = stage or closing_stage(deal.pipeline, won=True)
    if not target.is_won:
        raise invalid("stage", _("Choose a won stage."))
    return deal_move(by=by, deal=deal, stage=target, version=version, amount=amount, payments=payments)


def deal_lose(
    *,
    by: Any,
    deal: Deal,
    reason: LostReason | None,
    note: str = "",
    version: int | None = None,
) -> Deal:
    """Close the deal as lost, with a reason from the configured list."""
    target = closing_stage(deal.pipeline, won=False)
    return deal_move(by=by, deal=deal, stage=target, version=version, lost_reason=reason, lost_note=note)


@transaction.atomic
def deal_note(*, by: Any, deal: Deal, text: str) -> DealEvent:
    require_work(by, deal)
    text = (text or "").strip()
    if not text:
        raise invalid("text", _("Write something."))
    if len(text) > 5000:
        raise invalid("text", _("Too long: at most %(max)d characters.") % {"max": 5000})
    return deal_event(deal, DealEventKind.NOTE, by, text)


# --- Product lines -----------------------------------------------------------------------------


def _recompute_amount(deal: Deal, by: Any) -> None:
    """The deal's amount is the sum of its lines (left as it was when the last line goes)."""
    total = deal.lines.aggregate(total=Sum("total"))["total"]
    if total is None or total == deal.amount:
        return
    old = deal.amount
    Deal.objects.filter(pk=deal.pk).update(amount=total, updated_at=timezone.now(), updated_by=_actor(by))
    deal.amount = total
    audit_event(actor=by, instance=deal, event="amount_from_lines", changes={"amount": [old, total]})


@transaction.atomic
def line_add(
    *,
    by: Any,
    deal: Deal,
    product: Product | None = None,
    name: str = "",
    quantity: Any = 1,
    unit_price: Any = None,
    discount_percent: Any = 0,
    unit: str = "",
    version: int | None = None,
) -> DealLine:
    """Add a product line. Without a unit price the client's price list (or the default list of
    the deal's currency) gives it; the deal's amount becomes the sum of its lines."""
    require_work(by, deal)
    _require_open(deal, _("The deal is closed; reopen it to change its products."))
    if product is not None and not product.is_active:
        raise invalid("product", _("This product is no longer sold."))
    label = " ".join((name or "").split()) or (product.name if product else "")
    if not label:
        raise invalid("name", _("Choose a product or describe the line."))
    if len(label) > 200:
        raise invalid("name", _("Too long: at most %(max)d characters.") % {"max": 200})
    qty = parse_quantity(quantity)
    discount = parse_percent(discount_percent if discount_percent not in (None, "") else 0)
    if unit_price in (None, ""):
        quote = price_for(product=product, client=deal.client, currency=deal.currency) if product else None
        if quote is None:
            raise invalid(
                "unit_price",
                _("No price list has this product in %(currency)s; enter the unit price.")
                % {"currency": deal.currency},
            )
        price = quote.price
    else:
        price = parse_amount(unit_price, field="unit_price")
    _claim_version(deal, version)
    position = (deal.lines.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    line = DealLine.objects.create(
        deal=deal,
        product=product,
        name=label,
        quantity=qty,
        unit=(unit or (product.unit if product else ""))[:20],
        unit_price=price,
        discount_percent=discount,
        total=line_total(qty, price, discount),
        position=position,
    )
    audit_event(
        actor=by,
        instance=deal,
        event="line_added",
        changes={
            "line": {
                "id": line.pk,
                "name": line.name,
                "quantity": qty,
                "unit_price": price,
                "discount": discount,
            }
        },
    )
    _recompute_amount(deal, by)
    deal_event(
        deal,
        DealEventKind.LINE,
        by,
        _("Added %(name)s × %(qty)s at %(price)s (−%(discount)s%%): %(total)s")
        % {
            "name": line.name,
            "qty": _plain(qty),
            "price": format_money(price, deal.currency),
            "discount": _plain(discount),
            "total": format_money(line.total, deal.currency),
        },
    )
    return line


@transaction.atomic
def line_remove(*, by: Any, line: DealLine, version: int | None = None) -> Deal:
    deal = line.deal
    require_work(by, deal)
    _require_open(deal, _("The deal is closed; reopen it to change its products."))
    _claim_version(deal, version)
    audit_event(
        actor=by, instance=deal, event="line_removed", changes={"line": {"id": line.pk, "name": line.name}}
    )
    name, total = line.name, line.total
    line.delete()
    _recompute_amount(deal, by)
    deal_event(
        deal,
        DealEventKind.LINE,
        by,
        _("Removed %(name)s (%(total)s)") % {"name": name, "total": format_money(total, deal.currency)},
    )
    return deal


def _plain(number: Decimal) -> str:
    """2.500 → "2.5", 3.000 → "3" (no exponent notation)."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- Payments ----------------------------------------------------------------------------------


def _payment_values(
    kind: str, amount: Any, due_date: dt.date | None, paid_on: dt.date | None, note: str
) -> dict[str, Any]:
    if kind not in PaymentKind.values:
        raise invalid("kind", _("Choose one of: %s.") % ", ".join(PaymentKind.values))
    values: dict[str, Any] = {"kind": kind, "amount": parse_amount(amount, positive=True)}
    if kind == PaymentKind.EXPECTED:
        if due_date is None:
            raise invalid("due_date", _("An expected payment needs a due date."))
        values.update(due_date=due_date, paid_on=None)
    else:
        paid_on = paid_on or timezone.localdate()
        if paid_on > timezone.localdate():
            raise invalid("paid_on", _("A received payment cannot be in the future."))
        values.update(paid_on=paid_on, due_date=None)
    note = " ".join((note or "").split())
    if len(note) > 300:
        raise invalid("note", _("Too long: at most %(max)d characters.") % {"max": 300})
    values["note"] = note
    return values


@transaction.atomic
def payment_create(
    *,
    by: Any,
    deal: Deal,
    kind: str,
    amount: Any,
    due_date: dt.date | None = None,
    paid_on: dt.date | None = None,
    note: str = "",
    document: Document | None = None,
) -> Payment:
    """Schedule an expected payment or record a received one, in the deal's currency."""
    require_work(by, deal)
    values = _payment_values(kind, amount, due_date, paid_on, note)
    if document is not None and document.deal_id != deal.pk:
        raise invalid("document", _("Choose a document of this deal."))
    payment = Payment.objects.create(
        deal=deal,
        currency=deal.currency,
        document=document,
        created_by=_actor(by),
        updated_by=_actor(by),
        **values,
    )
    audit_create(
        actor=by, instance=payment, fields=["deal", "kind", "amount", "currency", "due_date", "paid_on"]
    )
    if kind == PaymentKind.EXPECTED:
        text = _("Expected %(amount)s by %(date)s") % {
            "amount": format_money(payment.amount, payment.currency),
            "date": payment.due_date.isoformat() if payment.due_date else "",
        }
    else:
        text = _("Received %(amount)s on %(date)s") % {
            "amount": format_money(payment.amount, payment.currency),
            "date": payment.paid_on.isoformat() if payment.paid_on else "",
        }
    deal_event(deal, DealEventKind.PAYMENT, by, text, payment=payment.pk, payment_kind=kind)
    return payment


@transaction.atomic
def payment_update(*, by: Any, payment: Payment, data: dict[str, Any]) -> Payment:
    require_work(by, payment.deal)
    values = _payment_values(
        data.get("kind", payment.kind),
        data.get("amount", payment.amount),
        data.get("due_date", payment.due_date),
        data.get("paid_on", payment.paid_on),
        data.get("note", payment.note),
    )
    payment, changes = model_update(instance=payment, data=values, actor=_actor(by))
    if changes:
        deal_event(
            payment.deal,
            DealEventKind.PAYMENT,
            by,
            _("Payment changed: %(amount)s") % {"amount": format_money(payment.amount, payment.currency)},
            payment=payment.pk,
            changes=changes,
        )
    return payment


@transaction.atomic
def payment_delete(*, by: Any, payment: Payment) -> None:
    deal = payment.deal
    require_work(by, deal)
    audit_event(
        actor=by,
        instance=deal,
        event="payment_deleted",
        changes={"payment": {"id": payment.pk, "kind": payment.kind, "amount": payment.amount}},
    )
    text = _("Payment removed: %(kind)s %(amount)s") % {
        "kind": payment.get_kind_display(),
        "amount": format_money(payment.amount, payment.currency),
    }
    payment.delete()
    deal_event(deal, DealEventKind.PAYMENT, by, text)


# --- Objections --------------------------------------------------------------------------------


@transaction.atomic
def objection_record(*, by: Any, deal: Deal, objection: Objection, note: str = "") -> DealObjection:
    """Record that the client raised `objection` at the deal's current stage (counted in reports)."""
    require_work(by, deal)
    if not objection.is_active:
        raise invalid("objection", _("This objection is no longer in the library."))
    note = " ".join((note or "").split())
    if len(note) > 500:
        raise invalid("note", _("Too long: at most %(max)d characters.") % {"max": 500})
    raised = DealObjection.objects.create(
        deal=deal, objection=objection, stage=deal.stage, by=_actor(by), note=note
    )
    audit_event(
        actor=by,
        instance=deal,
        event="objection",
        changes={"objection": objection.pk, "stage": deal.stage_id},
    )
    deal_event(
        deal,
        DealEventKind.OBJECTION,
        by,
        _("“%(objection)s” at stage %(stage)s. %(note)s")
        % {"objection": objection, "stage": deal.stage, "note": note},
        objection=objection.pk,
    )
    return raised


# --- Documents ---------------------------------------------------------------------------------


def next_number(kind: str, year: int) -> tuple[str, int]:
    """The next number of a kind in a year, e.g. ("P-2026-0007", 7). Holds the counter row lock
    until the surrounding transaction ends, so two documents never share a number."""
    prefix = DOCUMENT_PREFIX[DocumentKind(kind)]
    counter, _created = DocumentCounter.objects.select_for_update().get_or_create(prefix=prefix, year=year)
    DocumentCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    return f"{prefix}-{year}-{counter.last:04d}", counter.last


def template_for(kind: str, language: str) -> DocumentTemplate:
    templates = DocumentTemplate.objects.filter(kind=kind, is_active=True)
    template = (
        templates.filter(language=language, is_default=True).first()
        or templates.filter(language=language).first()
        or templates.filter(language="en", is_default=True).first()
        or templates.first()
    )
    if template is None:
        raise invalid("template", _("There is no template for this kind of document."))
    return template


def _issue_version(document: Document, by: Any, *, valid_until: dt.date | None) -> DocumentVersion:
    from clientela.deals.pdf import document_context, html_to_pdf, render_document

    deal = document.deal
    lines = list(deal.lines.select_related("product").order_by("position", "id"))
    if not lines:
        raise invalid("lines", _("Add products to the deal first: documents are built from its lines."))
    number = document.current_version + 1
    context = document_context(document=document, version=number, lines=lines, valid_until=valid_until)
    html = render_document(document.template or template_for(document.kind, document.language), context)
    pdf = html_to_pdf(html)
    version = DocumentVersion(
        document=document,
        version=number,
        created_by=_actor(by),
        html=html,
        currency=deal.currency,
        total=sum((line.total for line in lines), Decimal("0.00")),
        lines=context["snapshot"],
        valid_until=valid_until,
    )
    version.pdf.save(f"{document.number}-v{number}.pdf", ContentFile(pdf), save=False)
    version.save()
    Document.objects.filter(pk=document.pk).update(current_version=number, valid_until=valid_until)
    document.current_version, document.valid_until = number, valid_until
    return version


def _clean_validity(kind: str, valid_until: dt.date | None) -> dt.date | None:
    today = timezone.localdate()
    if valid_until is None and kind == DocumentKind.PROPOSAL:
        return today + dt.timedelta(days=DEFAULT_VALIDITY_DAYS)
    if valid_until is not None and valid_until < today:
        raise invalid("valid_until", _("The validity date cannot be in the past."))
    return valid_until


@transaction.atomic
def document_create(
    *,
    by: Any,
    deal: Deal,
    kind: str = DocumentKind.PROPOSAL,
    title: str = "",
    language: str = "",
    valid_until: dt.date | None = None,
    template: DocumentTemplate | None = None,
) -> Document:
    """Number a new document of the deal and issue its first version (HTML and PDF) from the
    deal's lines. Numbers run per kind and year: P-2026-0001, INV-2026-0001 …"""
    require_work(by, deal)
    if kind not in DocumentKind.values:
        raise invalid("kind", _("Choose one of: %s.") % ", ".join(DocumentKind.values))
    from django.conf import settings

    languages = [code for code, _name in settings.LANGUAGES]
    language = language or (deal.owner.language if deal.owner else "") or settings.LANGUAGE_CODE
    if language not in languages:
        raise invalid("language", _("Choose one of: %s.") % ", ".join(languages))
    if template is not None and (template.kind != kind or not template.is_active):
        raise invalid("template", _("Choose an active template of this kind."))
    title = " ".join((title or "").split())
    if len(title) > 200:
        raise invalid("title", _("Too long: at most %(max)d characters.") % {"max": 200})
    valid_until = _clean_validity(kind, valid_until)
    if not deal.lines.exists():
        raise invalid("lines", _("Add products to the deal first: documents are built from its lines."))
    year = timezone.localdate().year
    number, sequence = next_number(kind, year)
    document = Document.objects.create(
        deal=deal,
        kind=kind,
        number=number,
        year=year,
        sequence=sequence,
        title=title,
        language=language,
        template=template or template_for(kind, language),
        valid_until=valid_until,
        created_by=_actor(by),
        updated_by=_actor(by),
    )
    version = _issue_version(document, by, valid_until=valid_until)
    audit_create(actor=by, instance=document, fields=["deal", "kind", "number", "language", "valid_until"])
    deal_event(
        deal,
        DealEventKind.DOCUMENT,
        by,
        _("%(kind)s %(number)s prepared (version 1, %(total)s).")
        % {
            "kind": document.get_kind_display(),
            "number": number,
            "total": format_money(version.total, version.currency),
        },
        document_version=version,
        document=document.pk,
    )
    return document


@transaction.atomic
def document_revise(
    *, by: Any, document: Document, valid_until: dt.date | None = None, title: str | None = None
) -> DocumentVersion:
    """Issue the next version of a document from the deal's current lines; earlier ones stay."""
    require_work(by, document.deal)
    document = (
        Document.objects.select_for_update(of=("self",))
        .select_related("deal", "template")
        .get(pk=document.pk)
    )
    if title is not None:
        title = " ".join(title.split())
        if len(title) > 200:
            raise invalid("title", _("Too long: at most %(max)d characters.") % {"max": 200})
        document.title = title
        Document.objects.filter(pk=document.pk).update(title=title)
    validity = _clean_validity(document.kind, valid_until or document.valid_until)
    if (
        valid_until is None
        and document.valid_until is not None
        and document.valid_until < timezone.localdate()
    ):
        validity = _clean_validity(document.kind, None)
    version = _issue_version(document, by, valid_until=validity)
    Document.objects.filter(pk=document.pk).update(status=DocumentStatus.DRAFT, updated_at=timezone.now())
    document.status = DocumentStatus.DRAFT
    audit_event(
        actor=by,
        instance=document,
        event="new_version",
        changes={"version": [version.version - 1, version.version]},
    )
    deal_event(
        document.deal,
        DealEventKind.DOCUMENT,
        by,
        _("%(number)s version %(version)s prepared (%(total)s).")
        % {
            "number": document.number,
            "version": version.version,
            "total": format_money(version.total, version.currency),
        },
        document_version=version,
        document=document.pk,
    )
    return version


@transaction.atomic
def document_send(*, by: Any, version: DocumentVersion, to: str = "") -> DocumentVersion:
    """Record that this version went to the client; the deal's timeline shows every sent version."""
    document = version.document
    require_work(by, document.deal)
    to = " ".join((to or "").split())[:254]
    now = timezone.now()
    version.sent_at, version.sent_by, version.sent_to = now, _actor(by), to
    version.save(update_fields=["sent_at", "sent_by", "sent_to"])
    if document.status in (DocumentStatus.DRAFT, DocumentStatus.SENT):
        Document.objects.filter(pk=document.pk).update(status=DocumentStatus.SENT, updated_at=now)
        document.status = DocumentStatus.SENT
    audit_event(actor=by, instance=document, event="sent", changes={"version": version.version, "to": to})
    text = _("%(number)s version %(version)s sent") % {"number": document.number, "version": version.version}
    if to:
        text += " " + _("to %(to)s") % {"to": to}
    deal_event(
        document.deal, DealEventKind.DOCUMENT_SENT, by, text, document_version=version, document=document.pk
    )
    return version


@transaction.atomic
def document_set_status(*, by: Any, document: Document, status: str) -> Document:
    require_work(by, document.deal)
    if status not in (DocumentStatus.ACCEPTED, DocumentStatus.DECLINED, DocumentStatus.SENT):
        raise invalid("status", _("Choose accepted or declined."))
    if document.status == DocumentStatus.DRAFT:
        raise invalid("status", _("Send the document before recording the client's answer."))
    document, changes = model_update(instance=document, data={"status": status}, actor=_actor(by))
    if changes:
        deal_event(
            document.deal,
            DealEventKind.DOCUMENT,
            by,
            _("%(number)s: %(status)s")
            % {"number": document.number, "status": document.get_status_display()},
            document=document.pk,
        )
    return document


# --- Receivables -------------------------------------------------------------------------------


def _oldest_unpaid(deal: Deal, today: dt.date) -> Payment | None:
    """The oldest expected payment not covered by what was received, if it is overdue."""
    received = deal.payments.filter(kind=PaymentKind.RECEIVED).aggregate(t=Sum("amount"))["t"] or Decimal(0)
    covered = Decimal(0)
    for payment in deal.payments.filter(kind=PaymentKind.EXPECTED).order_by("due_date", "id"):
        covered += payment.amount
        if covered > received:
            return payment if payment.due_date and payment.due_date < today else None
    return None


def receivables_notify_overdue(*, today: dt.date | None = None) -> int:
    """Tell each owner (and the head of the deal's team) about an overdue payment — once per
    payment, however often the sweep runs. Returns how many payments were reported now."""
    from clientela.core.language import in_language_of
    from clientela.core.tasks import run_once
    from clientela.deals.selectors import with_receivables

    today = today or timezone.localdate()
    deals = (
        with_receivables(Deal.objects.exclude(status=DealStatus.LOST), today=today)
        .filter(overdue_amount__gt=0)  # type: ignore[misc]
        .select_related("owner", "team__head")
        .order_by("id")
    )
    reported = 0
    for deal in deals:
        payment = _oldest_unpaid(deal, today)
        if payment is None:
            continue

        def tell(deal: Deal = deal, payment: Payment = payment) -> None:
            def overdue_text() -> str:
                return _("Payment overdue on %(deal)s: %(amount)s was due on %(date)s.") % {
                    "deal": deal,
                    "amount": format_money(deal.overdue_amount, deal.currency),  # type: ignore[attr-defined]
                    "date": payment.due_date.isoformat() if payment.due_date else "",
                }

            people = {deal.owner, deal.team.head if deal.team else None} - {None}
            for person in people:
                # A job writes it: each person reads it in their own language.
                with in_language_of(person):
                    text = overdue_text()
                notify(user=person, verb="payment_overdue", text=text, url=deal_url(deal) + "#deal-payments")
            deal_event(deal, DealEventKind.PAYMENT, None, overdue_text(), payment=payment.pk, overdue=True)

        if run_once(f"deals:payment-overdue:{payment.pk}", tell):
            reported += 1
    return reported
