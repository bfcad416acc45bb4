"""A head of sales follows the funnels: the board's Analytics button opens the deal funnel of the
pipeline on screen (chart, stages, the practice benchmark), a stage's number opens the deals
behind it, the old analytics address still lands on the report, and the lifecycle funnel and the
conversion report read on a phone."""

from __future__ import annotations

import re

from playwright.sync_api import expect

SETUP = """
from clientela.clients.models import Client
from clientela.deals.board.services import deal_move
from clientela.deals.board.stages import default_pipeline
from clientela.deals.services import deal_create
from clientela.users.models import User
head = User.objects.get(username="elena")
client = Client.objects.filter(team=head.team, owner__isnull=False).order_by("id").first()
pipeline = default_pipeline()
stages = list(pipeline.stages.filter(is_won=False, is_lost=False).order_by("position"))
deal = deal_create(by=client.owner, client=client, pipeline=pipeline, title="Funnel journey deal")
deal_move(by=client.owner, deal=deal, stage=stages[1])
print(pipeline.pk)
"""


def test_a_head_follows_the_deal_funnel_and_the_lifecycle(app_server, browser_page, screens):
    pipeline = app_server.shell(SETUP).splitlines()[-1].strip()

    head = browser_page("elena")
    head.goto(f"/deals/board/?pipeline={pipeline}")
    head.locator("a[href^='/reports/deal-funnel/']").first.click()  # the board's Analytics button
    expect(head).to_have_url(re.compile(rf"/reports/deal-funnel/\?pipeline={pipeline}"))
    expect(head.locator("#figure-deal-funnel-stages canvas")).to_be_visible()
    expect(head.locator("#figure-deal-funnel-benchmark")).to_contain_text(re.compile(r"40[.,]0"))
    screens(head, "deal funnel")

    # The second stage's "entered" number opens the deals that entered it this month.
    row = head.locator("#figure-deal-funnel-stages table tbody tr").nth(1)
    row.locator("td").nth(1).locator("a").click()
    expect(head).to_have_url(re.compile(r"/deals/\?.*entered_stage="))
    expect(head.locator("#deal-table")).to_contain_text("Funnel journey deal")
    expect(head.locator("[data-testid=from-report]")).to_be_visible()
    screens(head, "the deals behind a stage", full_page=False)

    head.goto("/deals/analytics/")
    expect(head).to_have_url(re.compile(r"/reports/deal-funnel/"))

    phone = browser_page("elena", viewport={"width": 390, "height": 844})
    phone.goto("/reports/lifecycle-funnel/?period=this_year")
    expect(phone.locator("#figure-lifecycle-funnel")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screens(phone, "lifecycle funnel on a phone")
    phone.goto("/reports/conversion/?period=this_year")
    expect(phone.locator("#figure-conversion-by-source")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screens(phone, "conversion on a phone")
