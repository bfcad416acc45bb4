"""A head of sales opens the reports from the menu, reads the activity report of the last 30
days against the 30 before, narrows it to one person from the table, downloads it as CSV, and
reads it on a phone."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_a_head_reads_the_activity_report(browser_page, screens):
    head = browser_page("elena")
    head.goto("/")
    head.locator("aside a[href='/reports/']").click()
    expect(head).to_have_url(re.compile(r"/reports/$"))
    screens(head, "reports index")

    head.locator("a[data-report=activities]").click()
    expect(head.locator("#figure-activities-per-person")).to_be_visible()
    head.select_option("#f-period", "last_30")
    head.select_option("#f-compare", "previous")
    head.locator("form[role=search] button[type=submit]").click()
    expect(head).to_have_url(re.compile(r"period=last_30"))
    table = head.locator("#figure-activities-per-person table")
    # person, the four kinds, the total, the previous period and the change
    expect(table.locator("thead th")).to_have_count(8)
    expect(head.locator("#figure-activities-per-person canvas")).to_be_visible()
    screens(head, "activity report, last 30 days against the 30 before")

    # A person's total opens the same report narrowed to them: their activities only.
    first = table.locator("tbody tr").first
    person = first.locator("td").first.inner_text()
    first.locator("td a").first.click()
    expect(head).to_have_url(re.compile(r"manager=\d+"))
    latest = head.locator("#figure-activities-latest table tbody tr")
    expect(latest.first).to_be_visible()
    people = set(latest.locator("td:nth-child(2)").all_inner_texts())
    assert people == {person}

    with head.expect_download() as download:
        head.locator("#figure-activities-per-person a[href*='export=csv']").click()
    assert download.value.suggested_filename.endswith(".csv")

    phone = browser_page("elena", viewport={"width": 390, "height": 844})
    phone.goto("/reports/activities/?period=last_30")
    expect(phone.locator("[data-testid=report-figures]")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screens(phone, "activity report on a phone")
