"""The head of sales hands a lead waiting in the team queue to a manager, who finds it on their
work list."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from playwright.sync_api import expect

from clientela.e2e.journey import language_of, tr, unique_tag


def test_a_head_assigns_a_queued_lead_to_a_manager(browser_page, screens):
    tag = unique_tag(6)
    name = f"Queued Person {tag}"
    head = browser_page("elena")
    language = language_of(head)

    # A lead the head enters and puts in the team queue, as when nobody fits yet.
    head.goto("/leads/new/")
    head.locator("input[name=name]").fill(name)
    head.locator("input[name=email]").fill(f"queued.{tag}@journey.example")
    head.locator("input[name=company]").fill(f"Queue {tag} SRL")
    with head.expect_navigation():
        head.locator("form.lead-new-form button[type=submit]").click()
    expect(head).to_have_url(re.compile(r"/leads/\d+/$"))
    lead_url = urlparse(head.url).path
    head.locator(".lead-quick-actions a[data-bs-target='#modal-assign']").click()
    dialog = head.locator("#modal-assign")
    dialog.locator("select[name=owner]").select_option("")
    with head.expect_navigation():
        dialog.locator("button[type=submit]").click()
    expect(head.locator(".lead-header")).to_contain_text(tr(language, "Team queue"))

    head.goto("/")
    waiting = head.locator("#worklist [data-clock]", has=head.locator(f"a[href='{lead_url}']")).first
    expect(waiting).to_be_visible()
    expect(waiting.locator(".clock-badge")).to_be_visible()
    waiting.scroll_into_view_if_needed()
    screens(head, "head's work list with the queued lead", full_page=False)

    chooser = waiting.locator("select[name=owner]")
    chooser.select_option(label="Ana Dumitru")
    with head.expect_navigation():
        chooser.locator("xpath=ancestor::form").locator("button[type=submit]").click()
    expect(head.locator(".toast-stack .alert-success")).to_contain_text(
        tr(language, "%(name)s answers %(subject)s now.") % {"name": "Ana Dumitru", "subject": name}
    )
    expect(head.locator("#worklist [data-clock]", has=head.locator(f"a[href='{lead_url}']"))).to_have_count(0)
    screens(head, "after assigning", full_page=False)

    manager = browser_page("ana")
    mine = manager.locator("#worklist .list-group-item", has=manager.locator(f"a[href='{lead_url}']")).first
    expect(mine).to_be_visible()
    expect(mine.locator(".clock-badge")).to_be_visible()
    mine.scroll_into_view_if_needed()
    screens(manager, "manager's work list with the lead", full_page=False)
    mine.locator(f"a[href='{lead_url}']").first.click()
    expect(manager).to_have_url(re.compile(re.escape(lead_url) + "$"))
    expect(manager.locator(".lead-header")).to_contain_text("Ana Dumitru")
