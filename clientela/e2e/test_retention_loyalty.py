"""Loyalty, as a manager lives it: on her client's card she sees its loyalty, records why the
client stays and gives it free delivery; a person the client recommended becomes a lead linked to
it (origin seed) and the client's referral bonus is one click; the account plan gets an action,
which lands on her task list. (Ana works in Romanian: the checks read values and marks, not text.)"""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from clientela.e2e.journey import unique_digits, unique_tag


def test_a_manager_keeps_her_client_loyal(browser_page, screens, app_server):
    tag = unique_tag(6)
    client_id = app_server.shell(
        "from clientela.clients.models import Client;"
        "from clientela.users.models import User;"
        "ana = User.objects.get(username='ana');"
        f"c = Client.objects.create(name='Loyal {tag} SRL', country='RO', owner=ana, team=ana.team);"
        "print(c.pk)"
    ).splitlines()[-1]
    page = browser_page("ana")
    page.goto(f"/clients/{client_id}/")
    section = page.locator("[data-testid=client-loyalty]")
    expect(section).to_be_visible()
    section.locator(f"a[href='/clients/{client_id}/loyalty/']").click()

    # Why they stay: two reasons ticked and saved.
    reasons = page.locator("#loyalty-reasons")
    reasons.locator("input[value=quality]").check()
    reasons.locator("input[value=personal_manager]").check()
    reasons.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#loyalty-reasons input[value=quality]")).to_be_checked()

    # A benefit with its value.
    benefits = page.locator("[data-testid=benefit-form]")
    benefits.locator("select[name=kind]").select_option("free_delivery")
    benefits.locator("input[name=value]").fill("> 500 RON")
    benefits.locator("button[type=submit]").click()
    expect(page.locator("#loyalty-benefits")).to_contain_text("> 500 RON")
    expect(page.locator("#loyalty-history tbody tr")).to_have_count(2)
    screens(page, "loyalty-with-reasons-benefit-and-history")

    # A lead the client recommended: linked to it from the first screen.
    page.locator(f"#loyalty-referrals a[href*='referred_by_client={client_id}']").click()
    expect(page.locator("[data-testid=lead-referrer]")).to_be_visible()
    page.locator("input[name=name]").fill(f"Radu Referral {tag}")
    page.locator("input[name=phone]").fill(f"+40 722 {unique_digits(3)} {unique_digits(3)}")
    page.locator("form.lead-new-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/leads/\d+/"))
    page.goto(f"/clients/{client_id}/loyalty/")
    counts = page.locator("[data-testid=referral-counts]")
    expect(counts).to_contain_text("1")
    page.locator("#loyalty-referrals form button[type=submit]").click()
    expect(page.locator("#loyalty-referrals .badge")).to_be_visible()
    expect(page.locator("#loyalty-benefits .list-group-item")).to_have_count(2)
    screens(page, "referral-linked-and-bonus-recorded")

    # The account plan: an action on a date becomes her task.
    page.goto(f"/clients/{client_id}/account-plan/")
    day = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    action = page.locator("[data-testid=plan-action-form]")
    action.locator("input[name=title]").fill(f"Present the new range {tag}")
    action.locator("input[name=due_on]").fill(day)
    action.locator("button[type=submit]").click()
    expect(page.locator("#plan-actions .list-group-item").first).to_contain_text(
        f"Present the new range {tag}"
    )
    screens(page, "account-plan-with-an-action")
    origin = app_server.shell(
        "from clientela.leads.models import Lead;"
        f"l = Lead.objects.get(last_name__endswith='{tag}');"
        "print(l.origin, l.referred_by_client_id)"
    ).splitlines()[-1]
    assert origin == f"seed {client_id}"
    tasks = app_server.shell(
        "from clientela.activities.models import Task;"
        f"open_tasks = Task.objects.filter(client_id={client_id}, done_at__isnull=True);"
        "print(open_tasks.filter(assignee__username='ana').count())"
    ).splitlines()[-1]
    assert tasks == "1"
