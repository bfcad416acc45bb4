"""The client list page as built for speed: rows rendered in Python (clients.rows) with the
markup the template had, and searches paginated from one query of matching ids."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.clients.services.client import client_mark_lost
from clientela.clients.tests.factories import make_client, make_contact
from clientela.conftest import login
from clientela.core.lists import PAGE_SIZE

pytestmark = pytest.mark.urls("clientela.clients.tests.urls")

LIST = "/clients/"


def page(client, url=LIST) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.content[:800]
    return response.content.decode()


def ids_on(body: str) -> list[int]:
    return [int(m) for m in re.findall(r'<tr data-href="/clients/(\d+)/"', body)]


def test_a_row_shows_every_column(client, world):
    hq = make_client(world.manager_north, name="Head <Office>")
    branch = make_client(
        world.manager_north,
        name="Branch & Co",
        legal_form="SRL",
        tax_id="18547290",
        industry="Logistics",
        country="RO",
        city="Cluj",
        headquarters=hq,
        tags=["VIP"],
    )
    make_contact(branch)
    queue = make_client(None, world.north, name="Queue person", kind="person")
    client_mark_lost(by=world.manager_north, client=queue, reason="competition")
    body = page(login(client, world.head_north))
    row = re.search(rf'<tr data-href="/clients/{branch.pk}/">(.*?)</tr>', body, re.S).group(1)
    assert f'value="{branch.pk}" form="bulk-form" data-row-check aria-label="Select Branch &amp; Co"' in row
    assert f'<a href="/clients/{branch.pk}/" class="text-reset fw-medium">Branch &amp; Co</a>' in row
    assert "SRL · 18547290 · branch of Head &lt;Office&gt;" in row
    assert '<span class="badge bg-azure-lt">VIP</span>' in row
    assert '<span class="badge bg-blue-lt">New</span>' in row
    assert ">Logistics</td>" in row and ">Cluj (RO)</td>" in row
    assert 'title="Mara' in row and 'class="avatar avatar-xs me-1"' in row
    assert '<td class="text-end">1</td>' in row
    assert re.search(r'<span class="badge bg-(orange|teal)-lt" title="Card completeness">\d+%</span>', row)
    queue_row = re.search(rf'<tr data-href="/clients/{queue.pk}/">(.*?)</tr>', body, re.S).group(1)
    assert "Private person" in queue_row and '<span class="text-secondary">Team queue</span>' in queue_row
    assert '<span class="badge bg-secondary-lt">Lost</span>' in queue_row
    assert '<td class="text-truncate">—</td>' in queue_row


def test_a_manager_has_no_selection_boxes(client, world):
    make_client(world.manager_north, name="Mine")
    body = page(login(client, world.manager_north))
    assert "data-row-check" not in body


def test_search_pages_in_list_order_with_the_count(client, world, django_assert_max_num_queries):
    made = [make_client(world.manager_north, name=f"Needle {i:03d}") for i in range(PAGE_SIZE + 5)]
    make_client(world.manager_north, name="Haystack")
    login(client, world.manager_north)
    page(client, f"{LIST}?q=needle")  # warm (sessions, policy)
    with django_assert_max_num_queries(14):
        first = page(client, f"{LIST}?q=needle")
    assert ids_on(first) == [c.pk for c in made[:PAGE_SIZE]]
    assert f"of {PAGE_SIZE + 5}" in first
    second = page(client, f"{LIST}?q=needle&page=2")
    assert ids_on(second) == [c.pk for c in made[PAGE_SIZE:]]
    backwards = page(client, f"{LIST}?q=needle&sort=-name")
    assert ids_on(backwards) == [c.pk for c in reversed(made)][:PAGE_SIZE]


def test_search_and_filters_combine(client, world):
    make_client(world.manager_north, name="Needle RO", country="RO")
    make_client(world.manager_north, name="Needle HU", country="HU")
    make_client(world.manager_south, name="Needle South", country="RO")
    body = page(login(client, world.manager_north), f"{LIST}?q=needle&country=RO")
    assert "Needle RO" in body and "Needle HU" not in body and "Needle South" not in body


def test_the_search_query_counts_once(client, world):
    """The search condition appears in one query of the page, not in the count and the page."""
    for i in range(3):
        make_client(world.manager_north, name=f"Needle {i}")
    login(client, world.manager_north)
    page(client, f"{LIST}?q=needle")
    with CaptureQueriesContext(connection) as ctx:
        page(client, f"{LIST}?q=needle")
    searching = [q["sql"] for q in ctx.captured_queries if "needle" in q["sql"].lower()]
    assert len(searching) == 1, searching
