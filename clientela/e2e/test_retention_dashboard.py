"""A head of sales sees the leak: a red banner on the home page after last month's losses passed
the team's threshold, the retention dashboard's leak trend and churn reasons (also on a phone),
the clients behind a number, and acknowledges the alert."""

from __future__ import annotations

import re

from playwright.sync_api import expect

SETUP = """
import datetime as dt
from django.utils import timezone
from clientela.clients.models import Client
from clientela.retention.models import ClientStatusChange, RetentionPolicy
from clientela.retention.leak_alerts import leak_alerts_sweep
from clientela.users.models import User
head = User.objects.get(username="elena")
team = head.team
RetentionPolicy.objects.update_or_create(team=team, defaults={"leak_alert_percent": 10})
clients = list(Client.objects.filter(team=team, owner__isnull=False).order_by("id")[:4])
now = timezone.now()
last_month = (now.replace(day=1) - dt.timedelta(days=1)).replace(day=10, hour=12)
for client in clients:
    ClientStatusChange.objects.create(client=client, to_status="active", kind="became_client",
        at=last_month - dt.timedelta(days=90), owner=client.owner, team=team)
lost = clients[0]
ClientStatusChange.objects.create(client=lost, from_status="active", to_status="lost", kind="decision",
    at=last_month, reason="attitude", owner=lost.owner, team=team)
leak_alerts_sweep()
print(lost.name)
"""


def test_a_head_sees_the_leak_and_acknowledges_the_alert(app_server, browser_page, screens):
    lost_name = app_server.shell(SETUP).splitlines()[-1]

    head = browser_page("elena")
    head.goto("/")
    banner = head.locator("[data-testid=home-banner]").first
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("25")
    screens(head, "home page with the leak alert", full_page=False)

    banner.locator("a.alert-link").click()
    expect(head).to_have_url(re.compile(r"/retention/"))
    expect(head.locator("[data-testid=leak-alert]")).to_be_visible()
    expect(head.locator("#figure-leak-rate canvas")).to_be_visible()
    screens(head, "retention dashboard")

    # The number of clients lost last month opens the clients behind it.
    row = head.locator("#figure-leak-rate table tbody tr").nth(-2)
    row.locator("td").nth(4).locator("a").click()
    expect(head.locator("#client-table")).to_contain_text(lost_name)
    screens(head, "the lost client behind the number", full_page=False)

    phone = browser_page("elena", viewport={"width": 390, "height": 844})
    phone.goto("/retention/?period=quarter")
    expect(phone.locator("[data-testid=retention-figures]")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screens(phone, "retention dashboard on a phone")

    head.goto("/")
    # The demo's own losses may have raised other alerts too: the acknowledged one goes away.
    banners = head.locator("[data-testid=home-banner]")
    before = banners.count()
    with head.expect_navigation():
        banners.first.locator("button[type=submit]").click()
    expect(banners).to_have_count(before - 1)
    screens(head, "after acknowledging", full_page=False)
