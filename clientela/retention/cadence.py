"""The post-sale cadence (SPEC §8): what happens with a client after a won deal.

* **Is the product in use?** — a won deal (`deals.hooks.DEAL_WON`) plans a call for the deal's
  owner on the NEXT BUSINESS DAY of the team's calendar (working hours and holidays,
  `comms.team_settings`), at the day's opening (none for a win recorded more than a week after
  that day: an import or a history). Completing it asks how it went
  (`activities.hooks.TASK_OUTCOMES`), and the answer branches (`activities.hooks.TASK_COMPLETED`):
  *not yet in use* → a call on the day of use (the date is asked, the same question then);
  *in use, satisfied* → a call to thank and offer the next step (next business day);
  *unhappy* → an urgent meeting for the owner (at the next business opening) and a notice to the
  team's head.
* **An offer every N days** — `offer_sweep`: a client who bought (a won deal) gets an offer task
  for its personal manager `RetentionPolicy.offer_every_days` (45) after the later of its last
  offer and its last purchase; once per such moment (`run_once`), never while one is open.
* **The offer guard** — `offer_gap_for` (provides `deals.hooks.OFFER_GUARD`): a new offer
  (a proposal or price list, logged or a proposal document sent) sooner than
  `offer_min_gap_days` (30) after the previous one — counted in whole days of the team's calendar
  — is refused until the sender confirms it, then recorded (`deals.offer_guard`).
* `client_cadence` — what the client card shows: last purchase, last offer, next offer due, the
  next open task, deliveries in progress and agreement end dates.

Offers are activities of kind proposal / price list (not inbound) about the client, and proposal
documents of its deals sent to it. A purchase is a won deal (its closing moment).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.activities.choices import OFFER_KINDS, Direction, Priority, TaskKind
from clientela.activities.hooks import TASK_COMPLETED, TASK_OUTCOMES, OutcomeQuestion
from clientela.activities.models import Activity, Task
from clientela.activities.selectors import visible_tasks
from clientela.activities.services.task import task_create
from clientela.clients.models import Client
from clientela.comms.business_hours import Calendar, NoWorkingHoursError, next_opening
from clientela.comms.team_settings import calendar_for_team
from clientela.core.language import in_language_of
from clientela.core.notifications import notify
from clientela.core.permissions import Action
from clientela.core.tasks import run_once
from clientela.core.texts import Message
from clientela.deals.choices import DealStatus, DocumentKind
from clientela.deals.hooks import DEAL_WON, OFFER_GUARD
from clientela.deals.models import Deal, DocumentVersion
from clientela.deals.offer_guard import OfferGap
from clientela.deals.services import deal_url
from clientela.retention import cadence_texts as texts
from clientela.retention.cadence_models import CadenceKind, CadenceStep, UseOutcome
from clientela.retention.models import RetentionPolicy
from clientela.users.models import User

# The steps whose completion asks "is the product in use?".
ASKING_KINDS = (CadenceKind.IN_USE_CHECK, CadenceKind.USE_DAY_CALL)
BATCH = 2000
# A win recorded so late that its "is the product in use?" call would be this far overdue plans none.
STALE_WIN = dt.timedelta(days=7)


def policy_for(team: Any) -> RetentionPolicy:
    """The team's retention policy (the defaults when it has none yet, or no team)."""
    if team is not None:
        policy = RetentionPolicy.objects.filter(team=team).first()
        if policy is not None:
            return policy
    return RetentionPolicy(team=team) if team is not None else RetentionPolicy()


# --- The team's calendar --------------------------------------------------------------------------


def _calendar(team: Any) -> Calendar:
    return calendar_for_team(team)


def _morning(day: dt.date, calendar: Calendar) -> dt.datetime:
    """The opening of `day` in the calendar (10:00 local when the calendar is closed that day)."""
    windows = calendar.windows_on(day)
    if windows:
        return windows[0][0].astimezone(calendar.zone)
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=calendar.zone)


def next_business_day(after: dt.datetime, calendar: Calendar) -> dt.datetime:
    """The opening of the first working day after the local date of `after` (weekends and
    holidays skipped); the next calendar day at 10:00 when the calendar is never open."""
    day = after.astimezone(calendar.zone).date()
    for _step in range(366):
        day += dt.timedelta(days=1)
        windows = calendar.windows_on(day)
        if windows:
            return windows[0][0].astimezone(calendar.zone)
    return _morning(after.astimezone(calendar.zone).date() + dt.timedelta(days=1), calendar)


def business_opening(at: dt.datetime, calendar: Calendar) -> dt.datetime:
    """`at` when the calendar is open, else its next opening (`at` without working hours)."""
    try:
        return next_opening(at, calendar)
    except NoWorkingHoursError:
        return at


def _local_day(at: dt.datetime, calendar: Calendar) -> dt.date:
    return at.astimezone(calendar.zone).date()


# --- A won deal -----------------------------------------------------------------------------------


def _plan(
    *,
    kind: str,
    title: Message,
    due_at: dt.datetime,
    client: Client,
    deal: Deal | None,
    assignee: Any,
    task_kind: str = TaskKind.CALL,
    priority: int = Priority.NORMAL,
    ends_on: dt.date | None = None,
) -> Task:
    """A cadence task planned by the system for `assignee`, with its cadence record."""
    task = task_create(
        by=None,
        title=title,
        due_at=due_at,
        assignee=assignee,
        kind=task_kind,
        priority=priority,
        client=client,
        deal=deal,
    )
    CadenceStep.objects.create(kind=kind, task=task, client=client, deal=deal, ends_on=ends_on)
    return task


def on_deal_won(*, by: Any, deal: Deal) -> None:
    """`deals.hooks.DEAL_WON`: the "is the product in use?" call on the next business day."""
    won_at = deal.closed_at or timezone.now()
    calendar = _calendar(deal.team)
    due = next_business_day(won_at, calendar)
    if due < timezone.now() - STALE_WIN:
        return  # a win recorded long after the fact (an import, a history): the call is moot

    def effect() -> None:
        _plan(
            kind=CadenceKind.IN_USE_CHECK,
            title=Message(texts.IN_USE, client=deal.client.name, deal=deal.title),
            due_at=due,
            client=deal.client,
            deal=deal,
            assignee=deal.owner,
        )

    run_once(f"retention.cadence.won:{deal.pk}:{won_at.isoformat()}", effect)


# --- The outcome of the "in use?" call ------------------------------------------------------------


def outcome_question(task: Any) -> OutcomeQuestion | None:
    """`activities.hooks.TASK_OUTCOMES`: the in-use calls ask how it went."""
    if task.kind != TaskKind.CALL or task.deal_id is None:
        return None
    if not CadenceStep.objects.filter(task_id=task.pk, kind__in=ASKING_KINDS).exists():
        return None
    return OutcomeQuestion(
        label=gettext_lazy("Is the product in use?"),
        choices=list(UseOutcome.choices),
        date_for=frozenset({UseOutcome.NOT_IN_USE.value}),
        date_label=gettext_lazy("Day of use (when not yet in use)"),
    )


def on_task_completed(*, by: Any, task: Task, outcome: str, outcome_date: dt.date | None) -> None:
    """`activities.hooks.TASK_COMPLETED`: the in-use call's answer plans what follows."""
    step = CadenceStep.objects.filter(task_id=task.pk).select_related("client", "deal__team").first()
    if step is None:
        return
    if step.kind not in ASKING_KINDS or not outcome:
        return
    step.outcome, step.outcome_date = outcome, outcome_date
    step.save(update_fields=["outcome", "outcome_date"])
    deal, client = step.deal, step.client
    assert deal is not None
    owner = deal.owner or task.assignee
    calendar = _calendar(deal.team)
    now = task.done_at or timezone.now()
    if outcome == UseOutcome.NOT_IN_USE:
        assert outcome_date is not None
        _plan(
            kind=CadenceKind.USE_DAY_CALL,
            title=Message(texts.USE_DAY, client=client.name, deal=deal.title),
            due_at=max(_morning(outcome_date, calendar), now),
            client=client,
            deal=deal,
            assignee=owner,
        )
    elif outcome == UseOutcome.SATISFIED:
        _plan(
            kind=CadenceKind.THANK,
            title=Message(texts.THANK, client=client.name, deal=deal.title),
            due_at=next_business_day(now, calendar),
            client=client,
            deal=deal,
            assignee=owner,
        )
    elif outcome == UseOutcome.UNHAPPY:
        meeting = _plan(
            kind=CadenceKind.URGENT_MEETING,
            title=Message(texts.URGENT, client=client.name, deal=deal.title),
            due_at=business_opening(now, calendar),
            client=client,
            deal=deal,
            assignee=owner,
            task_kind=TaskKind.MEETING,
            priority=Priority.URGENT,
        )
        _tell_head(deal=deal, client=client, owner=owner, meeting=meeting)


def _tell_head(*, deal: Deal, client: Client, owner: Any, meeting: Task) -> None:
    head = getattr(deal.team, "head", None) if deal.team_id else None
    if head is None or not head.is_active:
        return
    with in_language_of(head):
        text = _("%(client)s is unhappy after %(deal)s: an urgent meeting is planned for %(owner)s.") % {
            "client": client.name,
            "deal": deal.title,
            "owner": owner or _("nobody yet"),
        }
    notify(user=head, verb="client_unhappy", text=text, url=deal_url(deal))


# --- Offers and purchases -------------------------------------------------------------------------


def _latest(values: list[dt.datetime | None]) -> dt.datetime | None:
    return max((value for value in values if value is not None), default=None)


def last_offers(client_ids: list[int]) -> dict[int, dt.datetime]:
    """Each client's latest offer: a proposal or price list logged (not inbound), or a proposal
    document of its deals sent."""
    logged = (
        Activity.objects.filter(client_id__in=client_ids, kind__in=OFFER_KINDS)
        .exclude(direction=Direction.IN)
        .values("client_id")
        .annotate(at=Max("occurred_at"))
    )
    sent = (
        DocumentVersion.objects.filter(
            document__deal__client_id__in=client_ids,
            document__kind=DocumentKind.PROPOSAL,
            sent_at__isnull=False,
        )
        .values("document__deal__client_id")
        .annotate(at=Max("sent_at"))
    )
    result: dict[int, dt.datetime] = {}
    for row in logged:
        result[row["client_id"]] = row["at"]
    for sent_row in sent:
        key = sent_row["document__deal__client_id"]
        result[key] = _latest([result.get(key), sent_row["at"]]) or sent_row["at"]
    return result


def last_purchases(client_ids: list[int]) -> dict[int, dt.datetime]:
    rows = (
        Deal.objects.filter(client_id__in=client_ids, status=DealStatus.WON, closed_at__isnull=False)
        .values("client_id")
        .annotate(at=Max("closed_at"))
    )
    return {row["client_id"]: row["at"] for row in rows}


def _days_between(earlier: dt.datetime, later: dt.datetime, calendar: Calendar) -> int:
    """Whole calendar days between two moments, by their dates in the team's zone."""
    return (_local_day(later, calendar) - _local_day(earlier, calendar)).days


def offer_gap_for(*, client: Client, at: dt.datetime) -> OfferGap | None:
    """`deals.hooks.OFFER_GUARD`: the previous offer, when a new one at `at` comes sooner than the
    team's minimum (`offer_min_gap_days`; 0 switches the guard off)."""
    policy = policy_for(client.team)
    if not policy.offer_min_gap_days:
        return None
    last = last_offers([client.pk]).get(client.pk)
    if last is None:
        return None
    days = _days_between(last, at, _calendar(client.team))
    if days >= policy.offer_min_gap_days:
        return None
    return OfferGap(last_at=last, days=max(days, 0), min_days=policy.offer_min_gap_days)


def next_offer_due(
    *, last_offer: dt.datetime | None, last_purchase: dt.datetime | None, every_days: int
) -> dt.datetime | None:
    """When the next offer is due: `every_days` after the later of the last offer and the last
    purchase (None for a client who never bought)."""
    if last_purchase is None:
        return None
    base = _latest([last_offer, last_purchase])
    assert base is not None
    return base + dt.timedelta(days=every_days)


def offer_sweep(*, now: dt.datetime | None = None) -> int:
    """Plan every due offer task (once per due moment; not while the client has one open).
    Returns how many were planned."""
    moment = now or timezone.now()
    planned = 0
    buyers = (
        Client.objects.filter(deals__status=DealStatus.WON, is_archived=False, lost_at__isnull=True)
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )
    last_pk = 0
    while True:
        ids = list(buyers.filter(pk__gt=last_pk)[:BATCH])
        if not ids:
            return planned
        last_pk = ids[-1]
        planned += _offers_for(ids, moment)


def _offers_for(client_ids: list[int], now: dt.datetime) -> int:
    offers = last_offers(client_ids)
    purchases = last_purchases(client_ids)
    busy = set(
        CadenceStep.objects.filter(
            client_id__in=client_ids, kind=CadenceKind.OFFER, task__done_at__isnull=True
        ).values_list("client_id", flat=True)
    )
    policies: dict[Any, RetentionPolicy] = {}
    planned = 0
    clients = Client.objects.filter(pk__in=[pk for pk in client_ids if pk not in busy]).select_related(
        "team", "owner"
    )
    for client in clients:
        if client.team_id not in policies:
            policies[client.team_id] = policy_for(client.team)
        policy = policies[client.team_id]
        last_offer, last_purchase = offers.get(client.pk), purchases.get(client.pk)
        due = next_offer_due(
            last_offer=last_offer, last_purchase=last_purchase, every_days=policy.offer_every_days
        )
        if due is None or due > now:
            continue
        with transaction.atomic():
            if _plan_offer(client=client, last_offer=last_offer, due=due, now=now):
                planned += 1
    return planned


def _plan_offer(
    *, client: Client, last_offer: dt.datetime | None, due: dt.datetime, now: dt.datetime
) -> bool:
    def effect() -> None:
        calendar = _calendar(client.team)
        if last_offer is not None:
            title = Message(texts.OFFER, client=client.name, days=_days_between(last_offer, now, calendar))
        else:
            title = Message(texts.FIRST_OFFER, client=client.name)
        _plan(
            kind=CadenceKind.OFFER,
            title=title,
            due_at=business_opening(now, calendar),
            client=client,
            deal=None,
            assignee=client.owner,
            task_kind=TaskKind.OTHER,
        )

    return run_once(f"retention.cadence.offer:{client.pk}:{due.isoformat()}", effect)


# --- The client card ------------------------------------------------------------------------------


@dataclass
class ClientCadence:
    last_purchase: dt.datetime | None = None
    last_purchase_deal: Deal | None = None
    last_offer: dt.datetime | None = None
    next_offer_due: dt.datetime | None = None
    offer_every_days: int = 45
    next_task: Task | None = None
    in_delivery: list[Deal] = field(default_factory=list)
    agreements: list[Deal] = field(default_factory=list)
    open_steps: list[CadenceStep] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.last_purchase is None and self.last_offer is None and self.next_task is None


def client_cadence(client: Client, viewer: User | None) -> ClientCadence:
    """The cadence of one client as the viewer may see it (deals and tasks through their scope)."""
    policy = policy_for(client.team)
    summary = ClientCadence(offer_every_days=policy.offer_every_days)
    deals: QuerySet[Deal] = Deal.objects.filter(client=client)
    tasks = Task.objects.filter(client=client, done_at__isnull=True)
    if viewer is not None:
        deals = Deal.objects.restrict(viewer, Action.VIEW).filter(client=client)
        tasks = tasks.filter(pk__in=visible_tasks(viewer).values("pk"))
    won = deals.filter(status=DealStatus.WON, closed_at__isnull=False).order_by("-closed_at", "-pk")
    summary.last_purchase_deal = won.first()
    summary.last_purchase = last_purchases([client.pk]).get(client.pk)
    summary.last_offer = last_offers([client.pk]).get(client.pk)
    summary.next_offer_due = next_offer_due(
        last_offer=summary.last_offer,
        last_purchase=summary.last_purchase,
        every_days=policy.offer_every_days,
    )
    summary.next_task = tasks.select_related("assignee").order_by("due_at", "pk").first()
    summary.in_delivery = list(
        won.filter(delivery_ends_on__isnull=False, delivered_at__isnull=True).order_by(
            "delivery_ends_on", "pk"
        )[:10]
    )
    today = timezone.localdate()
    summary.agreements = list(
        deals.filter(status=DealStatus.WON, ends_on__gte=today - dt.timedelta(days=30)).order_by(
            "ends_on", "pk"
        )[:10]
    )
    return summary


def register() -> None:
    """What the cadence does for the apps below (called from `RetentionConfig.ready()`)."""
    from clientela.clients.hooks import card_sections
    from clientela.core.periodic import PERIODIC_JOBS, Periodic
    from clientela.retention import cadence_jobs
    from clientela.retention.hooks import DASHBOARD_TILES, Tile

    DEAL_WON.register(on_deal_won)
    OFFER_GUARD.provide(offer_gap_for)
    TASK_OUTCOMES.provide(outcome_question)
    TASK_COMPLETED.register(on_task_completed)
    card_sections.register("retention/cadence/_client_cadence.html")
    PERIODIC_JOBS.register(Periodic(cadence_jobs.plan_due_offers, dt.timedelta(hours=6)))
    PERIODIC_JOBS.register(Periodic(cadence_jobs.raise_due_renewals, dt.timedelta(hours=6)))
    from clientela.retention.cadence_views import renewals_tile

    DASHBOARD_TILES.register(Tile("renewals", 60, renewals_tile))
