from __future__ import annotations

from clientela.conftest import login
from clientela.core.notifications import notify


def test_bell_counts_unread_and_page_marks_read(client, world):
    notify(user=world.manager_north, verb="lead_assigned", text="New lead for you: Ion", url="/leads/1/")
    notify(user=world.manager_north2, verb="lead_assigned", text="Someone else's")
    login(client, world.manager_north)
    home = client.get("/").content.decode()
    assert 'data-testid="unread-count">1<' in home
    page = client.get("/notifications/").content.decode()
    assert "New lead for you: Ion" in page and "Someone else" not in page
    assert 'data-testid="unread-count"' not in client.get("/").content.decode()


def test_inactive_user_is_not_notified(world):
    world.manager_north.is_active = False
    assert notify(user=world.manager_north, verb="x", text="y") is None
