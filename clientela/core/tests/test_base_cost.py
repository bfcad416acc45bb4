"""What every page pays for the frame around it: the bell's count and the menu are built at
most once per request, and only when a template shows them."""

from __future__ import annotations

from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clientela.conftest import login
from clientela.core import context_processors
from clientela.core.notifications import notify


def notification_counts(queries) -> int:
    return sum(1 for query in queries if "core_notification" in query["sql"] and "COUNT(" in query["sql"])


def test_the_unread_count_is_read_once_per_request_and_only_when_shown(rf, world):
    notify(user=world.manager_north, verb="lead_assigned", text="A lead", url="/leads/1/")
    notify(user=world.manager_north, verb="lead_assigned", text="Another lead", url="/leads/2/")
    request = rf.get("/")
    request.user = world.manager_north
    with CaptureQueriesContext(connection) as queries:
        first = render_to_string("comms/_unread_badge.html", request=request)
        second = render_to_string("comms/_unread_badge.html", request=request)
    assert 'data-testid="unread-count">2<' in first and first == second
    assert notification_counts(queries.captured_queries) == 1
    with CaptureQueriesContext(connection) as queries:
        render_to_string("core/_messages.html", request=rf_request(rf, world))
    assert notification_counts(queries.captured_queries) == 0, "a partial without the bell reads nothing"


def rf_request(rf, world):
    request = rf.get("/")
    request.user = world.manager_north
    request._messages = []
    return request


def test_a_full_page_counts_once_and_the_menu_keeps_its_entries(client, world):
    notify(user=world.manager_north, verb="lead_assigned", text="A lead", url="/leads/1/")
    login(client, world.manager_north)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/").content.decode()
    assert notification_counts(queries.captured_queries) == 1
    assert 'data-testid="unread-count">1<' in page
    assert 'href="/leads/"' in page and 'aria-current="page"' in page


def test_the_menu_follows_the_role_and_is_built_once_per_request(rf, world):
    request = rf.get("/leads/")
    request.user = world.manager_north
    context = context_processors.navigation(request)
    urls = [item["url"] for item in context["nav_items"]]
    assert "/leads/" in urls and [
        item["active"] for item in context["nav_items"] if item["url"] == "/leads/"
    ] == [True]
    assert not any(item["url"] == reverse("core:failed_jobs") for item in context["nav_settings"])
    again = context_processors.navigation(request)
    assert list(again["nav_items"]) == list(context["nav_items"])
    assert request._clientela_navigation["nav_items"] is context_processors._menu(request)["nav_items"]
    admin_request = rf.get("/")
    admin_request.user = world.admin
    admin_settings = list(context_processors.navigation(admin_request)["nav_settings"])
    assert len(admin_settings) > len(list(context["nav_settings"]))
