from __future__ import annotations

from clientela.conftest import login
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit


def new_lead(world, owner, name):
    ctx = IntakeContext(door="manual", team=world.north, owner=owner)
    return intake_submit(
        raw=RawLead(name=name, phone="+4072100" + str(abs(hash(name)) % 10000).zfill(4)), ctx=ctx
    )


def test_manager_home_lists_own_tasks_and_counts_only(client, world):
    new_lead(world, world.manager_north, "Ion Popescu")
    new_lead(world, world.manager_north2, "Dan Ionescu")
    page = login(client, world.manager_north).get("/").content.decode()
    assert "First contact with Ion Popescu" in page
    assert "Dan Ionescu" not in page
    assert 'data-testid="count-new">1<' in page


def test_head_home_shows_team_tasks_and_load(client, world, django_assert_max_num_queries):
    for i in range(5):
        new_lead(world, world.manager_north, f"Lead {i}")
    login(client, world.head_north)
    # The work list's queries are fixed (sections, counts, load, switcher), whatever the data.
    with django_assert_max_num_queries(26):
        page = client.get("/").content.decode()
    assert "Team load" in page and "Mara" in page
    assert "First contact with Lead 4" in page, "a head starts on the whole team's list"
    assert 'data-section="team"' in page, "the team's tasks are grouped by person and kind"


def test_home_is_the_work_list_for_a_manager(client, world):
    page = login(client, world.manager_north).get("/").content.decode()
    assert "<title>Work list" in page
    assert 'id="worklist"' in page
