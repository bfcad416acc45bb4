"""The browser harness itself: the live server serves, Chromium signs in, a screenshot is saved."""

from __future__ import annotations


def test_a_manager_signs_in_and_sees_the_work_list(browser_page, screens):
    page = browser_page("ana")
    assert page.locator("header, nav").first.is_visible()
    assert page.title()
    path = screens(page, "home")
    assert path.stat().st_size > 10_000
