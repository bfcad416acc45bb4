"""The pipeline analytics are the deal funnel report now: the menu has the Reports entry (no
separate "Analytics" one), the old address and the board's button lead to the report."""

from __future__ import annotations

import pytest

from clientela.conftest import login

pytestmark = pytest.mark.django_db

OLD = 'href="/deals/analytics/"'
REPORTS = 'href="/reports/"'


def menu(client) -> str:
    page = client.get("/leads/").content.decode()
    return page.split('id="sidebar-menu"', 1)[1].split("</aside>", 1)[0]


@pytest.mark.parametrize("who", ["admin", "head_north", "manager_north", "marketer_north"])
def test_reports_replace_the_analytics_entry_in_the_menu(client, world, who):
    shown = menu(login(client, getattr(world, who)))
    assert REPORTS in shown and OLD not in shown


def test_the_old_address_leads_to_the_deal_funnel_on_the_same_pipeline(client, world):
    from clientela.deals.models import Pipeline

    login(client, world.head_north)
    pipeline = Pipeline.objects.order_by("id").last()
    response = client.get("/deals/analytics/", {"pipeline": pipeline.pk})
    assert response.status_code == 302
    assert response["Location"] == f"/reports/deal-funnel/?pipeline={pipeline.pk}"
    assert client.get("/deals/analytics/", {"pipeline": "x<"})["Location"] == "/reports/deal-funnel/"
    page = client.get(response["Location"])
    assert page.status_code == 200 and pipeline.label in page.content.decode()


def test_the_boards_button_opens_the_report(client, world):
    login(client, world.manager_north)
    board = client.get("/deals/board/").content.decode()
    assert 'href="/reports/deal-funnel/?pipeline=' in board


def test_the_page_has_a_favicon(client, world):
    page = login(client, world.manager_north).get("/leads/").content.decode()
    assert '<link rel="icon" href="/static/clientela/favicon' in page
