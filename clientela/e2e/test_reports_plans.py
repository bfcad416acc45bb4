"""A head of sales plans the month: Ana's daily calls and meetings, the team's sales plan (a
mistyped percentage is refused next to its field), then sees the plan on the home page and the
workload report; Ana enters a client's forecast on her phone."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_a_head_plans_the_month_and_a_manager_forecasts(app_server, browser_page, screens):
    head = browser_page("elena")
    head.goto("/plans/")
    expect(head.locator("#activity-plans")).to_be_visible()
    ana = app_server.shell(
        "from clientela.users.models import User; print(User.objects.get(username='ana').pk)"
    ).splitlines()[-1]

    head.select_option("#ap-user", ana)
    head.fill("#ap-calls", "15")
    head.fill("#ap-meetings", "2")
    head.locator("#activity-plans button[type=submit]").click()
    expect(head.locator(".alert-success, .alert.alert-success").first).to_be_visible()
    expect(head.locator(f"#activity-plans tr[data-person='{ana}']")).to_contain_text("15")

    head.select_option("#sp-manager", "")
    head.fill("#sp-growth", "ten")
    head.fill("#sp-ambition", "5")
    head.locator("#sales-plans button[type=submit]").click()
    expect(head.locator("#sp-growth.is-invalid")).to_be_visible()
    screens(head, "a mistyped percentage is refused next to its field")
    head.fill("#sp-growth", "10")
    head.locator("#sales-plans button[type=submit]").click()
    expect(head.locator("#sales-plans tbody tr[data-plan]").first).to_be_visible()
    screens(head, "plans page after saving")

    head.goto("/")
    expect(head.locator("#home-plan .progress")).to_be_visible()
    screens(head, "home page with the plan progress", full_page=False)
    head.locator("#home-plan a.btn").click()
    expect(head).to_have_url(re.compile(r"/reports/sales-plan/"))
    expect(head.locator("#figure-sales-plan-detail table")).to_be_visible()

    head.goto("/reports/workload/")
    expect(head.locator("#figure-workload table")).to_be_visible()
    screens(head, "workload report")

    phone = browser_page("ana", viewport={"width": 390, "height": 844})
    phone.goto("/plans/")
    expect(phone.locator(f"#activity-plans tr[data-person='{ana}']")).to_contain_text("15")
    expect(phone.locator("#sales-plans form")).to_have_count(0)
    phone.fill("#fc-amount", "1250.50")
    phone.locator("#forecasts button[type=submit]").click()
    expect(phone.locator("#forecasts tbody tr[data-forecast]")).to_have_count(1)
    screens(phone, "a manager's forecast on a phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
