"""The pipeline analytics are in the menu for the people who see sales figures, not only behind a
button on the board."""

from __future__ import annotations

import pytest

from clientela.conftest import login

pytestmark = pytest.mark.django_db

LINK = 'href="/deals/analytics/"'


def menu(client) -> str:
    page = client.get("/leads/").content.decode()
    return page.split('id="sidebar-menu"', 1)[1].split("</aside>", 1)[0]


@pytest.mark.parametrize("who", ["admin", "head_north", "manager_north"])
def test_analytics_is_in_the_menu_of_those_who_see_sales_figures(client, world, who):
    assert LINK in menu(login(client, getattr(world, who)))
    assert client.get("/deals/analytics/").status_code == 200


def test_marketers_have_no_analytics_in_the_menu(client, world):
    assert LINK not in menu(login(client, world.marketer_north))


def test_the_page_has_a_favicon(client, world):
    page = login(client, world.manager_north).get("/leads/").content.decode()
    assert '<link rel="icon" href="/static/clientela/favicon' in page
