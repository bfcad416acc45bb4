"""Writes on leads and interests: every lifecycle step, audited and on the lead's timeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.clients.models import Client, Contact, ContactMembership
from clientela.clients.services.derived import client_refresh_search, clients_touched, contact_refresh_search
from clientela.comms.choices import StopReason
from clientela.comms.clocks import (
    clock_start_first_response,
    clocks_follow_owner,
    clocks_stop_for_lead,
)
from clientela.core.audit import audit_bulk, audit_create, audit_event, model_update
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError, validation_messages
from clientela.core.language import in_language_of, reader_language
from clientela.core.normalise import name_key, search_text
from clientela.core.notifications import notify
from clientela.core.permissions import Action, can, require_record, role_of, user_can
from clientela.core.roles import Role
from clientela.core.tasks import enqueue_on_commit
from clientela.core.validation import max_lengths, text_problem, too_long
from clientela.deals.models import Deal, Pipeline
from clientela.leads.choices import (
    OPEN_STATUSES,
    SOURCE_ORIGIN,
    LeadEventKind,
    LeadStatus,
    QualificationItem,
)
from clientela.leads.distribution import decide_owner, policy_for, record_choice
from clientela.leads.duplicates import find_duplicate
from clientela.leads.hooks import LEAD_CLOSED, LEAD_OWNER_CHANGED, LEAD_TASK_DUE, LEADS_MERGED
from clientela.leads.models import Interest, Lead, LeadEvent, RefusalReason
from clientela.leads.rules import client_name_problem, interest_upgrade_values, lead_edit_values, only_changes
from clientela.leads.scoring import current_model, score_lead
from clientela.leads.selectors import lead_list
from clientela.leads.temperature import evaluate_temperature, reasons_language
from clientela.users.models import User

# How soon the first task is due after a lead arrives (SPEC §7: answer within 2 hours).
FIRST_CONTACT_DUE = dt.timedelta(hours=2)
CALL_BACK_DUE = dt.timedelta(minutes=15)
NAME_KEY_LENGTH = Lead._meta.get_field("name_key").max_length or 120
EMAIL_LENGTH = Lead._meta.get_field("email").max_length or 254
DEAL_TITLE_LIMIT = max_lengths(Deal, ["title"])["title"]
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


def lead_event(lead: Lead, kind: str, actor: Any = None, text: str = "", **data: Any) -> LeadEvent:
    """Add a line to the lead's timeline."""
    actor = actor if getattr(actor, "is_authenticated", False) else None
    return LeadEvent.objects.create(lead=lead, kind=kind, actor=actor, text=str(text), data=data)


def _schedule_return(lead: Lead, day: dt.date) -> None:
    """Defer the lead's return to the start of `day` in its team's time zone."""
    import zoneinfo

    from clientela.leads.tasks import return_postponed_lead

    zone = zoneinfo.ZoneInfo(lead.team.time_zone if lead.team else "UTC")
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone)
    enqueue_on_commit(return_postponed_lead.using(run_after=start), lead_id=lead.pk)


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


def require_open(lead: Lead) -> None:
    if lead.merged_into_id:
        raise ConflictError(
            _("This lead was merged into #%(id)s; work on that one.") % {"id": lead.merged_into_id}
        )
    if lead.status == LeadStatus.CONVERTED:
        raise ConflictError(_("This lead is already converted."))


def _set_status(
    lead: Lead, status: str, by: User | None, text: str = "", kind: str = LeadEventKind.STATUS, **data: Any
) -> None:
    old = lead.status
    lead.status = status
    lead.status_changed_at = timezone.now()
    lead.updated_by = by if getattr(by, "is_authenticated", False) else None
    lead.save(
        update_fields=["status", "status_changed_at", "updated_by", "updated_at", *data.pop("_fields", [])]
    )
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
        text or _("%(old)s → %(new)s") % {"old": LeadStatus(old).label, "new": LeadStatus(status).label},
        old=old,
        new=status,
        **data,
    )


def _first_task(lead: Lead, *, kind: str = "first_contact", by: User | None = None) -> None:
    """The lead's first task (first contact, or call back now), made by the activities app."""
    for task_due in LEAD_TASK_DUE:
        task_due(lead=lead, kind=kind, by=by)


def _apply_assignment(
    lead: Lead, owner: User | None, reason: str, by: User | None, *, also_save: tuple[str, ...] = ()
) -> None:
    old_owner = lead.owner
    lead.owner = owner
    lead.assigned_at = timezone.now() if owner else None
    lead.assignment_reason = reason[:300]
    lead.save(update_fields=["owner", "assigned_at", "assignment_reason", "updated_at", *also_save])
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
        _("Lead created from %(source)s") % {"source": lead.get_source_display()},
    )
    if owner is not None:
        with in_language_of(owner):
            reason = _("Assigned to %(name)s by hand.") % {"name": owner}
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
    """A duplicate arrival: the existing lead gets a new touch and its owner hears about it."""
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
        text or _("Came in again via %(source)s") % {"source": source},
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
def lead_update(*, by: User, lead: Lead, data: dict[str, Any]) -> Lead:
    """Edit a lead's fields (already normalised). Temperature set here counts as set by hand."""
    require_record(by, lead, Action.WORK, LEAD_LOCKED)
    if "temperature" in data:
        data["temperature_manual"] = bool(data["temperature"])
        if data["temperature"]:
            data["temperature_reasons"] = [_("Set by hand by %(name)s") % {"name": by}]
    try:
        lead, changes = model_update(instance=lead, data=data, actor=by)
    except ValidationError as exc:
        raise BusinessError(_("Some fields are not valid."), errors=validation_messages(exc)) from exc
    if changes:
        refresh_derived(lead)
        lead.save(
            update_fields=[
                "search_text",
                "name_key",
                "origin",
                "temperature",
                "temperature_reasons",
                "score",
                "score_factors",
            ]
        )
        lead_event(
            lead,
            LeadEventKind.EDITED,
            by,
            _("Changed: %(fields)s") % {"fields": ", ".join(changes)},
            changes=changes,
        )
    return lead


def lead_edit(
    *, by: User, lead: Lead, raw: dict[str, Any], door: str = "api", only_changed: bool = False
) -> Lead:
    """Edit a lead from what a person or a program sent (only the keys present in `raw`), checked
    by the lead's field rules (`leads.rules`). `only_changed` keeps what differs from the stored
    lead (a form sends every field). Raises BusinessError (422) naming every bad value."""
    require_record(by, lead, Action.WORK, LEAD_LOCKED)
    values = lead_edit_values(lead, raw, door=door)
    if only_changed:
        values = only_changes(lead, values)
        if not values:
            return lead
    return lead_update(by=by, lead=lead, data=values)


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
    text = reason or (
        _("Reassigned to %(name)s by %(by)s.") % {"name": owner or _("the team queue"), "by": by}
    )
    audit_event(
        actor=by,
        instance=lead,
        event="assigned",
        changes={"owner": [lead.owner_id, owner.pk if owner else None]},
    )
    _apply_assignment(lead, owner, text, by)
    if lead.status == LeadStatus.NEW and owner is not None and owner.pk == getattr(by, "pk", None):
        _set_status(lead, LeadStatus.IN_WORK, by)
    return lead


def _selected_leads(by: User, ids: list[int]) -> list[Lead]:
    """The selected leads, all of them visible to `by`, or a refusal that changes nothing."""
    leads = list(lead_list(viewer=by).filter(pk__in=ids).order_by("pk"))
    if not ids or len(leads) != len(set(ids)):
        raise BusinessError(_("Some selected leads are no longer available to you; nothing changed."))
    return leads


def _each_or_nothing(leads: list[Lead], change: Any) -> None:
    """Apply `change` to every lead (inside the caller's transaction); the first lead that breaks
    a rule stops everything and is named in the refusal."""
    for lead in leads:
        try:
            change(lead)
        except PermissionDeniedError:
            raise
        except BusinessError as exc:
            raise BusinessError(
                _("Nothing changed: %(lead)s — %(error)s") % {"lead": lead, "error": exc.message},
                errors=exc.errors,
                status=exc.status,
            ) from exc


@transaction.atomic
def leads_assign(*, by: User, ids: list[int], owner: User | None) -> list[Lead]:
    """Reassign many leads (to `owner`, or the team queue): all in one transaction with one bulk
    audit entry, or nothing."""
    if not user_can(by, "distribute_leads"):
        raise PermissionDeniedError(_("Only a head of sales can reassign leads."))
    leads = _selected_leads(by, ids)
    _each_or_nothing(leads, lambda lead: lead_assign(by=by, lead=lead, owner=owner))
    audit_bulk(
        actor=by,
        model=Lead,
        event="bulk_assign",
        details={"leads": sorted(set(ids)), "owner": owner.pk if owner else None},
    )
    return leads


@transaction.atomic
def leads_refuse(*, by: User, ids: list[int], reason: RefusalReason, note: str = "") -> list[Lead]:
    """Record that many leads declined, for one reason: all in one transaction with one bulk audit
    entry, or nothing."""
    if not user_can(by, "work_records"):
        raise PermissionDeniedError(_("You do not have permission to do this."))
    leads = _selected_leads(by, ids)
    _each_or_nothing(leads, lambda lead: lead_refuse(by=by, lead=lead, reason=reason, note=note))
    audit_bulk(
        actor=by,
        model=Lead,
        event="bulk_refuse",
        details={"leads": sorted(set(ids)), "reason": reason.code},
    )
    return leads


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
        _apply_assignment(lead, by, _("Taken by %(name)s from the team queue.") % {"name": by}, by)
    _set_status(lead, LeadStatus.IN_WORK, by)
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
        _set_status(lead, LeadStatus.QUALIFIED, by)
    elif missing and lead.status == LeadStatus.QUALIFIED:
        _set_status(lead, LeadStatus.IN_WORK, by)
    return lead, missing


@dataclass(frozen=True)
class DealPlaceholder:
    """The deal a conversion may start at once (SPEC §2: "lead → client + contact, optionally +
    deal"). Empty values take the deal's defaults: the default pipeline, the lead's interest or
    the client's name as the title, the client's country's currency, no amount yet."""

    pipeline: Pipeline | None = None
    title: str = ""
    amount: Any = None
    currency: str = ""
    expected_close_date: dt.date | None = None


# Where the deal's field errors show on the conversion form / in the API answer.
DEAL_ERROR_FIELDS = {
    "pipeline": "deal_pipeline",
    "stage": "deal_pipeline",
    "title": "deal_title",
    "amount": "deal_amount",
    "currency": "deal_currency",
    "expected_close_date": "deal_expected_close_date",
}


@dataclass
class Conversion:
    lead: Lead
    client: Client
    contact: Contact
    client_created: bool
    deal: Deal | None = None


def _deal_actor(by: User, client: Client) -> Any:
    """Who starts the conversion's deal: the converting user when they may start it for this
    client's personal manager themselves; otherwise (a manager handing the client to a
    colleague) the conversion starts it on their behalf, as the system, for that manager."""
    if by is None or not getattr(by, "is_authenticated", False) or not user_can(by, "work_records"):
        return None
    if not Client.objects.visible_to(by).filter(pk=client.pk).exists():
        return None
    if client.owner_id is None or client.owner_id == by.pk or role_of(by) == Role.ADMIN:
        return by
    if not user_can(by, "distribute_leads"):
        return None
    teams = {by.team_id, *by.headed_teams.values_list("id", flat=True)}
    return by if client.owner is not None and client.owner.team_id in teams else None


def _start_deal(*, by: User, lead: Lead, client: Client, contact: Contact, spec: DealPlaceholder) -> Deal:
    from clientela.deals.services import deal_create

    actor = _deal_actor(by, client)
    owner = client.owner if client.owner_id else (by if role_of(by) in (Role.MANAGER, Role.HEAD) else None)
    try:
        deal = deal_create(
            by=actor,
            client=client,
            title=spec.title or lead.product or "",
            pipeline=spec.pipeline,
            owner=owner,
            amount=spec.amount,
            currency=spec.currency,
            expected_close_date=spec.expected_close_date,
            contacts=[contact],
            source_lead=lead,
        )
    except (PermissionDeniedError, ConflictError):
        raise
    except BusinessError as exc:
        # Name the conversion form's fields (the deal's own names mean nothing there).
        errors: dict[str, list[str]] = {}
        for name, messages in (exc.errors or {"create_deal": [exc.message]}).items():
            errors.setdefault(DEAL_ERROR_FIELDS.get(name, "create_deal"), []).extend(messages)
        raise BusinessError(exc.message, errors=errors, status=exc.status) from exc
    if actor is None and getattr(by, "is_authenticated", False):
        # Started on the converting user's behalf: the record still says who did it.
        Deal.objects.filter(pk=deal.pk).update(created_by=by)
        audit_event(actor=by, instance=deal, event="started_by_conversion", changes={"lead": lead.pk})
    return deal


def _check_deal_placeholder(spec: DealPlaceholder) -> None:
    """Field errors of the deal part before anything is written (names as the forms use them)."""
    from clientela.deals.money import clean_currency, parse_amount

    errors: dict[str, list[str]] = {}
    if spec.pipeline is not None and not spec.pipeline.is_active:
        errors["deal_pipeline"] = [_("This pipeline is switched off.")]
    title_problem = text_problem(" ".join(spec.title.split()), DEAL_TITLE_LIMIT)
    if title_problem:
        errors["deal_title"] = [title_problem]
    for name, check in (
        ("deal_amount", lambda: parse_amount(spec.amount) if spec.amount not in (None, "") else None),
        ("deal_currency", lambda: clean_currency(spec.currency) if spec.currency else None),
    ):
        try:
            check()
        except BusinessError as exc:
            errors[name] = [message for messages in exc.errors.values() for message in messages] or [
                exc.message
            ]
    if spec.expected_close_date is not None and spec.expected_close_date < timezone.localdate():
        errors["deal_expected_close_date"] = [_("The expected close date cannot be in the past.")]
    if errors:
        raise BusinessError(_("Some fields are not valid."), errors=errors, status=422)


def _refuse_known_client(by: User, name: str, country: str) -> None:
    """A conversion attaches to a company that is already a client instead of duplicating it
    (SPEC §2): a new client with the name and country of a working one is refused, pointing to
    that client, or, when the converter cannot see it, to its personal manager."""
    known = (
        Client.objects.filter(name__iexact=name, country=country, is_archived=False)
        .select_related("owner", "team")
        .order_by("pk")
        .first()
    )
    if known is None:
        return
    if Client.objects.visible_to(by).filter(pk=known.pk).exists():
        message = _("%(client)s is already a client: choose it above to add this person to it.") % {
            "client": known
        }
    else:
        message = _(
            "%(client)s is already a client of %(manager)s. Ask them or your head of sales to convert "
            "this lead onto it; if it is another company, give the new client a distinguishing name."
        ) % {"client": known, "manager": known.owner or known.team or _("another team")}
    raise BusinessError(message, errors={"client_name": [message]})


@transaction.atomic
def lead_convert(
    *,
    by: User,
    lead: Lead,
    client: Client | None = None,
    client_name: str = "",
    client_owner: User | None = None,
    contact_role: str = "",
    deal: DealPlaceholder | None = None,
) -> Conversion:
    """Lead → client + contact (+ a deal), keeping the two-way link and the exact moment.

    Attaches to `client` when given (a new person at a known company); otherwise creates one.
    The client may get a different owner (personal manager) than the lead had. With `deal`, a
    deal starts in the same transaction (owned by the client's personal manager, linked to the
    lead and the new contact): if it cannot start, nothing of the conversion is kept.
    """
    require_record(by, lead, Action.WORK, LEAD_LOCKED)
    require_open(lead)
    if deal is not None:
        _check_deal_placeholder(deal)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    require_open(lead)
    owner = client_owner or lead.owner or (by if role_of(by) in (Role.MANAGER, Role.HEAD) else None)
    created = client is None
    actor = by if getattr(by, "is_authenticated", False) else None
    if client is None:
        name = (client_name or lead.company_name or lead.full_name).strip()
        if not name:
            raise BusinessError(_("Name the client."), errors={"client_name": [_("This field is required.")]})
        problem = client_name_problem(name)
        if problem:
            raise BusinessError(_("Some fields are not valid."), errors={"client_name": [problem]})
        _refuse_known_client(by, name, lead.country)
        client = Client.objects.create(
            name=name,
            owner=owner,
            team=lead.team,
            country=lead.country,
            city=lead.city,
            email=lead.email if not lead.company_name else "",
            phone=lead.phone if not lead.company_name else "",
            kind="company" if lead.company_name or client_name else "person",
            created_by=actor,
        )
        client_refresh_search(client)
        audit_create(actor=by, instance=client, fields=["name", "owner", "team", "kind"])
    contact = Contact.objects.create(
        client=client,
        first_name=lead.first_name,
        last_name=lead.last_name,
        position=lead.position,
        role=contact_role,
        email=lead.email,
        phone=lead.phone,
        phone_raw=lead.phone_raw,
        consent=lead.consent,
        consent_at=lead.consent_at,
        consent_source=lead.consent_source,
        created_by=actor,
    )
    # The person's employment history at the client starts today (clients: ContactMembership).
    ContactMembership.objects.create(
        contact=contact,
        client=client,
        position=contact.position,
        role=contact.role,
        started_on=timezone.localdate(),
        created_by=actor,
    )
    contact_refresh_search(contact)
    audit_create(
        actor=by, instance=contact, fields=["client", "first_name", "last_name", "email", "phone", "role"]
    )
    lead.client, lead.contact = client, contact
    if not created and lead.last_touch_at:  # a known client: this enquiry was its contact with us
        clients_touched(client_ids=[client.pk], at=lead.last_touch_at)
    lead.converted_at = timezone.now()
    lead.converted_by = actor
    started: Deal | None = None
    if deal is not None:
        started = _start_deal(by=by, lead=lead, client=client, contact=contact, spec=deal)
    text = _("Converted to client %(client)s") % {"client": client}
    if started is not None:
        text += " · " + _("deal “%(deal)s” started") % {"deal": started}
    _set_status(
        lead,
        LeadStatus.CONVERTED,
        by,
        text,
        kind=LeadEventKind.CONVERTED,
        client=client.pk,
        contact=contact.pk,
        deal=started.pk if started is not None else None,
        _fields=["client", "contact", "converted_at", "converted_by"],
    )
    for closed in LEAD_CLOSED:
        closed(lead=lead, done_by=lead.converted_by)
    if client.owner and client.owner != lead.owner:
        with in_language_of(client.owner):
            text = _("You are the personal manager of %(client)s") % {"client": client}
        notify(user=client.owner, verb="client_assigned", text=text)
    return Conversion(lead=lead, client=client, contact=contact, client_created=created, deal=started)


@transaction.atomic
def lead_refuse(
    *,
    by: User,
    lead: Lead,
    reason: RefusalReason,
    note: str = "",
    farewell: bool = False,
    postpone_until: dt.date | None = None,
) -> Lead:
    """The lead declines: kept, with a reason; optionally a farewell letter and a re-contact date."""
    require_record(by, lead, Action.WORK, LEAD_LOCKED)
    require_open(lead)
    if not reason.is_active:
        raise BusinessError(
            _("This reason is switched off."), errors={"reason": [_("Choose an active reason.")]}
        )
    if postpone_until is not None and postpone_until <= timezone.localdate():
        raise BusinessError(
            _("The re-contact date must be in the future."),
            errors={"postpone_until": [_("Choose a date after today.")]},
        )
    if farewell and not lead.email:
        raise BusinessError(
            _("This lead has no e-mail for a farewell letter."),
            errors={"farewell": [_("Add an e-mail address first.")]},
        )
    lead.refusal_reason, lead.refusal_note = reason, note
    status = LeadStatus.POSTPONED if postpone_until else LeadStatus.REFUSED
    lead.postponed_until = postpone_until
    text = _("Refused: %(reason)s") % {"reason": reason}
    if postpone_until:
        text += " · " + _("re-contact on %(date)s") % {"date": postpone_until.isoformat()}
    _set_status(
        lead,
        status,
        by,
        text,
        kind=LeadEventKind.REFUSED,
        reason=reason.code,
        note=note,
        postpone_until=postpone_until.isoformat() if postpone_until else None,
        _fields=["refusal_reason", "refusal_note", "postponed_until"],
    )
    for closed in LEAD_CLOSED:
        closed(lead=lead, done_by=None)
    if postpone_until:
        _schedule_return(lead, postpone_until)
    if farewell:
        from clientela.leads.tasks import send_farewell_letter

        enqueue_on_commit(send_farewell_letter, lead_id=lead.pk)
    return lead


@transaction.atomic
def lead_postpone(*, by: User, lead: Lead, until: dt.date, note: str = "") -> Lead:
    """Not now: the lead returns to its owner's work list on `until`."""
    require_record(by, lead, Action.WORK, LEAD_LOCKED)
    require_open(lead)
    if until <= timezone.localdate():
        raise BusinessError(
            _("The re-contact date must be in the future."),
            errors={"until": [_("Choose a date after today.")]},
        )
    lead.postponed_until = until
    _set_status(
        lead,
        LeadStatus.POSTPONED,
        by,
        _("Postponed until %(date)s") % {"date": until.isoformat()},
        kind=LeadEventKind.POSTPONED,
        until=until.isoformat(),
        note=note,
        _fields=["postponed_until"],
    )
    for closed in LEAD_CLOSED:
        closed(lead=lead, done_by=None)
    _schedule_return(lead, until)
    return lead


@transaction.atomic
def lead_return_from_postponement(*, lead: Lead, today: dt.date | None = None) -> bool:
    """On its date a postponed lead goes back to work with a re-contact task. Idempotent."""
    today = today or timezone.localdate()
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status != LeadStatus.POSTPONED or lead.postponed_until is None or lead.postponed_until > today:
        return False
    lead.postponed_until = None
    _set_status(
        lead,
        LeadStatus.IN_WORK,
        None,
        _("Back from postponement: time to re-contact"),
        kind=LeadEventKind.RETURNED,
        _fields=["postponed_until"],
    )
    # A job writes these: the task (activities) in its reader's language, the notice in the owner's.
    for task_due in LEAD_TASK_DUE:
        task_due(lead=lead, kind="recontact", by=None)
    with in_language_of(lead.owner):
        text = _("%(lead)s is back on your list today") % {"lead": lead}
    notify(user=lead.owner, verb="lead_returned", text=text, url=lead_url(lead))
    return True


def leads_return_due(*, today: dt.date | None = None) -> int:
    """Sweep: return every postponed lead whose date has come. Returns how many returned."""
    today = today or timezone.localdate()
    due = Lead.objects.filter(status=LeadStatus.POSTPONED, postponed_until__lte=today).values_list(
        "pk", flat=True
    )
    return sum(lead_return_from_postponement(lead=Lead(pk=pk), today=today) for pk in list(due))


MERGE_FILL_FIELDS = [
    "first_name",
    "last_name",
    "company_name",
    "position",
    "industry",
    "email",
    "email_raw",
    "phone",
    "phone_raw",
    "country",
    "region",
    "city",
    "campaign",
    "product",
    "message",
]


@transaction.atomic
def lead_merge(*, by: User, target: Lead, other: Lead) -> Lead:
    """Merge `other` into `target`: empty fields filled, timelines joined, nothing deleted."""
    if target.pk == other.pk:
        raise BusinessError(
            _("A lead cannot be merged into itself."), errors={"other": [_("Choose another lead.")]}
        )
    require_record(by, target, Action.WORK, LEAD_LOCKED)
    require_record(by, other, Action.WORK, LEAD_LOCKED)
    require_open(target)
    require_open(other)
    filled = {
        name: getattr(other, name)
        for name in MERGE_FILL_FIELDS
        if not getattr(target, name) and getattr(other, name)
    }
    target.touch_count += other.touch_count
    target.consent = target.consent or other.consent
    for name, value in filled.items():
        setattr(target, name, value)
    refresh_derived(target)
    target.save()
    LeadEvent.objects.filter(lead=other).update(lead=target)
    for merged in LEADS_MERGED:
        merged(other=other, target=target)
    Interest.objects.filter(upgraded_to=other).update(upgraded_to=target)
    other.merged_into = target
    other.save(update_fields=["merged_into", "updated_at"])
    clocks_stop_for_lead(lead=other, by=by, reason=StopReason.CANCELLED)
    audit_event(actor=by, instance=target, event="merged", changes={"merged": other.pk, "filled": filled})
    audit_event(actor=by, instance=other, event="merged_into", changes={"merged_into": target.pk})
    lead_event(
        target,
        LeadEventKind.MERGED,
        by,
        _("Merged lead #%(id)s (%(name)s) into this one") % {"id": other.pk, "name": other},
        other=other.pk,
        filled=sorted(filled),
    )
    return target


@transaction.atomic
def interest_upgrade(
    *, by: User, interest: Interest, fields: dict[str, Any] | None = None, raw: dict[str, Any] | None = None
) -> Lead:
    """A person appeared behind an interest: it becomes a lead (through the same creation path).

    `raw` is what a person or a program sent (a whole name or its parts, position, company,
    phone, e-mail), checked by the lead's field rules; `fields` are lead fields already checked."""
    if not user_can(by, "work_records"):
        raise PermissionDeniedError(_("You cannot turn interests into leads."))
    if interest.upgraded_to_id:
        raise ConflictError(_("This interest is already a lead (#%(id)s).") % {"id": interest.upgraded_to_id})
    if raw is not None:
        fields = interest_upgrade_values(interest, raw)
    fields = fields or {}
    base = {
        "company_name": interest.company_name,
        "source": interest.source,
        "origin": interest.origin,
        "campaign": interest.campaign,
        "product": interest.product,
        "message": interest.message,
        "country": interest.country,
        "city": interest.city,
        "team": interest.team,
        "email": interest.email,
        "email_raw": interest.email_raw,
        "phone": interest.phone,
        "phone_raw": interest.phone_raw,
    }
    base.update({k: v for k, v in fields.items() if v not in (None, "")})
    if not (base.get("first_name") or base.get("last_name")) or not (base.get("email") or base.get("phone")):
        raise BusinessError(
            _("A lead needs a person's name and a phone or an e-mail."),
            errors={"first_name": [_("Give the person's name.")]}
            if not (base.get("first_name") or base.get("last_name"))
            else {"phone": [_("Give a phone or an e-mail.")]},
        )

    existing = find_duplicate(str(base.get("email") or ""), str(base.get("phone") or ""))
    if existing is not None and not (isinstance(existing, Lead) and existing.pk == interest.upgraded_to_id):
        raise ConflictError(
            _("This phone or e-mail already belongs to %(record)s.") % {"record": existing},
            errors={"phone" if base.get("phone") else "email": [_("Already on record.")]},
        )
    lead = lead_create(by=by, fields=base)
    interest.upgraded_to = lead
    interest.upgraded_at = timezone.now()
    interest.save(update_fields=["upgraded_to", "upgraded_at", "updated_at"])
    audit_event(actor=by, instance=interest, event="upgraded", changes={"lead": lead.pk})
    lead_event(
        lead,
        LeadEventKind.NOTE,
        by,
        _("Upgraded from interest #%(id)s") % {"id": interest.pk},
        interest=interest.pk,
    )
    return lead


def open_leads() -> Any:
    return Lead.objects.filter(status__in=OPEN_STATUSES, merged_into__isnull=True)
