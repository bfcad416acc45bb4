"""A head of sales sees how fast the team answers new leads: the speed report's chart and table
against the 1-hour target and 2-hour limit, the leads behind a manager's missed deadlines, and the
same report on a phone."""

from __future__ import annotations

import re

from playwright.sync_api import expect

SETUP = """
import datetime as dt
from django.utils import timezone
from clientela.comms.models import ResponseClock
from clientela.leads.models import Lead
from clientela.users.models import User
head = User.objects.get(username="elena")
now = timezone.now()
start = max(now - dt.timedelta(hours=5), timezone.localtime(now).replace(day=1, hour=0, minute=1))
leads = list(Lead.objects.filter(team=head.team, owner__role="manager", merged_into__isnull=True)
             .order_by("id")[:200])
owner = leads[0].owner
mine = [lead for lead in leads if lead.owner_id == owner.pk][:3]
for n, lead in enumerate(mine):
    Lead.objects.filter(pk=lead.pk).update(created_at=start)
    ResponseClock.objects.filter(lead=lead).delete()
    ResponseClock.objects.create(kind="first_response", lead=lead, owner=owner, team=lead.team,
        budget_minutes=120, started_at=start, target_at=start + dt.timedelta(hours=1),
        due_at=start + dt.timedelta(hours=2), stopped_at=start + dt.timedelta(hours=3),
        stop_reason="responded", minutes_taken=180 + n * 10, breached_at=start + dt.timedelta(hours=2))
print(owner.pk)
print(mine[0].pk)
"""


def test_a_head_follows_missed_deadlines_to_the_leads(app_server, browser_page, screens):
    owner_id, lead_id = app_server.shell(SETUP).splitlines()[-2:]

    head = browser_page("elena")
    head.goto("/reports/")
    head.locator("[data-report=speed]").click()
    expect(head).to_have_url(re.compile(r"/reports/speed/"))
    expect(head.locator("#figure-speed-managers canvas")).to_be_visible()
    # the share within the 1-hour target links to the leads answered within it
    expect(
        head.locator("#figure-speed-managers a[href*='first_response=within_target']").first
    ).to_be_visible()
    screens(head, "speed report")

    missed = head.locator(
        f"#figure-speed-managers a[href*='first_response=breached'][href*='owner={owner_id}']"
    )
    expect(missed.first).to_be_visible()
    missed.first.click()
    expect(head).to_have_url(re.compile(r"first_response=breached"))
    expect(head.locator(f"a[href='/leads/{lead_id}/']").first).to_be_visible()
    screens(head, "the leads behind the missed deadlines", full_page=False)

    phone = browser_page("elena", viewport={"width": 390, "height": 844})
    phone.goto("/reports/speed/")
    expect(phone.locator("[data-testid=report-figures]")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screens(phone, "speed report on a phone")
