"""A head opens the home page: the dashboard's tiles load above the work list (money tiles too),
a tile opens the page behind it, and the head turns the weekly digest on from the profile page.
A marketer's home shows the dashboard without money; a manager's, on a phone, the one-row strip
of their own figures without widening the page."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_dashboards_on_the_home_pages_and_the_digest_opt_in(app_server, browser_page, screens):
    head = browser_page("elena")
    head.goto("/")
    dashboard = head.locator("[data-testid=home-dashboard]")
    expect(dashboard.locator("[data-testid=tile-new_leads]")).to_be_visible()
    expect(dashboard.locator("[data-testid=tile-pipeline]")).to_be_visible()
    expect(dashboard.locator("[data-testid=tile-won]")).to_be_visible()
    # Above the work list.
    top = head.evaluate(
        "[document.querySelector('#home-dashboard').getBoundingClientRect().top,"
        " document.querySelector('#worklist').getBoundingClientRect().top]"
    )
    assert top[0] < top[1]
    screens(head, "head's home with the dashboard", full_page=False)

    dashboard.locator("[data-testid=tile-leak_rate] a").click()
    expect(head).to_have_url(re.compile(r"/retention/"))

    head.goto("/profile/")
    head.locator("[data-testid=digest-on]").click()
    expect(head.locator("[data-testid=digest-off]")).to_be_visible()
    expect(head.locator(".alert-success, .toast").first).to_be_visible()
    screens(head, "digest turned on", full_page=False)

    marketer = browser_page("maria")
    marketer.goto("/")
    tiles = marketer.locator("[data-testid=home-dashboard]")
    expect(tiles.locator("[data-testid=tile-new_leads]")).to_be_visible()
    expect(tiles.locator("[data-testid=tile-pipeline]")).to_have_count(0)
    expect(tiles.locator("[data-testid=tile-won]")).to_have_count(0)
    screens(marketer, "marketer's home", full_page=False)

    phone = browser_page("ana", viewport={"width": 390, "height": 844})
    phone.goto("/")
    strip = phone.locator("[data-testid=home-strip]")
    expect(strip.locator("[data-testid=strip-overdue]")).to_be_visible()
    expect(phone.locator("[data-testid=home-dashboard]")).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screens(phone, "manager's strip on a phone", full_page=False)
