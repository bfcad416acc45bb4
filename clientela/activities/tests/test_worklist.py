"""The work list (home page): sections and their order, counts, scoping, the head's switcher and
team load, one-click outcomes, and the number of queries."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from clientela.activities import worklist
from clientela.activities.choices import ActivityKind, Outcome, TaskKind
from clientela.activities.models import Activity, Task
from clientela.comms import clocks
from clientela.comms.models import ResponseClock
from clientela.conftest import login
from clientela.leads.models import Lead
from clientela.leads.services.lifecycle import lead_create

pytestmark = pytest.mark.django_db

BUCHAREST = zoneinfo.ZoneInfo("Europe/Bucharest")
# A Wednesday, mid-morning in Bucharest.
NOW = dt.datetime(2025, 3, 5, 10, 0, tzinfo=BUCHAREST)


def local(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=BUCHAREST)  # type: ignore[misc]


@pytest.fixture(autouse=True)
def _urls_loaded_before_freezing():
    """The API schemas are built when the URLs are first loaded; freezegun's fake datetime class
    must not leak into them, so load them with the real clock."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018


@pytest.fixture
def north(world):
    world.north.time_zone = "Europe/Bucharest"
    world.north.save(update_fields=["time_zone"])
    world.manager_north.refresh_from_db()
    world.head_north.refresh_from_db()
    return world


_numbers = iter(range(1, 10_000))


def make_lead(owner, *, team=None, temperature="", score=0, name="Ion", email="") -> Lead:
    """A lead without the automatic first task and clock, so each test sets its own."""
    n = next(_numbers)
    lead = lead_create(
        by=None,
        fields={
            "first_name": name,
            "last_name": f"Popescu{n}",
            "phone": f"+4072119{n:04d}",
            "email": email,
            "team": team or owner.team,
            "temperature": temperature,
            "temperature_manual": bool(temperature),
        },
        owner=owner,
    )
    Task.objects.filter(lead=lead).delete()
    ResponseClock.objects.filter(lead=lead).delete()
    if score:
        Lead.objects.filter(pk=lead.pk).update(score=score)
        lead.score = score
    return lead


def make_task(assignee, title, due_at, *, kind=TaskKind.OTHER, lead=None, done=False) -> Task:
    task = Task.objects.create(
        title=title, due_at=due_at, kind=kind, assignee=assignee, team=assignee.team, lead=lead
    )
    if done:
        Task.objects.filter(pk=task.pk).update(done_at=due_at)
    return task


def titles(section) -> list[str]:
    return [item.title for item in section.items]


@freeze_time(NOW)
def test_sections_come_in_order_with_counts_and_only_the_persons_open_tasks(north):
    me, other = north.manager_north, north.manager_north2
    lead = make_lead(me, name="Ana")
    make_task(me, "Send the offer", NOW - dt.timedelta(days=1))
    make_task(me, "Call back Ana", NOW + dt.timedelta(minutes=10), kind=TaskKind.CALL_BACK, lead=lead)
    make_task(me, "Late call-back", NOW - dt.timedelta(minutes=30), kind=TaskKind.CALL_BACK)
    make_task(me, "Prepare the meeting", local(2025, 3, 5, 16, 0))
    make_task(me, "Visit the client", local(2025, 3, 8, 11, 0))
    make_task(me, "Far away", local(2025, 4, 30, 11, 0))
    make_task(me, "Already done", NOW - dt.timedelta(hours=2), done=True)
    make_task(other, "Someone else's", NOW - dt.timedelta(hours=2))
    hot_low = make_lead(me, temperature="hot", score=40, name="Low")
    hot_high = make_lead(me, temperature="hot", score=90, name="High")
    make_lead(me, temperature="warm", score=99, name="Warm")
    make_task(me, "Next step with High", NOW + dt.timedelta(days=2), lead=hot_high)
    breached = clocks.clock_start_first_response(lead=lead, at=local(2025, 3, 4, 9, 0))

    work = worklist.worklist_for(viewer=me, person=me)

    assert [section.key for section in work.sections] == [
        "clocks",
        "overdue",
        "callbacks",
        "today",
        "hot",
        "upcoming",
    ]
    assert [view.clock for view in work.clocks.items] == [breached]
    assert titles(work.overdue) == ["Send the offer"]
    assert titles(work.callbacks) == ["Late call-back", "Call back Ana"], "call-backs, overdue ones too"
    assert titles(work.today) == ["Prepare the meeting"]
    assert [lead.pk for lead in work.hot.items] == [hot_high.pk, hot_low.pk], "best score first"
    assert [lead.has_next_step for lead in work.hot.items] == [True, False]
    assert titles(work.upcoming) == ["Next step with High", "Visit the client"]
    assert [s.count for s in work.sections] == [1, 1, 2, 1, 2, 2]
    assert work.clock_by_lead[lead.pk].clock == breached


@freeze_time(NOW)
def test_near_breach_clocks_are_listed_and_running_ones_are_not(north):
    me = north.manager_north
    # Hot leads get 15 business minutes; "near" is under a quarter of the budget left.
    near = clocks.clock_start_first_response(
        lead=make_lead(me, temperature="hot"), at=local(2025, 3, 5, 9, 48)
    )
    clocks.clock_start_first_response(lead=make_lead(me, temperature="hot"), at=local(2025, 3, 5, 9, 59))

    work = worklist.worklist_for(viewer=me, person=me)

    assert [view.clock for view in work.clocks.items] == [near]
    assert work.clocks.items[0].status == "near"


@freeze_time(NOW)
def test_home_page_shows_the_sections_in_order_with_counts(client, north):
    me = north.manager_north
    make_task(me, "Send the offer", NOW - dt.timedelta(days=1))
    make_task(me, "Call back Ana", NOW + dt.timedelta(minutes=10), kind=TaskKind.CALL_BACK)
    make_task(north.manager_north2, "Not mine", NOW - dt.timedelta(days=1))

    page = login(client, me).get("/").content.decode()

    order = re.findall(r'data-section="(\w+)"', page)
    assert order == ["clocks", "overdue", "callbacks", "today", "hot", "upcoming"]
    assert 'data-testid="count-overdue">1<' in page
    assert 'data-testid="count-callbacks">1<' in page
    assert "Send the offer" in page and "Call back Ana" in page
    assert "Not mine" not in page
    assert "person-switcher" not in page, "a manager has no switcher"


@freeze_time(NOW)
def test_manager_cannot_open_someone_elses_list(client, north):
    login(client, north.manager_north)
    assert client.get(f"/?person={north.manager_north2.pk}").status_code == 404
    assert client.get(f"/?person={north.manager_north.pk}").status_code == 200


@freeze_time(NOW)
def test_head_sees_the_team_switches_to_a_manager_and_sees_the_load(client, north):
    mara, nelu = north.manager_north, north.manager_north2
    make_task(mara, "Overdue of Mara", NOW - dt.timedelta(days=1))
    make_task(nelu, "Overdue of Nelu", NOW - dt.timedelta(days=1))
    make_task(north.manager_south, "Overdue of South", NOW - dt.timedelta(days=1))
    clocks.clock_start_first_response(lead=make_lead(nelu), at=local(2025, 3, 4, 9, 0))
    make_lead(mara)
    login(client, north.head_north)

    team_page = client.get("/").content.decode()
    assert "Overdue of Mara" in team_page and "Overdue of Nelu" in team_page
    assert "Overdue of South" not in team_page
    assert "person-switcher" in team_page
    load = {row.person: row for row in worklist.team_load(viewer=north.head_north)}
    assert set(load) == {mara, nelu}
    assert (load[mara].open_leads, load[mara].overdue_tasks, load[mara].breached_clocks) == (1, 1, 0)
    assert (load[nelu].open_leads, load[nelu].overdue_tasks, load[nelu].breached_clocks) == (1, 1, 1)
    assert f'data-manager="{nelu.pk}"' in team_page

    mara_page = client.get(f"/?person={mara.pk}", headers={"HX-Request": "true"}).content.decode()
    assert "Overdue of Mara" in mara_page and "Overdue of Nelu" not in mara_page
    assert "<html" not in mara_page, "HTMX gets the work list partial only"

    assert client.get(f"/?person={north.manager_south.pk}").status_code == 404, "not the head's team"


def test_marketer_has_no_work_list(client, north):
    page = login(client, north.marketer_north).get("/").content.decode()
    assert "No work list for your role" in page


@freeze_time(NOW)
def test_home_page_queries_do_not_grow_with_the_list(client, north):
    me = north.manager_north

    def fill(start: int, end: int) -> None:
        for i in range(start, end):
            lead = make_lead(me, temperature="hot", score=i)
            make_task(me, f"Overdue {i}", NOW - dt.timedelta(hours=i + 1), lead=lead)
            make_task(me, f"Today {i}", NOW + dt.timedelta(minutes=i + 1), lead=lead)
            make_task(me, f"Call back {i}", NOW + dt.timedelta(minutes=5), kind=TaskKind.CALL_BACK, lead=lead)
            clocks.clock_start_first_response(lead=lead, at=local(2025, 3, 4, 9, 0))

    login(client, me)
    fill(0, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/").status_code == 200
    fill(2, 10)
    with CaptureQueriesContext(connection) as large:
        page = client.get("/").content.decode()
    assert "Overdue 9" in page
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
    assert len(large) <= 22

    login(client, north.head_north)
    with CaptureQueriesContext(connection) as head:
        assert client.get("/").status_code == 200
    assert len(head) <= 26, [q["sql"][:120] for q in head.captured_queries]


# --- One-click outcome ---------------------------------------------------------------------------


@freeze_time(NOW)
def test_reached_logs_the_call_completes_the_task_and_plans_the_next_step(client, north):
    me = north.manager_north
    lead = make_lead(me)
    clock = clocks.clock_start_first_response(lead=lead, at=NOW - dt.timedelta(minutes=10))
    task = make_task(
        me, "First contact", NOW + dt.timedelta(minutes=50), kind=TaskKind.FIRST_CONTACT, lead=lead
    )
    login(client, me)

    form = client.get(f"/worklist/tasks/{task.pk}/outcome/?outcome=reached", headers={"HX-Request": "true"})
    assert form.status_code == 200 and "next_step_at" in form.content.decode()

    response = client.post(
        f"/worklist/tasks/{task.pk}/outcome/",
        {
            "outcome": "reached",
            "notes": "Wants a demo",
            "next_step_at": "2025-03-06T11:00",
            "next_step_subject": "Demo",
            "next": "/",
        },
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 204 and response["HX-Redirect"] == "/"
    task.refresh_from_db()
    assert task.done_at is not None and task.done_by == me
    call = Activity.objects.get(lead=lead, kind=ActivityKind.CALL)
    assert (call.outcome, call.body, call.owner) == (Outcome.REACHED, "Wants a demo", me)
    step = Task.objects.get(lead=lead, done_at__isnull=True)
    assert step.title == "Demo"
    assert step.due_at == local(2025, 3, 6, 11, 0), "read in the manager's time zone"
    clock.refresh_from_db()
    assert clock.stopped_at is not None, "reaching the lead is the first response"


@freeze_time(NOW)
def test_reached_without_a_next_step_is_refused_with_field_errors(client, north):
    me = north.manager_north
    lead = make_lead(me)
    task = make_task(me, "Call", NOW + dt.timedelta(hours=1), kind=TaskKind.CALL, lead=lead)
    login(client, me)

    response = client.post(
        f"/worklist/tasks/{task.pk}/outcome/", {"outcome": "reached"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "When is the next contact agreed?" in page
    task.refresh_from_db()
    assert task.done_at is None
    assert not Activity.objects.filter(lead=lead).exists(), "nothing half-done"


@freeze_time(NOW)
def test_no_answer_logs_the_attempt_and_plans_the_retry(client, north):
    me = north.manager_north
    lead = make_lead(me)
    clock = clocks.clock_start_first_response(lead=lead, at=NOW - dt.timedelta(minutes=10))
    task = make_task(me, "Call Ion", NOW, kind=TaskKind.CALL_BACK, lead=lead)
    login(client, me)
    form = client.get(f"/worklist/tasks/{task.pk}/outcome/?outcome=no_answer").content.decode()
    assert "Call again: Call Ion" in form, "the retry is proposed"

    response = client.post(
        f"/worklist/tasks/{task.pk}/outcome/",
        {"outcome": "no_answer", "next_step_at": "2025-03-05T12:00", "next_step_subject": "Call again"},
    )

    assert response.status_code == 302
    assert Activity.objects.get(lead=lead).outcome == Outcome.NO_ANSWER
    assert Task.objects.get(lead=lead, done_at__isnull=True).title == "Call again"
    clock.refresh_from_db()
    assert clock.stopped_at is None, "nobody answered: the client still waits"


@freeze_time(NOW)
def test_done_closes_a_plain_task(client, north):
    me = north.manager_north
    task = make_task(me, "Order brochures", NOW)
    login(client, me)
    response = client.post(f"/worklist/tasks/{task.pk}/outcome/", {"outcome": "done", "notes": "Ordered"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.done_at is not None and task.result == "Ordered"


@freeze_time(NOW)
def test_outcome_of_a_task_someone_else_owns_is_not_found(client, north):
    task = make_task(north.manager_north2, "Not yours", NOW)
    login(client, north.manager_north)
    assert client.get(f"/worklist/tasks/{task.pk}/outcome/").status_code == 404
    assert client.post(f"/worklist/tasks/{task.pk}/outcome/", {"outcome": "done"}).status_code == 404
    task.refresh_from_db()
    assert task.done_at is None


# --- The team's list: grouped by person and kind, filtered, paged ---------------------------------


@freeze_time(NOW)
def test_team_list_groups_tasks_by_person_then_kind_with_counts(north):
    head, mara, nelu = north.head_north, north.manager_north, north.manager_north2
    for i in range(3):
        make_task(mara, f"Keep in touch {i}", NOW - dt.timedelta(days=i + 1), kind=TaskKind.KEEP_ALIVE)
    make_task(mara, "First contact Mara", NOW + dt.timedelta(hours=1), kind=TaskKind.FIRST_CONTACT)
    make_task(nelu, "Next step Nelu", NOW + dt.timedelta(days=2), kind=TaskKind.NEXT_STEP)
    make_task(north.manager_south, "Not this team", NOW - dt.timedelta(days=1))

    work = worklist.worklist_for(viewer=head, person=None)

    assert [s.key for s in work.sections] == ["clocks", "unassigned", "team", "hot"]
    groups = {group.person: group for group in work.team.items}
    assert set(groups) == {mara, nelu}
    assert work.team.items[0].person == mara, "the most overdue first"
    assert (groups[mara].count, groups[mara].overdue, groups[mara].today) == (4, 3, 1)
    assert [(k.kind, k.count, k.overdue) for k in groups[mara].kinds] == [
        ("first_contact", 1, 0),
        ("keep_alive", 3, 3),
    ]
    assert [t.title for t in groups[mara].kinds[1].rows] == [
        "Keep in touch 2",
        "Keep in touch 1",
        "Keep in touch 0",
    ]
    assert work.team.count == 5


@freeze_time(NOW)
def test_a_heads_own_new_lead_is_first_on_the_team_list(north):
    head = north.head_north
    make_task(north.manager_north, "Overdue of Mara", NOW - dt.timedelta(days=3))
    lead = lead_create(
        by=head,
        fields={"first_name": "Own", "last_name": "Leadson", "phone": "+40721999001", "team": head.team},
        owner=head,
    )

    work = worklist.worklist_for(viewer=head, person=None)

    first = work.team.items[0]
    assert first.person == head, "the head's own tasks come first"
    assert [task.lead_id for kind in first.kinds for task in kind.rows] == [lead.pk]
    assert first.kinds[0].kind == TaskKind.FIRST_CONTACT


@freeze_time(NOW)
def test_team_list_filters_by_person_kind_and_when(north):
    head, mara, nelu = north.head_north, north.manager_north, north.manager_north2
    make_task(mara, "Late keep-alive", NOW - dt.timedelta(days=1), kind=TaskKind.KEEP_ALIVE)
    make_task(mara, "Today first contact", NOW + dt.timedelta(hours=1), kind=TaskKind.FIRST_CONTACT)
    make_task(mara, "Upcoming next step", NOW + dt.timedelta(days=2), kind=TaskKind.NEXT_STEP)
    make_task(nelu, "Nelu overdue", NOW - dt.timedelta(days=1), kind=TaskKind.KEEP_ALIVE)

    def shown(**params: str) -> list[str]:
        filters = worklist.TeamFilters.parse(params)
        work = worklist.worklist_for(viewer=head, person=None, filters=filters)
        return sorted(t.title for g in work.team.items for k in g.kinds for t in k.rows)

    assert shown(manager=str(mara.pk)) == ["Late keep-alive", "Today first contact", "Upcoming next step"]
    assert shown(kind="keep_alive") == ["Late keep-alive", "Nelu overdue"]
    assert shown(when="overdue") == ["Late keep-alive", "Nelu overdue"]
    assert shown(when="today") == ["Today first contact"]
    assert shown(when="upcoming") == ["Upcoming next step"]
    assert shown(manager="none") == []
    assert shown(manager="x", kind="nonsense", when="later") == shown(), "unknown values do not filter"


@freeze_time(NOW)
def test_a_group_shows_its_first_rows_and_pages_on(client, north):
    head, mara = north.head_north, north.manager_north
    for i in range(worklist.GROUP_PAGE + worklist.MORE_PAGE + 3):
        make_task(mara, f"Keep {i:02d}", NOW - dt.timedelta(hours=100 - i), kind=TaskKind.KEEP_ALIVE)

    work = worklist.worklist_for(viewer=head, person=None)
    kind = work.team.items[0].kinds[0]
    assert len(kind.rows) == worklist.GROUP_PAGE and kind.more == worklist.MORE_PAGE + 3

    login(client, head)
    url = f"/worklist/team/more/?person={mara.pk}&kind=keep_alive&offset={worklist.GROUP_PAGE}"
    page = client.get(url).content.decode()
    assert "Keep 05" in page and "Keep 24" in page and "Keep 04" not in page and "Keep 25" not in page
    assert "Show 3 more" in page
    last = client.get(f"/worklist/team/more/?person={mara.pk}&kind=keep_alive&offset=25").content.decode()
    assert "Keep 27" in last and "more" not in last

    login(client, mara)
    assert client.get(url).status_code == 404, "only heads and admins page the team's tasks"


@freeze_time(NOW)
def test_team_page_shows_groups_collapsed_beyond_the_first_and_queries_do_not_grow(client, north):
    head, mara, nelu = north.head_north, north.manager_north, north.manager_north2

    def fill(start: int, end: int) -> None:
        for i in range(start, end):
            make_task(mara, f"Mara {i}", NOW - dt.timedelta(hours=i + 1), kind=TaskKind.KEEP_ALIVE)
            make_task(nelu, f"Nelu {i}", NOW + dt.timedelta(days=1, hours=i), kind=TaskKind.NEXT_STEP)
            make_task(nelu, f"Nelu first {i}", NOW + dt.timedelta(hours=1), kind=TaskKind.FIRST_CONTACT)

    login(client, head)
    fill(0, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/").status_code == 200
    fill(2, 30)
    with CaptureQueriesContext(connection) as large:
        page = client.get("/").content.decode()
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]

    groups = re.findall(r'<details class="worklist-group" data-group="(\w+)"( open)?>', page)
    assert groups == [(str(mara.pk), " open"), (str(nelu.pk), "")], "only the first group is open"
    assert page.count('class="list-group-item worklist-task"') == 3 * worklist.GROUP_PAGE
    assert 'data-testid="group-count">30<' in page and 'data-testid="group-count">60<' in page
    filtered = client.get(f"/?person=team&manager={nelu.pk}&kind=next_step").content.decode()
    assert "Nelu 0" in filtered and "Mara 0" not in filtered and "Nelu first" not in filtered
