"""The work list: what one person (or a head's whole team) must do now, in the order it matters.

Sections, in order (SPEC §6, UI.md "work list"):

1. response clocks that are breached or nearly due (business time, `comms.selectors`);
1b. for heads and admins (their own or the whole team's list): every running clock nobody owns
   yet — leads waiting in the team queue and client messages without an owner — with
   one-click assign-to-me / assign-to-a-manager (`comms.clocks.clock_assign`);
2. overdue tasks;
3. call-backs (a client asked to be called: always on top of the day, overdue or not);
4. today's tasks (until local midnight in the person's time zone);
5. hot leads, best score first, flagged when they have no future step;
6. upcoming tasks (the next days).

A head's (or admin's) whole-team list replaces the four task sections (2, 3, 4, 6) with one
section of the team's tasks grouped by person and, within a person, by kind, with counts; the
filters (person, kind, overdue / today / upcoming) narrow it, and each group shows its first
rows and pages on ("show more", `team_group_rows`). The viewer's own group comes first, so a
head's own new lead is on top of their list.

Every read is scoped with `visible_to(viewer)`. Each section is one bounded query (LIMIT) over
indexed columns (`task_worklist_idx` = assignee, done_at, due_at; `clock_owner_open_idx`;
`lead_owner_status_idx`), and the header counts of all task sections come from one aggregate
query, so the page costs a fixed number of queries however long the lists are.

This module only reads. The one-click acknowledgement a clock row offers (promise, letter, the
clocks traded) is `acknowledgement.py`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.activities.choices import CONVERSATION_TASK_KINDS, Outcome, TaskKind
from clientela.activities.models import Task
from clientela.comms.choices import ClockStatus
from clientela.comms.models import ResponseClock
from clientela.comms.selectors import (
    STATUS_ORDER,
    ClockView,
    _calendars_for,
    clock_status,
    clock_time_left,
    open_clocks_for,
)
from clientela.core.permissions import user_can, visible_team_ids
from clientela.core.roles import Role
from clientela.core.zones import zone_of
from clientela.leads.choices import OPEN_STATUSES, LeadStatus, Temperature
from clientela.leads.models import Lead
from clientela.users.models import User

SECTION_LIMIT = 25
HOT_LIMIT = 10
UPCOMING_DAYS = 7
PEOPLE_LIMIT = 300
# Leads someone actively works (a postponed lead comes back through its re-contact task).
WORKED_STATUSES = (LeadStatus.NEW, LeadStatus.IN_WORK, LeadStatus.QUALIFIED)


def user_time_zone(user: Any) -> zoneinfo.ZoneInfo:
    """The zone a person sees times in: their own, else their team's, else the site's."""
    return zone_of(user)


def day_start(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """Local midnight (in `zone`) of the day `moment` falls on, as an aware datetime."""
    local = moment.astimezone(zone)
    return dt.datetime.combine(local.date(), dt.time(), tzinfo=zone)


def next_day_start(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    local = moment.astimezone(zone)
    return dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=zone)


# --- Whose list ------------------------------------------------------------------------------


def may_switch_person(viewer: Any) -> bool:
    """Heads of sales and admins open anyone's list in their teams; others only their own."""
    return user_can(viewer, "distribute_leads")


def worklist_people(*, viewer: Any) -> list[User]:
    """People whose work list the viewer may open: themselves, and for heads/admins the active
    managers and heads of the teams they see (admins: every team)."""
    if not may_switch_person(viewer):
        return [viewer]
    teams = visible_team_ids(viewer)
    people = User.objects.filter(is_active=True, role__in=(Role.MANAGER, Role.HEAD)).select_related("team")
    if teams is not None:
        people = people.filter(Q(team_id__in=teams) | Q(pk=viewer.pk))
    found = list(people.order_by("first_name", "last_name", "username")[:PEOPLE_LIMIT])
    if all(person.pk != viewer.pk for person in found):
        found.insert(0, viewer)
    return found


def worklist_person(*, viewer: Any, person_id: Any) -> User:
    """The person whose list is asked for, if the viewer may see it; 404 otherwise (no leak)."""
    try:
        wanted = int(person_id)
    except (TypeError, ValueError) as exc:
        raise Http404(_("Not found.")) from exc
    if wanted == viewer.pk:
        return viewer
    if not may_switch_person(viewer):
        raise Http404(_("Not found."))
    people = User.objects.filter(pk=wanted, is_active=True).select_related("team")
    teams = visible_team_ids(viewer)
    if teams is not None:
        people = people.filter(team_id__in=teams)
    person = people.first()
    if person is None:
        raise Http404(_("Not found."))
    return person


# --- The list --------------------------------------------------------------------------------


@dataclass
class Section:
    key: str
    title: str
    icon: str
    count: int
    items: list[Any]
    empty: str = ""

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.items))


@dataclass
class WorkList:
    viewer: Any
    person: User | None  # None: the whole team a head sees
    now: dt.datetime
    zone: zoneinfo.ZoneInfo
    clocks: Section
    overdue: Section
    callbacks: Section
    today: Section
    hot: Section
    upcoming: Section
    # Open clocks by lead, so task and lead rows show their lead's clock without more queries.
    clock_by_lead: dict[int, ClockView] = field(default_factory=dict)
    # Clocks nobody owns (heads and admins only; None: the section is not shown).
    unassigned: Section | None = None
    # The whole team's tasks grouped by person and kind (the team list; None: a person's list).
    team: Section | None = None

    @property
    def sections(self) -> list[Section]:
        queue = [self.unassigned] if self.unassigned is not None else []
        if self.team is not None:
            return [self.clocks, *queue, self.team, self.hot]
        return [self.clocks, *queue, self.overdue, self.callbacks, self.today, self.hot, self.upcoming]

    @property
    def total(self) -> int:
        return sum(section.count for section in self.sections)


def _tasks(viewer: Any, person: User | None) -> QuerySet[Task]:
    tasks = Task.objects.visible_to(viewer).filter(done_at__isnull=True)
    if person is not None:
        tasks = tasks.filter(assignee=person)
    return tasks


def _task_rows(tasks: QuerySet[Task]) -> list[Task]:
    return list(
        tasks.select_related("lead", "client", "contact", "deal", "assignee").order_by(
            "due_at", "-priority", "id"
        )[:SECTION_LIMIT]
    )


@dataclass(frozen=True)
class QueueClock:
    """A running clock nobody owns, with the people it can be assigned to (its team's)."""

    view: ClockView
    candidates: list[User]

    @property
    def clock(self) -> ResponseClock:
        return self.view.clock


def shows_queue(viewer: Any, person: User | None) -> bool:
    """Heads and admins see the team queue's clocks on their own list and on the team's."""
    return (
        may_switch_person(viewer)
        and user_can(viewer, "work_records")
        and (person is None or person.pk == viewer.pk)
    )


def unassigned_clocks(*, viewer: Any, now: dt.datetime, views: list[ClockView] | None = None) -> Section:
    """Running clocks with no owner in the teams the viewer sees (admins: all): overdue first,
    then nearly due, then by due time.

    `views`: the viewer's open clocks already read (the whole team's list), so no query reads
    them again. Otherwise one query for the rows (the count only when they fill the section)
    and the calendars of their teams. Then one query for the people they can go to.
    """

    if views is not None:
        waiting = [view for view in views if view.clock.owner_id is None]
        count, shown = len(waiting), waiting[:SECTION_LIMIT]
    else:
        queue = ResponseClock.objects.visible_to(viewer).filter(owner__isnull=True, stopped_at__isnull=True)
        rows = list(
            queue.select_related("lead", "team", "client", "contact").order_by("due_at", "id")[:SECTION_LIMIT]
        )
        count = len(rows) if len(rows) < SECTION_LIMIT else queue.count()
        calendars = _calendars_for(clock.team_id for clock in rows) if rows else {}
        shown = []
        for clock in rows:
            calendar = calendars.get(clock.team_id, calendars[None])
            left = clock_time_left(clock, now=now, calendar=calendar)
            status = clock_status(clock, now=now, minutes_left=left)
            shown.append(ClockView(clock=clock, minutes_left=left, status=status))
        shown.sort(key=lambda view: (STATUS_ORDER[view.status], view.clock.due_at, view.clock.pk))
    people: dict[int | None, list[User]] = {}
    team_ids = {view.clock.team_id for view in shown if view.clock.team_id is not None}
    if team_ids:
        for someone in (
            User.objects.filter(is_active=True, role__in=(Role.MANAGER, Role.HEAD), team_id__in=team_ids)
            .select_related("team")
            .order_by("first_name", "last_name", "username")[:PEOPLE_LIMIT]
        ):
            people.setdefault(someone.team_id, []).append(someone)
    items = [QueueClock(view=view, candidates=people.get(view.clock.team_id, [])) for view in shown]
    return Section(
        "unassigned",
        _("Waiting for an owner"),
        "ti-user-question",
        count,
        items,
        _("Every waiting client has someone to answer them."),
    )


# --- The team's tasks, grouped (heads and admins) ---------------------------------------------

GROUP_PAGE = 5  # rows a group shows at first
MORE_PAGE = 20  # rows each "show more" adds
NOBODY = "none"  # the group of tasks nobody owns yet (leads in the team queue)
OVERDUE, TODAY, UPCOMING = "overdue", "today", "upcoming"
WHEN_CHOICES = (OVERDUE, TODAY, UPCOMING)
# Kinds in the order a person works them: people waiting first, housekeeping last.
KIND_ORDER = [
    TaskKind.CALL_BACK,
    TaskKind.FIRST_CONTACT,
    TaskKind.PROMISE,
    TaskKind.RECONTACT,
    TaskKind.NEXT_STEP,
    TaskKind.MEETING,
    TaskKind.CALL,
    TaskKind.FOLLOW_UP,
    TaskKind.KEEP_ALIVE,
    TaskKind.OTHER,
]


@dataclass(frozen=True)
class TeamFilters:
    """What the head narrowed the team's tasks to: a person ("none": nobody yet), a kind, when."""

    person: str = ""
    kind: str = ""
    when: str = ""

    @classmethod
    def parse(cls, params: Any) -> TeamFilters:
        """From the query string; anything unknown is ignored (no filter), never an error."""
        person = str(params.get("manager", "") or "")
        if person != NOBODY and not person.isdigit():
            person = ""
        kind = str(params.get("kind", "") or "")
        if kind not in TaskKind.values:
            kind = ""
        when = str(params.get("when", "") or "")
        if when not in WHEN_CHOICES:
            when = ""
        return cls(person=person, kind=kind, when=when)

    @property
    def active(self) -> bool:
        return bool(self.person or self.kind or self.when)


def kind_choices() -> list[tuple[str, str]]:
    labels = dict(TaskKind.choices)
    return [(str(kind), str(labels[kind])) for kind in KIND_ORDER]


def when_choices() -> list[tuple[str, str]]:
    return [(OVERDUE, _("Overdue")), (TODAY, _("Today")), (UPCOMING, _("Upcoming"))]


@dataclass
class KindGroup:
    kind: str
    label: str
    count: int
    overdue: int
    rows: list[Task]

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.rows))


@dataclass
class PersonGroup:
    key: str  # the person's id, or NOBODY
    person: User | None
    count: int = 0
    overdue: int = 0
    today: int = 0
    upcoming: int = 0
    kinds: list[KindGroup] = field(default_factory=list)


def _group_key(assignee_id: int | None) -> str:
    return str(assignee_id) if assignee_id is not None else NOBODY


def _team_task_base(
    viewer: Any, filters: TeamFilters, now: dt.datetime, zone: zoneinfo.ZoneInfo
) -> QuerySet[Task]:
    """Open tasks of everyone the viewer sees, due before the horizon, narrowed by the filters."""
    tomorrow = next_day_start(now, zone)
    horizon = tomorrow + dt.timedelta(days=UPCOMING_DAYS)
    tasks = _tasks(viewer, None).filter(due_at__lt=horizon)
    if filters.person == NOBODY:
        tasks = tasks.filter(assignee__isnull=True)
    elif filters.person:
        tasks = tasks.filter(assignee_id=int(filters.person))
    if filters.kind:
        tasks = tasks.filter(kind=filters.kind)
    if filters.when == OVERDUE:
        tasks = tasks.filter(due_at__lt=now)
    elif filters.when == TODAY:
        tasks = tasks.filter(due_at__gte=now, due_at__lt=tomorrow)
    elif filters.when == UPCOMING:
        tasks = tasks.filter(due_at__gte=tomorrow)
    return tasks


def team_tasks(
    *, viewer: Any, now: dt.datetime, zone: zoneinfo.ZoneInfo, filters: TeamFilters | None = None
) -> Section:
    """The team's open tasks (due within the upcoming days) grouped by person, then by kind.

    Two queries whatever the number of tasks: the counts per (person, kind) and when, and the
    first `GROUP_PAGE` rows of every (person, kind) group (a window function ranks them).
    Groups: the viewer first, then the most overdue; nobody-yet last.
    """
    filters = filters or TeamFilters()
    tomorrow = next_day_start(now, zone)
    base = _team_task_base(viewer, filters, now, zone)
    counts = list(
        base.values("assignee_id", "kind")
        .annotate(
            n=Count("pk"),
            overdue=Count("pk", filter=Q(due_at__lt=now)),
            today=Count("pk", filter=Q(due_at__gte=now, due_at__lt=tomorrow)),
            upcoming=Count("pk", filter=Q(due_at__gte=tomorrow)),
        )
        .order_by()
    )
    rows: dict[tuple[str, str], list[Task]] = {}
    if counts:
        ranked = (
            base.select_related("lead", "client", "contact", "deal", "assignee")
            .annotate(
                group_rank=Window(
                    RowNumber(),
                    partition_by=[F("assignee_id"), F("kind")],
                    order_by=[F("due_at").asc(), F("priority").desc(), F("id").asc()],
                )
            )
            .filter(group_rank__lte=GROUP_PAGE)
            .order_by("due_at", "-priority", "id")
        )
        for task in ranked:
            rows.setdefault((_group_key(task.assignee_id), task.kind), []).append(task)
    labels = dict(TaskKind.choices)
    order: dict[str, int] = {str(kind): n for n, kind in enumerate(KIND_ORDER)}
    groups: dict[str, PersonGroup] = {}
    for row in counts:
        key = _group_key(row["assignee_id"])
        shown = rows.get((key, row["kind"]), [])
        group = groups.get(key)
        if group is None:
            person = shown[0].assignee if shown else None
            group = groups[key] = PersonGroup(key=key, person=person)
        group.count += row["n"]
        group.overdue += row["overdue"]
        group.today += row["today"]
        group.upcoming += row["upcoming"]
        group.kinds.append(
            KindGroup(
                kind=row["kind"],
                label=str(labels.get(row["kind"], row["kind"])),
                count=row["n"],
                overdue=row["overdue"],
                rows=shown,
            )
        )
    for group in groups.values():
        group.kinds.sort(key=lambda kind: order.get(kind.kind, len(order)))

    def rank(group: PersonGroup) -> tuple:
        return (
            group.key != str(viewer.pk),
            group.key == NOBODY,  # the queue has its own section above; its tasks come last
            -group.overdue,
            -group.count,
            str(group.person or ""),
        )

    ordered = sorted(groups.values(), key=rank)
    return Section(
        "team",
        _("Team tasks"),
        "ti-users-group",
        sum(group.count for group in ordered),
        ordered,
        _("No open tasks match these filters.") if filters.active else _("The team has nothing due."),
    )


def team_group_rows(
    *,
    viewer: Any,
    person: str,
    kind: str,
    filters: TeamFilters,
    offset: int,
    now: dt.datetime | None = None,
) -> tuple[list[Task], int]:
    """The next page of one (person, kind) group of the team's tasks: its rows from `offset`
    and how many remain after them. Only heads and admins page the team's tasks."""
    if not may_switch_person(viewer) or not user_can(viewer, "work_records"):
        raise Http404(_("Not found."))
    if (person != NOBODY and not person.isdigit()) or kind not in TaskKind.values:
        return [], 0  # a group that cannot exist has no rows
    now = now or timezone.now()
    narrowed = TeamFilters(person=person, kind=kind, when=filters.when)
    tasks = _team_task_base(viewer, narrowed, now, user_time_zone(viewer))
    offset = max(0, offset)
    page = list(
        tasks.select_related("lead", "client", "contact", "deal", "assignee").order_by(
            "due_at", "-priority", "id"
        )[offset : offset + MORE_PAGE + 1]
    )
    if len(page) <= MORE_PAGE:
        return page, 0
    remaining = tasks.count() - offset - MORE_PAGE
    return page[:MORE_PAGE], max(0, remaining)


def worklist_for(
    *,
    viewer: Any,
    person: User | None,
    now: dt.datetime | None = None,
    filters: TeamFilters | None = None,
) -> WorkList:
    """The work list of `person` as `viewer` may see it (`person=None`: everyone the viewer sees,
    the tasks grouped by person and kind and narrowed by `filters`).

    A person without the right to work records (a marketer) has an empty list.
    """
    now = now or timezone.now()
    zone = user_time_zone(person or viewer)
    tomorrow = next_day_start(now, zone)
    horizon = tomorrow + dt.timedelta(days=UPCOMING_DAYS)
    works = user_can(viewer, "work_records")

    queue = shows_queue(viewer, person)
    clock_views = open_clocks_for(user=viewer, now=now, owner=person) if works else []
    urgent = [view for view in clock_views if view.status in (ClockStatus.BREACHED, ClockStatus.NEAR)]
    if queue:
        # Unowned clocks have their own section, with the assign buttons.
        urgent = [view for view in urgent if view.clock.owner_id is not None]
    clock_by_lead: dict[int, ClockView] = {}
    for view in clock_views:
        if view.clock.lead_id is not None:
            clock_by_lead.setdefault(view.clock.lead_id, view)

    grouped = person is None and works
    # The team's list groups its tasks (one section); a person's list has the four task sections.
    tasks = _tasks(viewer, person) if works and not grouped else Task.objects.none()
    not_callback = ~Q(kind=TaskKind.CALL_BACK)
    overdue_q = not_callback & Q(due_at__lt=now)
    callback_q = Q(kind=TaskKind.CALL_BACK)
    today_q = not_callback & Q(due_at__gte=now, due_at__lt=tomorrow)
    upcoming_q = not_callback & Q(due_at__gte=tomorrow, due_at__lt=horizon)
    counts = (
        tasks.filter(due_at__lt=horizon).aggregate(
            overdue=Count("pk", filter=overdue_q),
            callbacks=Count("pk", filter=callback_q),
            today=Count("pk", filter=today_q),
            upcoming=Count("pk", filter=upcoming_q),
        )
        if works and not grouped
        else {}
    )
    # Call-backs far in the future are not urgent yet: the count above is bounded by the
    # horizon too, so rows and count agree.
    callback_rows = (
        _task_rows(tasks.filter(callback_q, due_at__lt=horizon)) if counts.get("callbacks") else []
    )

    hot_leads: list[Lead] = []
    hot_count = 0
    if works:
        hot = Lead.objects.visible_to(viewer).filter(
            status__in=WORKED_STATUSES, temperature=Temperature.HOT, merged_into__isnull=True
        )
        if person is not None:
            hot = hot.filter(owner=person)
        hot_count = hot.count()
        if hot_count:
            future_step = Task.objects.filter(lead=OuterRef("pk"), done_at__isnull=True, due_at__gte=now)
            hot_leads = list(
                hot.select_related("owner")
                .annotate(has_next_step=Exists(future_step))
                .order_by("-score", "-id")[:HOT_LIMIT]
            )
    return WorkList(
        viewer=viewer,
        person=person,
        now=now,
        zone=zone,
        clock_by_lead=clock_by_lead,
        team=team_tasks(viewer=viewer, now=now, zone=zone, filters=filters) if grouped else None,
        unassigned=(
            unassigned_clocks(viewer=viewer, now=now, views=clock_views if person is None else None)
            if queue
            else None
        ),
        clocks=Section(
            "clocks",
            _("Response clocks"),
            "ti-alarm",
            len(urgent),
            urgent[:SECTION_LIMIT],
            _("No client is waiting too long for an answer."),
        ),
        overdue=Section(
            "overdue",
            _("Overdue"),
            "ti-alert-triangle",
            counts.get("overdue", 0),
            _task_rows(tasks.filter(overdue_q)) if counts.get("overdue") else [],
            _("Nothing overdue."),
        ),
        callbacks=Section(
            "callbacks",
            _("Call-backs"),
            "ti-phone-incoming",
            counts.get("callbacks", 0),
            callback_rows,
            _("Nobody is waiting for a call back."),
        ),
        today=Section(
            "today",
            _("Today"),
            "ti-calendar-event",
            counts.get("today", 0),
            _task_rows(tasks.filter(today_q)) if counts.get("today") else [],
            _("Nothing else due today."),
        ),
        hot=Section(
            "hot",
            _("Hot leads"),
            "ti-flame",
            hot_count,
            hot_leads,
            _("No hot leads right now."),
        ),
        upcoming=Section(
            "upcoming",
            _("Upcoming"),
            "ti-calendar-due",
            counts.get("upcoming", 0),
            _task_rows(tasks.filter(upcoming_q)) if counts.get("upcoming") else [],
            _("Nothing planned for the next days."),
        ),
    )


# --- One-click outcomes -----------------------------------------------------------------------

REACHED, NO_ANSWER, DONE = Outcome.REACHED.value, Outcome.NO_ANSWER.value, "done"
OUTCOMES = (REACHED, NO_ANSWER, DONE)


def _has_record(task: Task) -> bool:
    return any(getattr(task, f"{name}_id") for name in ("lead", "client", "contact", "deal"))


def outcome_choices(task: Task) -> list[str]:
    """Which one-click outcomes a task offers: call outcomes when it is about someone to call."""
    if _has_record(task) and task.kind not in (TaskKind.MEETING, TaskKind.PROMISE):
        return [REACHED, NO_ANSWER, DONE]
    return [DONE]


def needs_next_step(task: Task, outcome: str) -> bool:
    """A call logged, or a conversation task closed, asks for the agreed next contact."""
    if not _has_record(task):
        return False
    return outcome in (REACHED, NO_ANSWER) or task.kind in CONVERSATION_TASK_KINDS


# --- The team's load (heads) -----------------------------------------------------------------


@dataclass(frozen=True)
class ManagerLoad:
    person: User
    open_leads: int
    overdue_tasks: int
    breached_clocks: int


def team_load(*, viewer: Any, now: dt.datetime | None = None) -> list[ManagerLoad]:
    """Per manager of the teams the viewer sees: open leads, overdue tasks and breached clocks.

    Three grouped queries (plus the people), whatever the number of managers.
    """
    if not may_switch_person(viewer):
        return []
    now = now or timezone.now()
    teams = visible_team_ids(viewer)
    people = User.objects.filter(is_active=True, role=Role.MANAGER).select_related("team")
    if teams is not None:
        people = people.filter(team_id__in=teams)
    managers = list(people.order_by("first_name", "last_name", "username")[:PEOPLE_LIMIT])
    ids = [person.pk for person in managers]
    if not ids:
        return []
    leads = dict(
        Lead.objects.filter(owner_id__in=ids, status__in=OPEN_STATUSES, merged_into__isnull=True)
        .values_list("owner_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    overdue = dict(
        Task.objects.filter(assignee_id__in=ids, done_at__isnull=True, due_at__lt=now)
        .values_list("assignee_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    breached = dict(
        ResponseClock.objects.filter(owner_id__in=ids, stopped_at__isnull=True)
        .filter(Q(breached_at__isnull=False) | Q(due_at__lte=now))
        .values_list("owner_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = [
        ManagerLoad(
            person=person,
            open_leads=leads.get(person.pk, 0),
            overdue_tasks=overdue.get(person.pk, 0),
            breached_clocks=breached.get(person.pk, 0),
        )
        for person in managers
    ]
    return sorted(rows, key=lambda row: (-row.breached_clocks, -row.overdue_tasks, -row.open_leads))
