"""A lead created with the keyboard alone: after signing in, no mouse — Tab to move, typing,
Enter to follow a link or send the form."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from clientela.e2e.journey import language_of, tr, unique_digits, unique_tag

USER = "farid"  # a manager of Kuala Lumpur


def _tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until the focus is on an element matching `selector` (as a person would, with
    their eyes on the focus ring)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab within {limit} presses")


def test_a_lead_is_created_with_the_keyboard_only(browser_page, screens):
    tag = unique_tag(6)
    name = f"Keyboard Kamal {tag}"
    page = browser_page(USER)
    language = language_of(page)

    # From the work list to the lead list, then to "new lead".
    _tab_to(page, "a[href='/leads/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to(page, "a[href='/leads/new/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/leads/new/$"))

    # The name has the focus; the other fields follow with Tab.
    expect(page.locator("input[name=name]")).to_be_focused()
    page.keyboard.type(name)
    _tab_to(page, "input[name=phone]", limit=3)
    page.keyboard.type("+60 12-345 " + unique_digits(4))
    _tab_to(page, "input[name=email]", limit=3)
    page.keyboard.type(f"kamal.{tag}@keyboard.example")
    _tab_to(page, "input[name=company]", limit=3)
    page.keyboard.type(f"Keyboard {tag} Sdn Bhd")
    screens(page, "new lead filled with the keyboard", full_page=False)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The lead card, with the message that it was created.
    expect(page).to_have_url(re.compile(r"/leads/\d+/$"))
    expect(page.locator("h1.page-title")).to_contain_text(name)
    expect(page.locator(".toast-stack .alert-success")).to_contain_text(
        tr(language, "Lead %(lead)s created.") % {"lead": name}
    )
    screens(page, "lead card after keyboard entry", full_page=False)
