"""Conversion: a lead becomes a client (or joins a known one — never a second client with a working
client's name and country), a contact with its employment history and, optionally, a deal started
in the same transaction (`DealPlaceholder`), or nothing is kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.clients.models import Client, Contact, ContactMembership
from clientela.clients.services.client import client_fill_from_contact
from clientela.clients.services.derived import client_refresh_search, clients_touched, contact_refresh_search
from clientela.core.audit import audit_create, audit_event
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.language import in_language_of
from clientela.core.notifications import notify
from clientela.core.permissions import Action, require_record, role_of, user_can
from clientela.core.roles import Role
from clientela.core.texts import Message
from clientela.core.validation import max_lengths, text_problem
from clientela.deals.catalogue.services import line_from_amount
from clientela.deals.models import Deal, Pipeline
from clientela.deals.money import clean_currency, currency_for_country, parse_amount
from clientela.deals.services import deal_create
from clientela.leads import texts
from clientela.leads.choices import LeadEventKind, LeadStatus
from clientela.leads.hooks import CONVERSION_REASONS, LEAD_CLOSED, LEAD_CONVERTED, LEAD_NEXT_STEP
from clientela.leads.models import Lead
from clientela.leads.rules import client_name_problem
from clientela.leads.services.lifecycle import LEAD_LOCKED, require_open, set_status
from clientela.users.models import User

DEAL_TITLE_LIMIT = max_lengths(Deal, ["title"])["title"]


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


def deal_defaults(lead: Lead) -> dict[str, str]:
    """What the conversion form proposes for the deal: the lead's interest (else its company or
    name) as the title, and the currency of the lead's country (else its team's)."""
    title = " ".join((lead.product or lead.company_name or lead.full_name or "").split())[:DEAL_TITLE_LIMIT]
    country = lead.country or (lead.team.default_country if lead.team_id and lead.team else "")
    return {"deal_title": title, "deal_currency": currency_for_country(country)}


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


def _agreed_next_step(lead: Lead) -> tuple[dt.date | None, str]:
    """The next step agreed while the lead was worked (its open task), for the deal to plan."""
    provider = LEAD_NEXT_STEP.one()
    step = provider(lead=lead) if provider is not None else None
    return step if step is not None else (None, "")


def _start_deal(*, by: User, lead: Lead, client: Client, contact: Contact, spec: DealPlaceholder) -> Deal:
    actor = _deal_actor(by, client)
    owner = client.owner if client.owner_id else (by if role_of(by) in (Role.MANAGER, Role.HEAD) else None)
    next_step_date, next_step_subject = _agreed_next_step(lead)
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
            next_step_date=next_step_date,
            next_step_subject=next_step_subject,
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
    # A deal started with an amount gets a line for it, so its proposal can be prepared at once.
    line_from_amount(by=actor, deal=deal)
    if actor is None and getattr(by, "is_authenticated", False):
        # Started on the converting user's behalf: the record still says who did it.
        Deal.objects.filter(pk=deal.pk).update(created_by=by)
        audit_event(actor=by, instance=deal, event="started_by_conversion", changes={"lead": lead.pk})
    return deal


def _check_deal_placeholder(spec: DealPlaceholder) -> None:
    """Field errors of the deal part before anything is written (names as the forms use them)."""
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
    loyalty_reasons: list[str] | None = None,
) -> Conversion:
    """Lead → client + contact (+ a deal), keeping the two-way link and the exact moment.

    Attaches to `client` when given (a new person at a known company); otherwise creates one.
    The client may get a different owner (personal manager) than the lead had. With `deal`, a
    deal starts in the same transaction (owned by the client's personal manager, linked to the
    lead and the new contact, planning the lead's agreed next step): if it cannot start, nothing
    of the conversion is kept. The client's empty phone and e-mail come from the new contact.
    The lead's open tasks and promises move to the deal (else the client) and its activities
    show on their timelines too (`LEAD_CONVERTED`); the lead keeps its own history.
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
    # The person is how we reach the company: its empty phone and e-mail are theirs.
    client_fill_from_contact(by=by, client=client, contact=contact)
    lead.client, lead.contact = client, contact
    if not created and lead.last_touch_at:  # a known client: this enquiry was its contact with us
        clients_touched(client_ids=[client.pk], at=lead.last_touch_at)
    lead.converted_at = timezone.now()
    lead.converted_by = actor
    started: Deal | None = None
    if deal is not None:
        started = _start_deal(by=by, lead=lead, client=client, contact=contact, spec=deal)
    line = Message(texts.CONVERTED, client=client)
    if started is not None:
        line = Message(texts.CONVERTED_DEAL, client=client, deal=started)
    set_status(
        lead,
        LeadStatus.CONVERTED,
        by,
        line,
        kind=LeadEventKind.CONVERTED,
        client=client.pk,
        contact=contact.pk,
        deal=started.pk if started is not None else None,
        _fields=["client", "contact", "converted_at", "converted_by"],
    )
    # What was agreed and done with the lead follows it (tasks, promises, the call history);
    # whatever is left on it (reaching the person, done by converting) closes.
    for converted in LEAD_CONVERTED:
        converted(lead=lead, client=client, contact=contact, deal=started, by=actor)
    for closed in LEAD_CLOSED:
        closed(lead=lead, done_by=lead.converted_by)
    # Why the client came (optional), kept with the client by the app that keeps the reasons.
    reasons_provider = CONVERSION_REASONS.one()
    if loyalty_reasons and reasons_provider is not None:
        reasons_provider.record(by=by, client=client, codes=list(loyalty_reasons))
    if client.owner and client.owner != lead.owner:
        with in_language_of(client.owner):
            text = _("You are the personal manager of %(client)s") % {"client": client}
        notify(user=client.owner, verb="client_assigned", text=text)
    return Conversion(lead=lead, client=client, contact=contact, client_created=created, deal=started)
