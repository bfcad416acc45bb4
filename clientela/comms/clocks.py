"""Response clocks: how long a lead or a client message waits for our answer, in business time.

* `clock_start_first_response` — a new lead starts a clock whose budget (team policy, tightened
  by the lead's temperature) is counted in the team's business time; a check is deferred to the
  due moment;
* `clock_stop` / `clocks_stop_for_lead` — the answer came (or the clock is no longer needed);
  `clocks_follow_owner` — a reassigned lead's clocks move with it;
* `clock_acknowledge` — a one-click acknowledgement stops the first-response clock and starts a
  promise clock with the promised time;
* `clock_start_for_message` / `clocks_stop_for_ref` — a client message starts a clock keyed by
  the message's `ref` (`MAIL_THREAD_REF` + the thread's id for mail); our answer stops it;
* `clock_check` — idempotent: marks the breach once and tells the owner, then after the
  escalation delay tells the team's head once; `clocks_sweep` runs it over every open clock
  that is due, as the safety net for a missed schedule;
* `clock_assign` — a clock waiting in the team queue (no owner) gets one: what it is about
  follows through `CLOCK_TAKEN` (the leads app assigns the lead, the mail app gives the thread),
  and every open clock of the same message `ref` moves to the new owner.

The team's calendar and policy the clocks count with are read from `team_settings.py`.
Texts a job writes for a person (breach and escalation notices) are written in that person's
language (`in_language_of`), not in the language of whatever process runs the job.
Every change is audited; notifications are written in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.comms.business_hours import (
    BusinessHoursError,
    Calendar,
    add_business_time,
    business_minutes_between,
)
from clientela.comms.choices import ClockKind, StopReason
from clientela.comms.models import MAX_BUDGET_MINUTES, ResponseClock, ResponsePolicy
from clientela.comms.tasks import check_clock
from clientela.comms.team_settings import TeamRules, calendar_for_team, policy_for_team
from clientela.core.audit import audit_create, audit_event, model_update
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.hooks import Hook
from clientela.core.language import in_language_of
from clientela.core.notifications import notify
from clientela.core.permissions import Action, can, require_record, role_of, user_can
from clientela.core.roles import Role
from clientela.core.tasks import enqueue_on_commit
from clientela.users.models import Team, User

if TYPE_CHECKING:
    from clientela.leads.models import Lead

# Someone takes a waiting clock (`clock_assign`): what it is about follows — the leads app assigns
# the lead, the mail app gives the unowned thread. Called with `by`, `clock`, `owner`.
CLOCK_TAKEN: Hook[Any] = Hook("comms.clock_taken")

CLOCK_AUDIT_FIELDS = ["kind", "lead", "subject", "owner", "team", "budget_minutes", "started_at", "due_at"]


def _lead_url(lead: Lead | None) -> str:
    if lead is None:
        return ""
    try:
        return reverse("leads:detail", args=[lead.pk])
    except NoReverseMatch:
        return ""


def _clock_url(clock: ResponseClock) -> str:
    """Where a notification about the clock leads: the message's page, else the lead's card."""
    return clock.url or _lead_url(clock.lead)


def _schedule_check(clock: ResponseClock, at: dt.datetime) -> None:

    enqueue_on_commit(check_clock.using(run_after=at), clock_id=clock.pk)


CLOCK_LOCKED = gettext_lazy("You cannot act on this response clock.")


def _require_work(by: User | None, clock: ResponseClock) -> None:
    """`by=None` is the system (a job, a lead service acting for the system) and may act; a
    person acts on a clock they may work (`core.permissions`: the owner, the team's head, an
    admin, or a manager of the team for an unassigned clock)."""
    if by is not None:
        require_record(by, clock, Action.WORK, CLOCK_LOCKED)


@transaction.atomic
def clock_start_first_response(*, lead: Lead, at: dt.datetime | None = None) -> ResponseClock:
    """Start the lead's first-response clock (or return the one already running).

    The budget is the team policy's, tightened by the lead's temperature, counted in the
    team's business time; a check is deferred to the due moment.
    """
    running = (
        ResponseClock.objects.filter(lead=lead, kind=ClockKind.FIRST_RESPONSE, stopped_at__isnull=True)
        .order_by("started_at")
        .first()
    )
    if running is not None:
        return running
    started = at or timezone.now()
    team = lead.team
    policy = policy_for_team(team)
    calendar = calendar_for_team(team)
    budget = policy.budget_for(lead.temperature)
    target = min(policy.target_minutes, budget)
    clock = ResponseClock.objects.create(
        kind=ClockKind.FIRST_RESPONSE,
        lead=lead,
        subject=(_("First response to %(lead)s") % {"lead": lead})[:200],
        owner=lead.owner,
        team=team,
        budget_minutes=budget,
        started_at=started,
        target_at=add_business_time(started, target, calendar),
        due_at=add_business_time(started, budget, calendar),
    )
    audit_create(actor=None, instance=clock, fields=CLOCK_AUDIT_FIELDS)
    _schedule_check(clock, clock.due_at)
    return clock


def _stop(
    clock: ResponseClock, *, by: User | None, reason: str, at: dt.datetime, calendar: Calendar | None = None
) -> bool:
    """Stop an open clock once (a concurrent stop wins or loses cleanly). Returns whether it stopped."""
    calendar = calendar or calendar_for_team(clock.team)
    taken = max(0, business_minutes_between(clock.started_at, at, calendar))
    actor = by if getattr(by, "is_authenticated", False) else None
    stopped = ResponseClock.objects.filter(pk=clock.pk, stopped_at__isnull=True).update(
        stopped_at=at, stopped_by=actor, stop_reason=reason, minutes_taken=taken
    )
    if not stopped:
        return False
    clock.stopped_at, clock.stopped_by, clock.stop_reason, clock.minutes_taken = at, actor, reason, taken
    audit_event(
        actor=by,
        instance=clock,
        event="clock_stopped",
        changes={"reason": reason, "minutes_taken": taken, "late": clock.breached_at is not None},
    )
    return True


def _require_reason(reason: str) -> None:
    if reason not in StopReason.values:
        raise BusinessError(
            _("Unknown reason."), errors={"reason": [_("Choose one of: %s.") % ", ".join(StopReason.values)]}
        )


@transaction.atomic
def clock_stop(
    *, clock: ResponseClock, by: User, reason: str = StopReason.RESPONDED, at: dt.datetime | None = None
) -> ResponseClock:
    """The answer came (or the clock is no longer needed): stop it and record the business time taken."""
    _require_reason(reason)
    _require_work(by, clock)
    if not _stop(clock, by=by, reason=reason, at=at or timezone.now()):
        clock.refresh_from_db()
        raise ConflictError(_("This clock has already stopped."))
    return clock


@transaction.atomic
def clocks_stop_for_lead(
    *, lead: Lead, by: User | None, reason: str = StopReason.RESPONDED, at: dt.datetime | None = None
) -> int:
    """Stop every open clock of a lead (answered, refused, merged …). Returns how many stopped.

    For the lead services to call; quietly does nothing when no clock runs.
    """
    _require_reason(reason)
    moment = at or timezone.now()
    clocks = list(ResponseClock.objects.filter(lead=lead, stopped_at__isnull=True).select_related("team"))
    if not clocks:
        return 0
    calendar = calendar_for_team(clocks[0].team)
    count = 0
    for clock in clocks:
        _require_work(by, clock)
        same_team = clock.team_id == clocks[0].team_id
        count += _stop(clock, by=by, reason=reason, at=moment, calendar=calendar if same_team else None)
    return count


@transaction.atomic
def clocks_follow_owner(*, lead: Lead, by: User | None = None) -> int:
    """A reassigned lead's open clocks move to its new owner and team (keeping their deadlines)."""
    changed = 0
    for clock in ResponseClock.objects.filter(lead=lead, stopped_at__isnull=True):
        _instance, changes = model_update(
            instance=clock, data={"owner": lead.owner, "team": lead.team}, actor=by
        )
        changed += bool(changes)
    return changed


MAIL_THREAD_REF = "mail.thread:"


def _may_own_clock(owner: Any) -> bool:
    return bool(
        owner is not None and owner.is_active and role_of(owner) in (Role.MANAGER, Role.HEAD, Role.ADMIN)
    )


@transaction.atomic
def clock_assign(*, by: User, clock: ResponseClock, owner: Any) -> ResponseClock:
    """Give a clock waiting in the team queue (no owner) an owner, in one click.

    Heads of sales and admins assign anyone of the clock's team (admins anyone); a manager may
    only take an unassigned clock of their own team for themselves. A lead's clock is assigned
    through the lead (`lead_assign`: the lead, its open tasks and clocks move together); a client
    message's clock moves with its conversation (the thread and every open clock of the same
    `ref`). Someone else having taken it first is a conflict, not a silent reassignment.
    """
    clock = ResponseClock.objects.select_for_update().get(pk=clock.pk)
    if by is None or not can(by, clock, Action.WORK):
        raise PermissionDeniedError(str(CLOCK_LOCKED))
    taking_own = owner is not None and owner.pk == by.pk
    if not user_can(by, "distribute_leads") and not taking_own:
        raise PermissionDeniedError(_("Only a head of sales can assign this to someone else."))
    if not _may_own_clock(owner):
        raise BusinessError(
            _("This person cannot answer clients."), errors={"owner": [_("Choose an active manager.")]}
        )
    if clock.team_id and owner.team_id != clock.team_id and role_of(by) != Role.ADMIN:
        raise BusinessError(
            _("This person is not in the team."), errors={"owner": [_("Choose someone of the team.")]}
        )
    if clock.stopped_at is not None:
        raise ConflictError(_("This clock has stopped: the client was answered already."))
    if clock.owner_id is not None:
        if clock.owner_id == owner.pk:
            return clock
        raise ConflictError(
            _("%(name)s has already taken this.") % {"name": clock.owner},
            errors={"owner": [_("Someone has already taken this.")]},
        )
    # What the clock is about follows it: the lead (leads app), the unowned mail thread (mail app).
    for follow in CLOCK_TAKEN:
        follow(by=by, clock=clock, owner=owner)
    moved = _assign_conversation(by=by, clock=clock, owner=owner)
    clock.refresh_from_db()
    if moved and clock.lead_id is None and owner.pk != by.pk:
        with in_language_of(owner):
            text = _("A client waits for your answer: %(subject)s") % {"subject": clock.subject}
        notify(user=owner, verb="clock_assigned", text=text, url=_clock_url(clock))
    return clock


def _assign_conversation(*, by: User, clock: ResponseClock, owner: Any) -> int:
    """The clock (and every open clock of the same message `ref`) get `owner`; so does its mail
    thread when nobody owns it. Returns how many clocks moved."""
    clocks = ResponseClock.objects.filter(stopped_at__isnull=True, owner__isnull=True)
    clocks = clocks.filter(ref=clock.ref) if clock.ref else clocks.filter(pk=clock.pk)
    moved = 0
    for each in clocks.select_for_update():
        _instance, changes = model_update(instance=each, data={"owner": owner}, actor=by)
        moved += bool(changes)
    return moved


@dataclass(frozen=True)
class Acknowledgement:
    stopped: ResponseClock
    promise: ResponseClock


@transaction.atomic
def clock_acknowledge(
    *,
    clock: ResponseClock,
    by: User,
    promised_minutes: int | None = None,
    promised_until: dt.datetime | None = None,
    text: str = "",
    at: dt.datetime | None = None,
) -> Acknowledgement:
    """Confirm receipt and promise a time: stops the first-response clock, starts a promise clock.

    Give either `promised_minutes` (business minutes from now) or `promised_until` (an instant).
    """
    _require_work(by, clock)
    now = at or timezone.now()
    errors = _promise_errors(promised_minutes, promised_until, now)
    if errors:
        raise BusinessError(next(iter(errors.values()))[0], errors=errors)
    if clock.kind != ClockKind.FIRST_RESPONSE:
        raise ConflictError(_("Only a first-response clock can be acknowledged."))
    calendar = calendar_for_team(clock.team)
    if promised_until is not None:
        due = promised_until
        budget = max(0, business_minutes_between(now, due, calendar))
    else:
        assert promised_minutes is not None
        budget = promised_minutes
        try:
            due = add_business_time(now, promised_minutes, calendar)
        except BusinessHoursError as exc:
            raise BusinessError(exc.message, errors={"promised_minutes": [exc.message]}) from exc
    if not _stop(clock, by=by, reason=StopReason.ACKNOWLEDGED, at=now, calendar=calendar):
        raise ConflictError(_("This clock has already stopped."))
    promise = ResponseClock.objects.create(
        kind=ClockKind.PROMISE,
        lead=clock.lead,
        client_id=clock.client_id,
        contact_id=clock.contact_id,
        deal_id=clock.deal_id,
        ref=clock.ref,
        url=clock.url,
        subject=(_("Promise to %(lead)s") % {"lead": clock.lead})[:200] if clock.lead else clock.subject,
        owner=clock.owner,
        team=clock.team,
        previous=clock,
        budget_minutes=budget,
        started_at=now,
        due_at=due,
        promised_text=text.strip(),
    )
    audit_create(actor=by, instance=promise, fields=[*CLOCK_AUDIT_FIELDS, "promised_text", "previous"])
    _schedule_check(promise, promise.due_at)
    return Acknowledgement(stopped=clock, promise=promise)


def _promise_errors(minutes: int | None, until: dt.datetime | None, now: dt.datetime) -> dict[str, list[str]]:
    if (minutes is None) == (until is None):
        message = _("Give either the minutes promised or the time promised, not both.")
        return {"promised_minutes": [message], "promised_until": [message]}
    if minutes is not None and not 1 <= minutes <= MAX_BUDGET_MINUTES:
        return {
            "promised_minutes": [
                _("Promise between 1 and %(max)s business minutes.") % {"max": MAX_BUDGET_MINUTES}
            ]
        }
    if until is not None:
        if until.tzinfo is None:
            return {"promised_until": [_("Give the promised time with its time zone.")]}
        if until <= now:
            return {"promised_until": [_("The promised time must be in the future.")]}
    return {}


@dataclass(frozen=True)
class CheckResult:
    breached: bool = False
    escalated: bool = False


def _escalation_due(clock: ResponseClock, policy: ResponsePolicy, calendar: Calendar) -> dt.datetime:
    return add_business_time(clock.due_at, policy.escalation_delay_minutes, calendar)


@transaction.atomic
def clock_check(
    *,
    clock: ResponseClock,
    now: dt.datetime | None = None,
    rules: TeamRules | None = None,
) -> CheckResult:
    """Act on an open clock that is due. Idempotent: run it as often as you like.

    * past `due_at` and not yet breached: record the breach (`breached_at` = the due moment) and
      tell the owner (the team's head when nobody owns it) — once;
    * the escalation delay (business minutes) after the breach: tell the team's head — once;
      until then a check is deferred to that moment.
    Stopped clocks are left alone.
    """
    now = now or timezone.now()
    clock = ResponseClock.objects.select_related("lead", "owner", "team__head").get(pk=clock.pk)
    if clock.stopped_at is not None or now < clock.due_at:
        return CheckResult()
    breached = _mark_breached(clock, now)
    rules = rules or TeamRules()
    escalate_at = _escalation_due(clock, rules.policy(clock.team), rules.calendar(clock.team))
    escalated = False
    if clock.escalated_at is None:
        if clock.owner_id is None or now >= escalate_at:
            escalated = _mark_escalated(clock, now)
        elif breached:
            _schedule_check(clock, escalate_at)
    return CheckResult(breached=breached, escalated=escalated)


def _mark_breached(clock: ResponseClock, now: dt.datetime) -> bool:
    if clock.breached_at is not None:
        return False
    if not ResponseClock.objects.filter(pk=clock.pk, breached_at__isnull=True).update(
        breached_at=clock.due_at
    ):
        return False
    clock.breached_at = clock.due_at
    audit_event(
        actor=None,
        instance=clock,
        event="clock_breached",
        changes={"due_at": clock.due_at, "noticed_at": now},
    )
    if clock.owner is None:
        return True
    with in_language_of(clock.owner):
        if clock.kind == ClockKind.PROMISE:
            text = _("Promise overdue: %(subject)s") % {"subject": clock.promised_text or clock.subject}
        else:
            text = _("First response overdue: %(subject)s") % {"subject": clock.lead or clock.subject}
    notify(user=clock.owner, verb="clock_breached", text=text, url=_clock_url(clock))
    return True


def _mark_escalated(clock: ResponseClock, now: dt.datetime) -> bool:
    if not ResponseClock.objects.filter(pk=clock.pk, escalated_at__isnull=True).update(escalated_at=now):
        return False
    clock.escalated_at = now
    head = clock.team.head if clock.team else None
    audit_event(
        actor=None,
        instance=clock,
        event="clock_escalated",
        changes={"head": head.pk if head else None, "owner": clock.owner_id},
    )
    if head is None:
        return True
    subject = clock.lead or clock.subject
    with in_language_of(head):
        if clock.owner is None:
            text = _("Nobody has answered %(subject)s in time (no owner).") % {"subject": subject}
        else:
            text = _("%(owner)s has not answered %(subject)s in time.") % {
                "owner": clock.owner,
                "subject": subject,
            }
    notify(user=head, verb="clock_escalated", text=text, url=_clock_url(clock))
    return True


def clocks_sweep(*, now: dt.datetime | None = None) -> int:
    """The safety net: check every open clock that is due and not yet escalated.

    Returns how many breaches and escalations it recorded (0 when the deferred checks did their job).
    """
    now = now or timezone.now()
    rules = TeamRules()
    due = ResponseClock.objects.filter(
        stopped_at__isnull=True, due_at__lte=now, escalated_at__isnull=True
    ).order_by("due_at")
    recorded = 0
    for clock in due:
        result = clock_check(clock=clock, now=now, rules=rules)
        recorded += int(result.breached) + int(result.escalated)
    return recorded


# --- Client-message clocks -----------------------------------------------------------------


@transaction.atomic
def clock_start_for_message(
    *,
    owner: Any,
    team: Team | None,
    at: dt.datetime | None,
    ref: str,
    client: Any = None,
    lead: Lead | None = None,
    contact: Any = None,
    deal: Any = None,
    url: str = "",
    subject: str = "",
) -> ResponseClock:
    """A client wrote to us: start a first-response clock for the message `ref` (e.g. "mail.thread:42").

    Idempotent per `ref`: while a first-response clock for it runs, a further message on the same
    thread returns that clock (the client is still waiting for one answer). The budget is the
    team's first-response budget (the lead's temperature tightens it for a lead), counted in the
    team's business time; breach and escalation then work as for a new lead.
    """
    ref = (ref or "").strip()[:100]
    if not ref:
        raise BusinessError(_("Say which message the clock is for."), errors={"ref": [_("Required.")]})
    running = (
        ResponseClock.objects.select_for_update()
        .filter(ref=ref, kind=ClockKind.FIRST_RESPONSE, stopped_at__isnull=True)
        .order_by("started_at")
        .first()
    )
    if running is not None:
        return running
    started = at or timezone.now()
    if deal is not None and client is None:
        client = getattr(deal, "client", None)
    if contact is not None and client is None:
        client = getattr(contact, "client", None)
    policy = policy_for_team(team)
    calendar = calendar_for_team(team)
    budget = policy.budget_for(lead.temperature) if lead is not None else int(policy.first_response_minutes)
    target = min(policy.target_minutes, budget)
    about = client or contact or lead or deal
    text = subject or (_("Answer to %(who)s") % {"who": about} if about is not None else ref)
    clock = ResponseClock.objects.create(
        kind=ClockKind.FIRST_RESPONSE,
        lead=lead,
        client=client,
        contact=contact,
        deal=deal,
        ref=ref,
        url=url[:300],
        subject=str(text)[:200],
        owner=owner,
        team=team,
        budget_minutes=budget,
        started_at=started,
        target_at=add_business_time(started, target, calendar),
        due_at=add_business_time(started, budget, calendar),
    )
    audit_create(actor=None, instance=clock, fields=[*CLOCK_AUDIT_FIELDS, "client", "contact", "deal", "ref"])
    _schedule_check(clock, clock.due_at)
    return clock


@transaction.atomic
def clocks_stop_for_ref(
    *, ref: str, by: User, reason: str = StopReason.RESPONDED, at: dt.datetime | None = None
) -> int:
    """We answered the message `ref`: stop its open clocks (first response and promise). Returns how many.

    For the mail services to call when a reply goes out; quietly does nothing when no clock runs.
    Whoever sends the answer stops the clock (the send itself was permitted), so no extra check here.
    """
    _require_reason(reason)
    ref = (ref or "").strip()
    if not ref:
        return 0
    moment = at or timezone.now()
    rules = TeamRules()
    count = 0
    for clock in ResponseClock.objects.filter(ref=ref, stopped_at__isnull=True).select_related("team"):
        count += _stop(clock, by=by, reason=reason, at=moment, calendar=rules.calendar(clock.team))
    return count
