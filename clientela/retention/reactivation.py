"""Reactivation: the passive list, bulk reactivation tasks and the reactivation rate (SPEC §8).

* **The passive list** (`PASSIVE`, a `core.listspec` ListSpec): working clients whose status is
  *passive* by `clients.status` (no purchase and no contact for the configured time), with their
  value (won deals to date in the base currency, at the latest rates) and last purchase (the
  latest won deal) as the nightly classification stored them (`retention.value`), last contact
  and personal manager; filters team, manager, industry, country, search.
* **`reactivation_tasks_create`** — one reactivation call task per chosen passive client, for its
  personal manager: one transaction, one bulk audit entry. Each task is a `Reactivation` row too,
  which the rate counts.
* **The reactivation rate** per period (`reactivation_rate`): of the reactivation tasks given in
  the period (the client passive then), the share whose client had a contact or a purchase within
  the team's `RetentionPolicy.reactivation_window_days` after the task was given (what makes the
  client active again by the status rule). A reached call, a meeting, an e-mail, a won deal, a
  touch: any recorded activity except unanswered calls and missed meetings, or the client's
  stored last contact falling in the window.
* The retention dashboard's tile `passive` (`retention.hooks.DASHBOARD_TILES`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import (
    Case,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.activities.choices import Outcome, Priority, TaskKind
from clientela.activities.models import Activity, Task
from clientela.clients import search
from clientela.clients.choices import ClientStatus
from clientela.clients.lists import country_code, manager_choices
from clientela.clients.models import Client
from clientela.clients.status import status_condition
from clientela.core.audit import audit_bulk
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.language import in_language_of
from clientela.core.listspec import Column, ListSpec, ListValues, Owner, Search, Team, Text
from clientela.core.notifications import notify
from clientela.core.permissions import Action, can, role_of, user_can
from clientela.core.roles import Role
from clientela.core.texts import Message, define, stored
from clientela.core.zones import zone_of
from clientela.retention.greetings_models import Reactivation
from clientela.retention.models import RetentionPolicy
from clientela.users.models import User
from clientela.users.selectors import team_choices

REACTIVATE = define(
    "retention.reactivate", gettext_lazy("Reactivate %(client)s: passive, no purchase or contact")
)

MAX_BULK = 500  # clients per bulk action
NOT_A_CONTACT = (Outcome.NO_ANSWER, Outcome.BUSY, Outcome.WRONG_NUMBER, Outcome.NO_SHOW, Outcome.CANCELLED)
MONEY = DecimalField(max_digits=20, decimal_places=2)


# --- The passive list ----------------------------------------------------------------------------


def passive_clients(clients: QuerySet[Client], *, now: dt.datetime | None = None) -> QuerySet[Client]:
    """The working clients among `clients` that are passive now."""
    return clients.filter(status_condition(ClientStatus.PASSIVE, now=now), is_archived=False)


def _passive_rows(clients: QuerySet[Client], values: ListValues, viewer: Any) -> QuerySet[Client]:
    # Value and last purchase as the nightly classification stored them (`retention.value`): a
    # passive client has bought nothing since, and the list walks the value index in order
    # instead of totalling every passive client's deals to sort them.
    return (
        passive_clients(clients)
        .select_related("owner", "team")
        .annotate(value=NullIf(F("value_to_date"), Value(0, output_field=MONEY)))
    )


PASSIVE = ListSpec(
    name="passive",
    model=Client,
    url="retention:passive",
    filters=[
        Search(condition=search.client_search_condition),
        Owner(label=gettext_lazy("Personal manager"), choices=manager_choices),
        Team(choices=team_choices),
        Text("industry", gettext_lazy("Industry"), max_length=60, lookup="industry__iexact"),
        Text("country", gettext_lazy("Country"), max_length=60, clean=country_code),
    ],
    orderings={
        "-value": ("-value_to_date", "name", "id"),
        "value": ("value_to_date", "name", "id"),
        "name": ("name", "id"),
        "-name": ("-name", "-id"),
        "last_contact": ("last_contact_at", "id"),
        "-last_contact": ("-last_contact_at", "-id"),
        "last_purchase": (F("last_purchase_at").asc(nulls_first=True), "id"),
        "-last_purchase": (F("last_purchase_at").desc(nulls_last=True), "-id"),
    },
    default_ordering="-value",
    columns=[
        Column("name", gettext_lazy("Client"), sort="name"),
        Column("value", gettext_lazy("Value to date"), sort="-value", css="text-end"),
        Column("last_purchase", gettext_lazy("Last purchase"), sort="-last_purchase"),
        Column("last_contact", gettext_lazy("Last contact"), sort="last_contact"),
        Column("owner", gettext_lazy("Personal manager")),
    ],
    prepare=_passive_rows,
)


def require_passive_list(user: Any) -> None:
    """Heads, admins and managers (their own clients) see the passive list; marketers see no clients."""
    if not user_can(user, "work_records"):
        raise PermissionDeniedError(_("You do not have permission to do this."))


def passive_list(*, viewer: Any, values: ListValues | None = None) -> QuerySet[Client]:
    """The passive clients the viewer may see, filtered and ordered as `PASSIVE` declares, each
    with `value` (base currency), `last_purchase_at` and `last_contact_at`."""
    require_passive_list(viewer)
    return PASSIVE.queryset(viewer, values)


def passive_count(viewer: Any) -> int:
    return passive_clients(Client.objects.restrict(viewer, Action.VIEW)).count()


# --- Bulk reactivation tasks ---------------------------------------------------------------------


def _window_days(team_id: int | None, cache: dict[int | None, int]) -> int:
    if team_id not in cache:
        policy = RetentionPolicy.objects.filter(team_id=team_id).first() if team_id else None
        cache[team_id] = policy.reactivation_window_days if policy else 60
    return cache[team_id]


def _default_due(by: User) -> dt.datetime:
    """Tomorrow at 10:00 in the giver's time zone."""
    zone = zone_of(by)
    tomorrow = timezone.now().astimezone(zone).date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(10, 0), tzinfo=zone)


@dataclass
class ReactivationResult:
    created: list[Task]
    skipped: list[Client]  # already had an open reactivation task


@transaction.atomic
def reactivation_tasks_create(
    *, by: User, client_ids: list[int], due_at: dt.datetime | None = None
) -> ReactivationResult:
    """One reactivation call task per chosen passive client, for its personal manager (the giver
    when the client has none). Clients that already have an open reactivation task are skipped.
    Refused as a whole when one client is not the giver's to work or is not passive now."""
    require_passive_list(by)
    ids = sorted({int(pk) for pk in client_ids})
    if not ids:
        raise BusinessError(
            _("Choose at least one client."), errors={"client_ids": [_("Choose at least one client.")]}
        )
    if len(ids) > MAX_BULK:
        raise BusinessError(
            _("Choose at most %(count)d clients at once.") % {"count": MAX_BULK},
            errors={"client_ids": [_("Choose at most %(count)d clients at once.") % {"count": MAX_BULK}]},
        )
    now = timezone.now()
    if due_at is not None and due_at < now - dt.timedelta(days=1):
        raise BusinessError(
            _("Please correct the task."), errors={"due_at": [_("Choose a day from today on.")]}
        )
    clients = list(
        Client.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("owner", "team")
        .order_by("pk")
    )
    if len(clients) != len(ids) or any(not can(by, client, Action.WORK) for client in clients):
        raise BusinessError(
            _("Some of these clients are not yours to work; nothing was created."),
            errors={"client_ids": [_("Choose clients you work with.")]},
        )
    passive_ids = set(
        passive_clients(Client.objects.filter(pk__in=ids), now=now).values_list("pk", flat=True)
    )
    not_passive = [client for client in clients if client.pk not in passive_ids]
    if not_passive:
        names = ", ".join(client.name for client in not_passive[:3])
        raise BusinessError(
            _("Only passive clients get a reactivation task; these are not passive now: %(names)s.")
            % {"names": names},
            errors={"client_ids": [_("Choose passive clients only.")]},
        )
    open_ids = set(
        Reactivation.objects.filter(
            client_id__in=ids, task__done_at__isnull=True, task__isnull=False
        ).values_list("client_id", flat=True)
    )
    due = due_at or _default_due(by)
    by_actor = by if getattr(by, "is_authenticated", False) else None
    tasks: list[Task] = []
    todo = [client for client in clients if client.pk not in open_ids]
    for client in todo:
        title_text, title_message = stored(Message(REACTIVATE, client=client.name), 200)
        assignee = client.owner if client.owner is not None and client.owner.is_active else by
        tasks.append(
            Task(
                kind=TaskKind.CALL,
                title=title_text,
                title_message=title_message,
                due_at=due,
                priority=Priority.NORMAL,
                assignee=assignee,
                team=client.team or getattr(assignee, "team", None),
                client=client,
                created_by=by_actor,
                updated_by=by_actor,
            )
        )
    Task.objects.bulk_create(tasks)
    windows: dict[int | None, int] = {}
    Reactivation.objects.bulk_create(
        [
            Reactivation(
                client=client,
                task=task,
                started_at=now,
                window_ends_at=now + dt.timedelta(days=_window_days(client.team_id, windows)),
                by=by_actor,
                owner=client.owner,
                team=client.team,
            )
            for client, task in zip(todo, tasks, strict=True)
        ]
    )
    audit_bulk(
        actor=by,
        model=Task,
        event="reactivation_tasks",
        details={
            "clients": [client.pk for client in todo],
            "tasks": [task.pk for task in tasks],
            "skipped": sorted(open_ids),
            "due_at": due.isoformat(),
        },
    )
    counts: dict[int, int] = {}
    for task in tasks:
        if task.assignee_id and task.assignee_id != getattr(by, "pk", None):
            counts[task.assignee_id] = counts.get(task.assignee_id, 0) + 1
    for person in User.objects.filter(pk__in=counts):
        with in_language_of(person):
            text = _("%(who)s gave you %(count)d reactivation task(s) for passive clients.") % {
                "who": by,
                "count": counts[person.pk],
            }
        notify(user=person, verb="task_assigned", text=text, url=reverse("activities:tasks"))
    return ReactivationResult(created=tasks, skipped=[client for client in clients if client.pk in open_ids])


# --- The reactivation rate -----------------------------------------------------------------------

PERIODS = ("month", "quarter", "year")


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # exclusive
    label: str


def periods(kind: str, count: int = 12, *, today: dt.date | None = None) -> list[Period]:
    """The last `count` periods of `kind` (month, quarter, year), the current one last."""
    today = today or timezone.localdate()
    if kind == "year":
        first = dt.date(today.year, 1, 1)
        step = relativedelta(years=1)
    elif kind == "quarter":
        first = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        step = relativedelta(months=3)
    else:
        first = today.replace(day=1)
        step = relativedelta(months=1)
    found = []
    for back in range(count - 1, -1, -1):
        start = first - step * back
        end = start + step
        if kind == "year":
            label = str(start.year)
        elif kind == "quarter":
            label = f"Q{(start.month - 1) // 3 + 1} {start.year}"
        else:
            label = date_format(start, "YEAR_MONTH_FORMAT")
        found.append(Period(start, end, label))
    return found


def reactivated_condition() -> Q:
    """A reactivation whose client had a contact or purchase within its window."""
    contact = Activity.objects.filter(
        client=OuterRef("client"),
        occurred_at__gt=OuterRef("started_at"),
        occurred_at__lte=OuterRef("window_ends_at"),
    ).exclude(outcome__in=NOT_A_CONTACT)
    return Q(Exists(contact)) | Q(
        client__last_contact_at__gt=F("started_at"), client__last_contact_at__lte=F("window_ends_at")
    )


def reactivations_visible_to(viewer: Any) -> QuerySet[Reactivation]:
    require_passive_list(viewer)
    return Reactivation.objects.restrict(viewer, Action.VIEW)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def reactivation_rate(
    *,
    viewer: Any,
    kind: str = "month",
    count: int = 12,
    today: dt.date | None = None,
    team: int | None = None,
    owner: int | None = None,
) -> list[dict[str, Any]]:
    """Per period: reactivation tasks given (`started`), clients reactivated within their window
    (`reactivated`) and the rate (%, None when no task was given)."""
    if kind not in PERIODS:
        raise BusinessError(
            _("Choose a month, a quarter or a year."),
            errors={"period": [_("Choose month, quarter or year.")]},
        )
    if not 1 <= count <= 36:
        raise BusinessError(_("Choose 1 to 36 periods."), errors={"count": [_("Choose 1 to 36 periods.")]})
    rows = reactivations_visible_to(viewer)
    if team:
        rows = rows.filter(team_id=team)
    if owner:
        rows = rows.filter(owner_id=owner)
    spans = periods(kind, count, today=today)
    zone = timezone.get_current_timezone()

    def moment(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=zone)

    found = list(
        rows.filter(started_at__gte=moment(spans[0].start), started_at__lt=moment(spans[-1].end))
        .annotate(done=Case(When(reactivated_condition(), then=Value(True)), default=Value(False)))
        .values_list("started_at", "done")
    )
    result = []
    for span in spans:
        start, end = moment(span.start), moment(span.end)
        inside = [done for at, done in found if start <= at < end]
        reactivated = sum(1 for done in inside if done)
        result.append(
            {
                "period": span.label,
                "start": span.start,
                "end": span.end - dt.timedelta(days=1),
                "started": len(inside),
                "reactivated": reactivated,
                "rate": _percent(reactivated, len(inside)),
            }
        )
    return result


# --- The dashboard tile --------------------------------------------------------------------------


def rate_figure(viewer: Any, *, kind: str = "month", count: int = 12) -> Any:
    """The reactivation rate per period as a figure (chart, table, exports); each number links
    to the passive list."""
    from clientela.core.figures import Chart, Column, Figure

    passive_url = reverse("retention:passive")
    rows = reactivation_rate(viewer=viewer, kind=kind, count=count)
    for row in rows:
        row["_links"] = {"started": passive_url, "reactivated": passive_url}
    return Figure(
        key="reactivation-rate",
        title=_("Reactivation rate"),
        columns=[
            Column("period", _("Period")),
            Column("started", _("Reactivation tasks"), kind="int"),
            Column("reactivated", _("Reactivated"), kind="int"),
            Column("rate", _("Reactivation rate"), kind="percent"),
        ],
        rows=rows,
        chart=Chart(kind="line", x="period", series=["rate"]),
        note=_(
            "Clients passive when given a reactivation task who had a contact or purchase within the window."
        ),
    )


def passive_tile_figures(request: Any) -> list[Any]:
    """The passive list's size and the reactivation rate of the last 12 months."""
    user = request.user
    if not user_can(user, "work_records"):
        return []
    from clientela.core.figures import Chart, Column, Figure

    passive_url = reverse("retention:passive")
    size = passive_count(user)
    return [
        Figure(
            key="passive-size",
            title=_("Passive clients"),
            columns=[Column("what", _("What")), Column("count", _("Clients"), kind="int")],
            rows=[{"what": _("Passive now"), "count": size, "_links": {"count": passive_url}}],
            chart=Chart(kind="none", x="what", series=["count"]),
        ),
        rate_figure(user),
    ]


def register() -> None:
    from clientela.retention.hooks import DASHBOARD_TILES, Tile

    DASHBOARD_TILES.register(Tile("passive", 20, passive_tile_figures))


def may_hand_over(user: Any) -> bool:
    return role_of(user) in (Role.HEAD, Role.ADMIN)
