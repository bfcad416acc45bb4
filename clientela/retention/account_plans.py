"""The account plan of a key client (SPEC §8): the year's goals, its decision makers and
influencers chosen from its contacts, planned actions with dates (each a task of the client's
personal manager) and a review date (a task on that day). Offered for every A-class client and
allowed for any client; every change audited on the plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.activities.choices import TaskKind
from clientela.activities.models import Task
from clientela.activities.services.task import task_create, task_update
from clientela.clients.models import Client, Contact
from clientela.core.audit import audit_create, audit_event, model_update
from clientela.core.errors import BusinessError
from clientela.core.permissions import Action, require_record
from clientela.core.texts import Message
from clientela.core.zones import zone_of
from clientela.retention import loyalty_texts as texts
from clientela.retention.loyalty_models import AccountPlan, AccountPlanAction, AccountPlanPerson, PlanRole
from clientela.users.models import User

CANNOT_CHANGE = "You may not change this client's account plan."
TASK_HOUR = dt.time(9, 0)


def invalid(errors: dict[str, list[str]]) -> BusinessError:
    return BusinessError(_("Some fields are not valid."), errors=errors, status=422)


def has_abc_class() -> bool:
    """Whether clients carry their ABC class yet (kept by the concentration part)."""
    return any(field.name == "abc_class" for field in Client._meta.get_fields())


def key_clients(viewer: User) -> QuerySet[Client]:
    """The viewer's A-class clients that are not archived (none while classes are not kept)."""
    clients = Client.objects.restrict(viewer, Action.VIEW).filter(is_archived=False)
    if not has_abc_class():
        return clients.none()
    return clients.filter(**{"abc_class": "A"}).order_by("name")


def key_clients_without_plan(viewer: User) -> QuerySet[Client]:
    return key_clients(viewer).filter(account_plan__isnull=True)


def plan_of(client: Client) -> AccountPlan | None:
    return (
        AccountPlan.objects.filter(client=client).prefetch_related("people__contact", "actions__task").first()
    )


def _due(day: dt.date, owner: Any) -> dt.datetime:
    return dt.datetime.combine(day, TASK_HOUR, tzinfo=zone_of(owner))


def _clean_date(value: Any, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise invalid({field: [_("Enter a valid date.")]}) from None


def _clean_people(client: Client, people: Iterable[Mapping[str, Any]]) -> list[tuple[Contact, str, str]]:
    clean: list[tuple[Contact, str, str]] = []
    seen: set[int] = set()
    for index, row in enumerate(people):
        field = f"people.{index}"
        try:
            contact_id = int(row.get("contact"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise invalid({f"{field}.contact": [_("Choose one of the client's contacts.")]}) from None
        contact = Contact.objects.filter(pk=contact_id, client=client).first()
        if contact is None:
            raise invalid({f"{field}.contact": [_("Choose one of the client's contacts.")]})
        role = str(row.get("role") or "")
        if role not in PlanRole.values:
            raise invalid({f"{field}.role": [_("Choose decision maker or influencer.")]})
        note = " ".join(str(row.get("note") or "").split())
        if len(note) > 300:
            raise invalid({f"{field}.note": [_("At most 300 characters.")]})
        if contact.pk in seen:
            raise invalid({f"{field}.contact": [_("This contact is listed twice.")]})
        seen.add(contact.pk)
        clean.append((contact, role, note))
    return clean


def _review_task(*, by: User, plan: AccountPlan, client: Client) -> None:
    """The review date is a task on that day; a new date moves it, no date closes nothing."""
    title = Message(texts.PLAN_REVIEW, client=client.name)
    task = plan.review_task
    if plan.review_on is None:
        return
    due = _due(plan.review_on, client.owner or by)
    if task is not None and task.done_at is None:
        task_update(by=by, task=task, data={"due_at": due})
        return
    plan.review_task = task_create(
        by=by, title=title, due_at=due, assignee=client.owner, kind=TaskKind.MEETING, client=client
    )
    AccountPlan.objects.filter(pk=plan.pk).update(review_task=plan.review_task)


@transaction.atomic
def account_plan_save(
    *,
    by: User,
    client: Client,
    goals: str | None = None,
    review_on: Any = "unchanged",
    year: Any = None,
    people: Iterable[Mapping[str, Any]] | None = None,
) -> AccountPlan:
    """Create or change the client's account plan: only what is given changes. `people` replaces
    the decision makers and influencers ({contact, role, note}, contacts of this client)."""
    require_record(by, client, Action.WORK, _(CANNOT_CHANGE))
    client = Client.objects.select_for_update().get(pk=client.pk)
    values: dict[str, Any] = {}
    if goals is not None:
        text = str(goals).strip()
        if len(text) > 5000:
            raise invalid({"goals": [_("At most 5000 characters.")]})
        if "\x00" in text:
            raise invalid({"goals": [_("Enter a valid value.")]})
        values["goals"] = text
    if review_on != "unchanged":
        values["review_on"] = _clean_date(review_on, "review_on")
        if values["review_on"] is not None and values["review_on"] < timezone.localdate() - dt.timedelta(
            days=1
        ):
            raise invalid({"review_on": [_("The review date cannot be in the past.")]})
    if year not in (None, ""):
        try:
            values["year"] = int(year)
        except (TypeError, ValueError):
            raise invalid({"year": [_("Enter a year.")]}) from None
        if not 2000 <= values["year"] <= 2100:
            raise invalid({"year": [_("Enter a year.")]})
    clean_people = _clean_people(client, people) if people is not None else None
    plan = AccountPlan.objects.filter(client=client).first()
    if plan is None:
        plan = AccountPlan.objects.create(
            client=client,
            year=values.get("year") or timezone.localdate().year,
            goals=values.get("goals", ""),
            review_on=values.get("review_on"),
            created_by=by,
            updated_by=by,
        )
        audit_create(actor=by, instance=plan, fields=["client", "year", "goals", "review_on"])
        review_changed = plan.review_on is not None
    else:
        old_review = plan.review_on
        model_update(instance=plan, data=values, actor=by)
        review_changed = plan.review_on != old_review
    if review_changed:
        _review_task(by=by, plan=plan, client=client)
    if clean_people is not None:
        before = sorted(plan.people.values_list("contact_id", "role"))
        plan.people.all().delete()
        AccountPlanPerson.objects.bulk_create(
            [AccountPlanPerson(plan=plan, contact=c, role=role, note=note) for c, role, note in clean_people]
        )
        after = sorted((c.pk, role) for c, role, _note in clean_people)
        if before != after:
            audit_event(actor=by, instance=plan, event="people", changes={"people": [before, after]})
    return plan


@transaction.atomic
def account_plan_action_add(*, by: User, client: Client, title: str, due_on: Any) -> AccountPlanAction:
    """Plan an action on a date: it becomes a task of the client's personal manager (the plan is
    made when the client has none yet)."""
    require_record(by, client, Action.WORK, _(CANNOT_CHANGE))
    text = " ".join(str(title or "").split())
    errors: dict[str, list[str]] = {}
    if not text:
        errors["title"] = [_("This field is required.")]
    elif len(text) > 200:
        errors["title"] = [_("At most 200 characters.")]
    try:
        day = _clean_date(due_on, "due_on")
    except BusinessError as exc:
        errors.update(exc.errors)
        day = None
    if day is None and "due_on" not in errors:
        errors["due_on"] = [_("This field is required.")]
    if errors:
        raise invalid(errors)
    assert day is not None
    plan = AccountPlan.objects.filter(client=client).first() or account_plan_save(by=by, client=client)
    task = task_create(
        by=by,
        title=Message(texts.PLAN_ACTION, client=client.name, action=text),
        due_at=_due(day, client.owner or by),
        assignee=client.owner,
        kind=TaskKind.OTHER,
        client=client,
    )
    action = AccountPlanAction.objects.create(plan=plan, title=text, due_on=day, task=task, created_by=by)
    audit_event(
        actor=by,
        instance=plan,
        event="action_added",
        changes={"action": {"id": action.pk, "title": text, "due_on": day}},
    )
    return action


def action_done(action: AccountPlanAction) -> bool:
    task: Task | None = action.task
    return task is not None and task.done_at is not None
