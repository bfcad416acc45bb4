"""A marketer enters what the web form cost this month and the month's plan, then reads the
marketing report: cost per lead, the plan against actual highlighted, the leads behind a number
— and the spend page on a phone."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect


def test_a_marketer_enters_spend_and_plan_and_reads_the_cost_per_lead(browser_page, screens):
    today = dt.date.today()
    first = today.replace(day=1)

    maria = browser_page("maria")
    maria.goto("/reports/")
    maria.locator("[data-report=marketing]").click()
    expect(maria).to_have_url(re.compile(r"/reports/marketing/"))
    expect(maria.locator("#figure-marketing-channels")).to_be_visible()
    screens(maria, "marketing report before any spend")

    maria.get_by_role("link", name="Spend and plan").click()
    expect(maria).to_have_url(re.compile(r"/reports/marketing/spend/$"))
    maria.get_by_role("link", name="Add spend").click()
    maria.select_option("select[name=channel]", "web_form")
    maria.fill("input[name=first_day]", first.isoformat())
    maria.fill("input[name=last_day]", today.isoformat())
    maria.fill("input[name=amount]", "-10")
    maria.get_by_role("button", name="Save").click()
    expect(maria.locator(".invalid-feedback")).to_contain_text("cannot be negative")
    screens(maria, "a negative amount is refused", full_page=False)
    maria.fill("input[name=amount]", "900")
    maria.get_by_role("button", name="Save").click()
    expect(maria.locator(".alert-success")).to_contain_text("added")
    expect(maria.locator("[data-testid=spend-card]")).to_contain_text("900")

    maria.get_by_role("link", name="Add plan").click()
    maria.fill("input[name=month]", first.strftime("%Y-%m"))
    maria.select_option("select[name=channel]", "web_form")
    maria.fill("input[name=target_leads]", "5000")
    maria.fill("input[name=acceptable_cpl]", "0.01")
    maria.get_by_role("button", name="Save").click()
    expect(maria.locator(".alert-success")).to_contain_text("added")
    screens(maria, "spend and plan entered")

    maria.goto("/reports/marketing/?source=web_form")
    channels = maria.locator("#figure-marketing-channels")
    expect(channels.locator("tbody")).to_contain_text("900")
    plan = maria.locator("#figure-marketing-plan tbody tr").first
    expect(plan).to_have_class(re.compile("table-warning"))
    expect(plan).to_contain_text("Below target")
    screens(maria, "report with cost per lead and the plan against actual")

    # The leads number of the web form opens the leads list with the same filters.
    channels.locator("tbody tr").first.locator("td").nth(1).locator("a").click()
    expect(maria).to_have_url(re.compile(r"/leads/\?.*source=web_form"))
    expect(maria.locator("select[name=source]")).to_have_value("web_form")
    screens(maria, "the leads behind the number", full_page=False)

    phone = browser_page("maria", viewport={"width": 390, "height": 844})
    phone.goto("/reports/marketing/spend/")
    expect(phone.locator("[data-testid=plan-card]")).to_be_visible()
    screens(phone, "spend and plan on a phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
