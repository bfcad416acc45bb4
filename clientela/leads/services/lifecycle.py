"""A lead's life from arrival to qualification: create (classify, assign, first task, first-response
clock), a repeated arrival (touch), notes, hand and clock-driven assignment, taking into work,
the qualification checklist; and what every step shares — the timeline line (`lead_event`), the
derived keys, temperature and score (`refresh_derived`), the "still open" check and the status
change (`set_status`) the other modules of this package write through.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.clients.services.derived import clients_touched
from clientela.comms.choices import StopReason
from clientela.comms.clocks import clock_start_first_response, clocks_follow_owner, clocks_stop_for_lead
from clientela.core.audit import audit_create, audit_event
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError, validation_messages
from clientela.core.language import in_language_of, reader_language
from clientela.core.normalise import name_key, search_text
from clientela.core.notifications import notify
from clientela.core.permissions import Action, can, require_record, role_of, user_can
from clientela.core.roles import Role
from clientela.core.texts import Label, Message, stored
from clientela.core.validation import too_long
from clientela.leads import texts
from clientela.leads.choices import (
    OPEN_STATUSES,
    SOURCE_ORIGIN,
    LeadEventKind,
    LeadStatus,
    QualificationItem,
    Source,
)
from clientela.leads.distribution import decide_owner, policy_for, record_choice
from clientela.leads.hooks import LEAD_OWNER_CHANGED, LEAD_TASK_DUE
from clientela.leads.models import Lead, LeadEvent
from clientela.leads.scoring import current_model, score_lead
from clientela.leads.temperature import evaluate_temperature, reasons_language
from clientela.users.models import User

# How soon the first task is due after a lead arrives (SPEC §7: answer within 2 hours).
FIRST_CONTACT_DUE = dt.timedelta(hours=2)
CALL_BACK_DUE = dt.timedelta(minutes=15)
NAME_KEY_LENGTH = Lead._meta.get_field("name_key").max_length or 120
EMAIL_LENGTH = Lead._meta.get_field("email").max_length or 254
# Lead fields under the names the intake doors use for them (so an error lands on the right input).
INTAKE_FIELD_NAMES = {"company_name": "company", "product": "interest"}

LEAD_AUDIT_FIELDS = [
    "first_name",
    "last_name",
    "company_name",
    "email",
    "phone",
    "source",
    "origin",
    "campaign",
    "product",
    "status",
    "temperature",
    "owner",
    "team",
]


def lead_event(lead: Lead, kind: str, actor: Any = None, text: str | Message = "", **data: Any) -> LeadEvent:
    """Add a line to the lead's timeline: a `Message` the system writes (shown in each reader's
    language), or a person's text as typed."""
    actor = actor if getattr(actor, "is_authenticated", False) else None
    plain, message = stored(text)
    return LeadEvent.objects.create(
        lead=lead, kind=kind, actor=actor, text=plain, text_message=message, data=data
    )


def lead_url(lead: Lead) -> str:
    return reverse("leads:detail", args=[lead.pk])


def refresh_derived(lead: Lead) -> None:
    """Recompute search keys, temperature and score from the lead's fields (no save)."""
    lead.search_text = search_text(
        lead.first_name, lead.last_name, lead.company_name, lead.email, lead.phone.lstrip("+")
    )
    # The key is for lookups, not display: a long name in a script that transliterates into
    # more letters (щ → shch, 中 → zhong) is cut to the column rather than refused.
    lead.name_key = name_key(lead.first_name, lead.last_name)[:NAME_KEY_LENGTH]
    if not lead.origin:
        lead.origin = SOURCE_ORIGIN.get(lead.source, "")
    temperature, reasons = evaluate_temperature(lead)
    lead.temperature, lead.temperature_reasons = temperature, [str(r) for r in reasons]
    lead.score, lead.score_factors = score_lead(lead, current_model())


LEAD_LOCKED = gettext_lazy("You cannot change this lead.")
# A lead in one of these statuses has been qualified (`Lead.qualified_at`).
QUALIFIED_STATUSES = (LeadStatus.QUALIFIED, LeadStatus.CONVERTED)


def require_open(lead: Lead) -> None:
    if lead.merged_into_id:
        raise ConflictError(
            _("This lead was merged into #%(id)s; work on that one.") % {"id": lead.merged_into_id}
        )
    if lead.status == LeadStatus.CONVERTED:
        raise ConflictError(_("This lead is already converted."))


def set_status(
    lead: Lead,
    status: str,
    by: User | None,
    text: str | Message = "",
    kind: str = LeadEventKind.STATUS,
    **data: Any,
) -> None:
    old = lead.status
    lead.status = status
    lead.status_changed_at = timezone.now()
    lead.updated_by = by if getattr(by, "is_authenticated", False) else None
    fields = ["status", "status_changed_at", "updated_by", "updated_at", *data.pop("_fields", [])]
    if status in QUALIFIED_STATUSES and lead.qualified_at is None:
        # The first time it is qualified (a conversion counts: the client was worth it).
        converted = status == LeadStatus.CONVERTED and lead.converted_at
        lead.qualified_at = lead.converted_at if converted else lead.status_changed_at
        fields.append("qualified_at")
    lead.save(update_fields=fields)
    audit_event(actor=by, instance=lead, event=f"status_{status}", changes={"status": [old, status]})
    if old == LeadStatus.NEW and status != LeadStatus.NEW:
        # Someone worked the lead: its first-response clock stops. (When call and e-mail logging
        # arrive, the first logged contact stops it; this stays as the fallback.)
        actor = by if getattr(by, "is_authenticated", False) else None
        clocks_stop_for_lead(lead=lead, by=actor, reason=StopReason.RESPONDED)
    lead_event(
        lead,
        kind,
        by,
        text
        or Message(
            texts.STATUS,
            old=Label("lead_status", old, LeadStatus(old).label),
            new=Label("lead_status", status, LeadStatus(status).label),
        ),
        old=old,
        new=status,
        **data,
    )


def _first_task(lead: Lead, *, kind: str = "first_contact", by: User | None = None) -> None:
    """The lead's first task (first contact, or call back now), made by the activities app."""
    for task_due in LEAD_TASK_DUE:
        task_due(lead=lead, kind=kind, by=by)


def _apply_assignment(
    lead: Lead,
    owner: User | None,
    reason: str | Message,
    by: User | None,
    *,
    also_save: tuple[str, ...] = (),
) -> None:
    old_owner = lead.owner
    lead.owner = owner
    lead.assigned_at = timezone.now() if owner else None
    lead.assignment_reason, lead.assignment_message = stored(reason, 300)
    lead.save(
        update_fields=[
            "owner",
            "assigned_at",
            "assignment_reason",
            "assignment_message",
            "updated_at",
            *also_save,
        ]
    )
    for owner_changed in LEAD_OWNER_CHANGED:
        owner_changed(lead=lead)
    clocks_follow_owner(lead=lead, by=by)
    lead_event(
        lead,
        LeadEventKind.ASSIGNED,
        by,
        reason,
        old_owner=old_owner.pk if old_owner else None,
        new_owner=owner.pk if owner else None,
    )
    # Each notice in its reader's language (the caller may be a job, or a visitor's form).
    if owner is not None:
        with in_language_of(owner):
            text = _("New lead for you: %(lead)s") % {"lead": lead}
        notify(user=owner, verb="lead_assigned", text=text, url=lead_url(lead))
    if old_owner is not None and old_owner != owner:
        with in_language_of(old_owner):
            text = _("%(lead)s was reassigned to %(owner)s") % {
                "lead": lead,
                "owner": owner or _("the team queue"),
            }
        notify(user=old_owner, verb="lead_reassigned", text=text, url=lead_url(lead))
    if owner is None and lead.team and lead.team.head:
        head = lead.team.head
        with in_language_of(head):
            text = _("A lead waits in the %(team)s queue: %(lead)s") % {"team": lead.team, "lead": lead}
        notify(user=head, verb="lead_unassigned", text=text, url=lead_url(lead))


def _reasons_for_reader(lead: Lead, owner: User | None, *, given: tuple[str, list[Any]]) -> tuple[str, ...]:
    """The temperature is worked out before the owner is chosen (the rules may route on it), so
    its reasons are written for the team queue's reader; reword them for the owner when the
    owner reads another language. One query (the rules) and only then. Returns the fields to save."""
    if not lead.temperature_reasons:
        return ()
    written_in = reasons_language(lead)
    language = reader_language(owner, lead.team if lead.team_id else None)
    if language == written_in:
        return ()
    lead.temperature, lead.temperature_reasons = given[0], list(given[1])
    temperature, reasons = evaluate_temperature(lead, language=language)
    lead.temperature, lead.temperature_reasons = temperature, reasons
    return ("temperature", "temperature_reasons")


@transaction.atomic
def lead_create(
    *,
    by: User | None,
    fields: dict[str, Any],
    owner: User | None = None,
    first_task_kind: str = "first_contact",
) -> Lead:
    """Create a lead from normalised fields, classify it, assign it and give it its first task.

    `fields` are Lead model fields (already validated and normalised by the intake pipeline).
    An explicit `owner` skips the distribution rules (manual entry "assign to me").
    """
    if owner is not None and (not owner.is_active or owner.role not in (Role.MANAGER, Role.HEAD, Role.ADMIN)):
        raise BusinessError(
            _("This person cannot own leads."), errors={"owner": [_("Choose an active manager.")]}
        )
    lead = Lead(**fields)
    given = (lead.temperature, list(lead.temperature_reasons or []))
    if lead.consent and not lead.consent_at:
        lead.consent_at = timezone.now()
    lead.last_touch_at = timezone.now()
    if getattr(by, "is_authenticated", False):
        lead.created_by = by
    refresh_derived(lead)
    try:
        # The e-mail was validated by the pipeline (the model's check is stricter on IDN); its length is not.
        lead.full_clean(exclude=["email"])
        if len(lead.email) > EMAIL_LENGTH:
            raise ValidationError({"email": [too_long(EMAIL_LENGTH)]})
    except ValidationError as exc:
        errors = {INTAKE_FIELD_NAMES.get(k, k): v for k, v in validation_messages(exc).items()}
        raise BusinessError(_("Some fields are not valid."), errors=errors, status=422) from exc
    lead.save()
    audit_create(actor=by, instance=lead, fields=LEAD_AUDIT_FIELDS)
    lead_event(
        lead,
        LeadEventKind.CREATED,
        by,
        Message(texts.CREATED, source=Label("lead_source", lead.source, lead.get_source_display())),
    )
    reason: str | Message
    if owner is not None:
        reason = Message(texts.BY_HAND, name=owner)
    else:
        decision = decide_owner(lead)
        record_choice(decision)
        owner, reason = decision.owner, decision.reason
    also_save = _reasons_for_reader(lead, owner, given=given)
    _apply_assignment(lead, owner, reason, by, also_save=also_save)
    _first_task(lead, kind=first_task_kind, by=by)
    clock_start_first_response(lead=lead)
    return lead


@transaction.atomic
def lead_touch(
    *, lead: Lead, by: User | None, source: str, details: dict[str, Any] | None = None, text: str = ""
) -> Lead:
    """A duplicate arrival: the existing lead gets a new touch and its owner hears about it.
    `source`: the door's source code (a lead source, or what the door calls itself)."""
    Lead.objects.filter(pk=lead.pk).update(touch_count=F("touch_count") + 1, last_touch_at=timezone.now())
    lead.refresh_from_db()
    if lead.status == LeadStatus.POSTPONED:
        pass  # stays postponed; the touch is on the timeline and the owner is told
    refresh_derived(lead)
    lead.save(update_fields=["temperature", "temperature_reasons", "score", "score_factors"])
    lead_event(
        lead,
        LeadEventKind.TOUCH,
        by,
        text
        or Message(
            texts.TOUCH, source=Label("lead_source", source, dict(Source.choices).get(source, source))
        ),
        source=source,
        **(details or {}),
    )
    if lead.client_id:  # a converted lead's client got in touch
        clients_touched(client_ids=[lead.client_id], at=lead.last_touch_at or timezone.now())
    with in_language_of(lead.owner):
        text = _("%(lead)s got in touch again") % {"lead": lead}
    notify(user=lead.owner, verb="lead_touch", text=text, url=lead_url(lead))
    return lead


@transaction.atomic
def lead_note_add(*, by: User, lead: Lead, text: str) -> LeadEvent:
    """A note on the lead's timeline, by someone who may work the lead."""
    require_record(by, lead, Action.WORK, LEAD_LOCKED)
    if lead.merged_into_id:
        raise ConflictError(
            _("This lead was merged into #%(id)s; add the note there.") % {"id": lead.merged_into_id}
        )
    text = text.strip()
    if not text:
        raise BusinessError(_("Write the note first."), errors={"text": [_("This field is required.")]})
    event = lead_event(lead, LeadEventKind.NOTE, by, text)
    audit_event(actor=by, instance=lead, event="note", changes={"note": event.pk})
    return event


@transaction.atomic
def lead_assign(*, by: User, lead: Lead, owner: User | None, reason: str = "") -> Lead:
    """Reassign by hand (heads, admins), or a manager taking an unassigned lead of their team."""
    taking_own = owner is not None and owner.pk == getattr(by, "pk", None) and lead.owner_id is None
    if not user_can(by, "distribute_leads") and not (taking_own and can(by, lead, Action.WORK)):
        raise PermissionDeniedError(_("Only a head of sales can reassign leads."))
    if owner is not None and (not owner.is_active or owner.role not in (Role.MANAGER, Role.HEAD, Role.ADMIN)):
        raise BusinessError(
            _("This person cannot own leads."), errors={"owner": [_("Choose an active manager.")]}
        )
    if owner is not None and lead.team_id and owner.team_id != lead.team_id and role_of(by) != Role.ADMIN:
        raise BusinessError(
            _("This person is not in the lead's team."), errors={"owner": [_("Choose someone of the team.")]}
        )
    if owner == lead.owner:
        return lead
    text = reason or Message(texts.REASSIGNED, name=owner or Message(texts.TEAM_QUEUE), by=by)
    audit_event(
        actor=by,
        instance=lead,
        event="assigned",
        changes={"owner": [lead.owner_id, owner.pk if owner else None]},
    )
    _apply_assignment(lead, owner, text, by)
    if lead.status == LeadStatus.NEW and owner is not None and owner.pk == getattr(by, "pk", None):
        set_status(lead, LeadStatus.IN_WORK, by)
    return lead


def lead_follow_clock(*, by: User, clock: Any, owner: User) -> None:
    """A head gave a waiting response clock to `owner` (`comms.clocks.clock_assign`): its lead
    goes with it, unless someone else took the lead meanwhile (registered on `CLOCK_TAKEN`)."""
    if clock.lead_id is None:
        return
    locked = Lead.objects.select_for_update(of=("self",)).select_related("owner", "team__head")
    lead = locked.get(pk=clock.lead_id)
    if lead.owner_id is not None and lead.owner_id != owner.pk:
        raise ConflictError(
            _("%(name)s has already taken this.") % {"name": lead.owner},
            errors={"owner": [_("Someone has already taken this.")]},
        )
    lead_assign(by=by, lead=lead, owner=owner)  # tells the new owner ("lead_assigned")


@transaction.atomic
def lead_start_work(*, by: User, lead: Lead) -> Lead:
    require_record(by, lead, Action.WORK, LEAD_LOCKED)
    if lead.status != LeadStatus.NEW:
        raise ConflictError(_("Only a new lead can be taken into work."))
    if lead.owner_id is None and role_of(by) == Role.MANAGER:
        # Working an unassigned lead means taking it: no lead is in work without an owner.
        _apply_assignment(lead, by, Message(texts.TAKEN, name=by), by)
    set_status(lead, LeadStatus.IN_WORK, by)
    return lead


@transaction.atomic
def lead_qualify(*, by: User, lead: Lead, answers: dict[str, bool]) -> tuple[Lead, list[str]]:
    """Record checklist answers; the lead becomes qualified once the team's required items hold.

    Returns the lead and the required items still missing.
    """
    require_record(by, lead, Action.WORK, LEAD_LOCKED)
    require_open(lead)
    unknown = sorted(set(answers) - set(QualificationItem.values))
    if unknown:
        raise BusinessError(
            _("Unknown checklist item."), errors={item: [_("Not a checklist item.")] for item in unknown}
        )
    old = dict(lead.qualification or {})
    lead.qualification = {**old, **{k: bool(v) for k, v in answers.items()}}
    lead.save(update_fields=["qualification", "updated_at"])
    audit_event(
        actor=by, instance=lead, event="qualification", changes={"qualification": [old, lead.qualification]}
    )
    required = policy_for(lead.team).required_items
    missing = [item for item in required if not lead.qualification.get(item)]
    lead_event(
        lead,
        LeadEventKind.QUALIFICATION,
        by,
        ", ".join(
            f"{QualificationItem(k).label}: {'✓' if v else '✗'}" for k, v in lead.qualification.items()
        ),
        answers=lead.qualification,
    )
    if not missing and lead.status in (LeadStatus.NEW, LeadStatus.IN_WORK, LeadStatus.POSTPONED):
        set_status(lead, LeadStatus.QUALIFIED, by)
    elif missing and lead.status == LeadStatus.QUALIFIED:
        set_status(lead, LeadStatus.IN_WORK, by)
    return lead, missing


def open_leads() -> Any:
    return Lead.objects.filter(status__in=OPEN_STATUSES, merged_into__isnull=True)
