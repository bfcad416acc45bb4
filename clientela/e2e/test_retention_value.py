"""Key clients, as a head of sales reads them: the nightly classification has run → the value
page shows the revenue concentration with its chart, the ABC split and the RFM grid → a class's
count opens the client list filtered by that class, each row carrying its class → on a phone
the page still reads."""

from __future__ import annotations

from playwright.sync_api import expect

from clientela.e2e.conftest import PHONE


def test_a_head_reads_key_clients_and_opens_a_class(app_server, browser_page, screens):
    summary = app_server.manage("retention", "classify").strip().splitlines()[-1]
    assert "clients with revenue" in summary
    page = browser_page("admin")
    page.goto("/retention/value/")
    expect(page.locator("#figure-concentration")).to_be_visible()
    expect(page.locator("#figure-abc")).to_be_visible()
    expect(page.locator("#rfm-grid")).to_be_visible()
    expect(page.locator("#value-as-of")).to_contain_text("as of")
    screens(page, "value page")
    a_link = page.locator("#figure-abc table a[href*='abc=A']").first
    expect(a_link).to_be_visible()
    a_link.click()
    page.wait_for_url("**/clients/?*abc=A*")
    expect(page.locator("select[name=abc]")).to_have_value("A")
    rows = page.locator("tr[data-href]")
    if rows.count():
        expect(rows.first.locator("span.badge.bg-purple-lt")).to_have_text("A")
    screens(page, "clients of class A")
    phone = browser_page("elena", viewport=PHONE, locale="ro-RO")
    phone.goto("/retention/value/")
    expect(phone.locator("#figure-concentration")).to_be_visible()
    screens(phone, "value page on a phone (head, Romanian)")
