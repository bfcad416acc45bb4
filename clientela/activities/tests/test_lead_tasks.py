"""A lead's tasks through its lifecycle: the leads app tells, the activities app acts
(`leads.hooks`, registered in `ActivitiesConfig.ready()`)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from clientela.activities.acknowledgement import ACKNOWLEDGEMENT_LETTER
from clientela.activities.hooks import TASK_COMPLETED, TASK_OUTCOMES
from clientela.activities.models import Task
from clientela.activities.worklist_views import HOME_BLOCKS, HOME_TOP_BLOCKS
from clientela.clients.hooks import client_handed_over, status_decisions, status_history
from clientela.clients.selectors import HANDOVER_SUMMARY_PARTS
from clientela.clients.status import LAST_CONTACT_SOURCES, STATUS_LIMITS
from clientela.comms.clocks import CLOCK_TAKEN
from clientela.core.api import TOKEN_AUTHENTICATOR
from clientela.core.banners import HOME_BANNERS
from clientela.core.demo import DEMO_LOADERS
from clientela.core.periodic import PERIODIC_JOBS
from clientela.core.views import HOME_PAGE
from clientela.deals.hooks import DEAL_WON, OFFER_GUARD
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads import hooks as lead_hooks
from clientela.leads.models import Lead, RefusalReason
from clientela.leads.services.merge import lead_merge
from clientela.leads.services.refuse import lead_postpone, lead_refuse
from clientela.retention.hooks import CLIENT_LOST, DASHBOARD_TILES
from clientela.users.views import PROFILE_BLOCKS


def _lead(world, **fields) -> Lead:
    ctx = IntakeContext(door="manual", by=world.manager_north, team=world.north, owner=world.manager_north)
    data = {"name": "Ion Popescu", "phone": "+40721123456", **fields}
    return Lead.objects.get(pk=intake_submit(raw=RawLead(**data), ctx=ctx).id)


def _open(lead: Lead) -> list[Task]:
    return list(Task.objects.filter(lead=lead, done_at__isnull=True))


def test_a_new_lead_gets_its_first_contact_task_for_its_owner(world):
    lead = _lead(world)
    [task] = _open(lead)
    assert (task.kind, task.assignee, task.team) == ("first_contact", world.manager_north, world.north)


def test_refusing_a_lead_closes_its_open_tasks(world):
    lead = _lead(world)
    assert _open(lead)
    lead_refuse(by=world.manager_north, lead=lead, reason=RefusalReason.objects.get(code="price"))
    assert _open(lead) == []
    assert Task.objects.filter(lead=lead, done_at__isnull=False).exists(), "closed, not deleted"


def test_postponing_a_lead_closes_its_open_tasks(world):
    lead = _lead(world)
    lead_postpone(by=world.manager_north, lead=lead, until=timezone.localdate() + dt.timedelta(days=7))
    assert _open(lead) == []


def test_merging_moves_the_open_tasks_to_the_surviving_lead_and_its_owner(world):
    target = _lead(world, phone="+40721000001")
    other = _lead(world, name="Ion Popescu Jr", phone="+40721000002", email="jr@alpha.example")
    Lead.objects.filter(pk=target.pk).update(owner=world.manager_north2)
    target.refresh_from_db()
    moved = [task.pk for task in _open(other)]
    lead_merge(by=world.head_north, target=target, other=other)
    assert _open(other) == []
    tasks = Task.objects.filter(pk__in=moved)
    assert {(t.lead_id, t.assignee_id) for t in tasks} == {(target.pk, world.manager_north2.pk)}


def test_every_hook_a_lower_app_calls_has_its_provider_registered():
    """A hook with nobody registered fails silently (the work just does not happen): each one
    the product relies on must have its higher app plugged in at start-up."""
    hooks = [
        HOME_PAGE, TOKEN_AUTHENTICATOR, PERIODIC_JOBS, DEMO_LOADERS, client_handed_over,
        HANDOVER_SUMMARY_PARTS, LAST_CONTACT_SOURCES, CLOCK_TAKEN, ACKNOWLEDGEMENT_LETTER,
        lead_hooks.LEAD_TASK_DUE, lead_hooks.LEAD_OWNER_CHANGED,
        lead_hooks.LEAD_CLOSED, lead_hooks.LEADS_MERGED, lead_hooks.LEAD_NEXT_STEP,
        lead_hooks.LEAD_CONVERTED, lead_hooks.CONVERSION_REASONS, DEAL_WON, OFFER_GUARD,
        TASK_OUTCOMES, TASK_COMPLETED, HOME_BLOCKS, HOME_BANNERS, STATUS_LIMITS, status_history,
        status_decisions, CLIENT_LOST, DASHBOARD_TILES, HOME_TOP_BLOCKS, PROFILE_BLOCKS,
    ]  # fmt: skip
    assert [hook.name for hook in hooks if len(hook) == 0] == []
    # Every sweep the product relies on is scheduled (a missing registration means the work
    # silently never happens).
    assert sorted(job.task.func.__name__ for job in PERIODIC_JOBS) == [
        "classify_clients_nightly", "notify_overdue_receivables", "plan_due_offers", "poll_mailbox",
        "raise_due_renewals", "rescore_open_leads", "return_postponed_leads", "send_due_surveys",
        "send_notification_digests", "sweep_clocks", "sweep_digests", "sweep_greetings",
        "sweep_keep_alive", "sweep_leak_alerts", "sweep_reminders", "sync_status_history",
    ]  # fmt: skip
    assert len(DEMO_LOADERS) == 7
