"""A manager on a phone (390×844): the work list, the lead list, a lead card, a client card and
the board fit the screen's width (no page-wide sideways scroll) and their main action is on it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from clientela.e2e.conftest import PHONE
from clientela.e2e.journey import Journey

USER = "peter"  # a manager of Budapest

# Links to one record (a lead, a client …), not to a list.
RECORD = re.compile(r"^/(leads|clients)/\d+/$")


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide"


def _on_screen(page, locator) -> None:
    expect(locator).to_be_visible()
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, (
        f"the main action is off the screen's width: {box}"
    )


def _first_record(page, prefix: str) -> str:
    hrefs = page.locator(f"main a[href^='/{prefix}/'], .page-body a[href^='/{prefix}/']").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    )
    return next(href for href in hrefs if RECORD.match(href))


def test_the_main_screens_fit_a_phone(browser_page, screens):
    page = browser_page(USER, viewport=PHONE)
    journey = Journey(page, screens)

    def screen(name: str, main_action) -> None:
        journey.check(f"{name} fits the phone's width", lambda: _fits(page))
        journey.check(f"{name} shows its main action", lambda: _on_screen(page, main_action))
        page.evaluate("window.scrollTo(0, 0)")
        screens(page, name, full_page=False)

    # The work list: its first item, a link to the record to work on.
    screen("work list", page.locator("#worklist .list-group-item a[href]").first)

    page.goto("/leads/")
    screen("lead list", page.locator("a[href='/leads/new/']").first)
    lead = _first_record(page, "leads")

    page.goto(lead)
    screen("lead card", page.locator(".page-header .btn").first)

    page.goto("/clients/")
    client = _first_record(page, "clients")
    page.goto(client)
    screen("client card", page.locator(".page-header .btn").first)

    page.goto("/deals/board/")
    screen("board", page.locator(".kanban-card").first)
    journey.done()
