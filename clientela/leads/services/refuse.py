"""A lead that declines or asks for later: refusal with a reason (optionally a farewell letter and a
re-contact date), postponement, and the return of postponed leads on their date (one deferred job
per lead, and the sweep that catches lost ones).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.errors import BusinessError
from clientela.core.language import in_language_of
from clientela.core.notifications import notify
from clientela.core.permissions import Action, require_record
from clientela.core.tasks import enqueue_on_commit
from clientela.core.texts import Label, Message
from clientela.leads import texts
from clientela.leads.choices import LeadEventKind, LeadStatus
from clientela.leads.hooks import LEAD_CLOSED, LEAD_TASK_DUE
from clientela.leads.models import Lead, RefusalReason
from clientela.leads.services.lifecycle import LEAD_LOCKED, lead_url, require_open, set_status
from clientela.users.models import User


def _schedule_return(lead: Lead, day: dt.date) -> None:
    """Defer the lead's return to the start of `day` in its team's time zone."""
    from clientela.leads.tasks import return_postponed_lead  # cycle: leads.tasks runs this module's services

    zone = zoneinfo.ZoneInfo(lead.team.time_zone if lead.team else "UTC")
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone)
    enqueue_on_commit(return_postponed_lead.using(run_after=start), lead_id=lead.pk)


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
    why = Label("refusal_reason", reason.code, reason.name)
    text = Message(texts.REFUSED, reason=why)
    if postpone_until:
        text = Message(texts.REFUSED_UNTIL, reason=why, date=postpone_until.isoformat())
    set_status(
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
        from clientela.leads.tasks import send_farewell_letter  # cycle: leads.tasks imports this module

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
    set_status(
        lead,
        LeadStatus.POSTPONED,
        by,
        Message(texts.POSTPONED, date=until.isoformat()),
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
    set_status(
        lead,
        LeadStatus.IN_WORK,
        None,
        Message(texts.RETURNED),
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
