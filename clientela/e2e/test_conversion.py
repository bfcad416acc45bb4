"""A manager's lead becomes a client and a deal without losing what was agreed: the call and its
next step follow the lead to the deal, the client card and the calendar, and the deal is won in
one step (the payment schedule has a default)."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from clientela.e2e.journey import unique_digits, unique_tag

SET_UP = """
from clientela.leads.services.lifecycle import lead_create
from clientela.users.models import User
ana = User.objects.get(username="ana")
lead = lead_create(by=None, owner=ana, fields={{
    "first_name": "Radu", "last_name": "Vlase {tag}", "email": "radu.{tag}@flota.example",
    "phone": "+40722{number}", "company_name": "Flota Nord {tag}", "product": "Fleet tracking {tag}",
    "country": "RO", "team": ana.team,
}})
print(lead.pk)
"""


def test_a_converted_lead_keeps_its_next_step_and_history_and_its_deal_is_won_in_one_step(
    app_server, browser_page, screens
):
    tag = unique_tag(6)
    number = unique_digits(6)
    lead_id = app_server.shell(SET_UP.format(tag=tag, number=number)).splitlines()[-1]
    step = f"Send proposal and call back {tag}"
    due = dt.date.today() + dt.timedelta(days=2)

    page = browser_page("ana")
    page.goto(f"/leads/{lead_id}/")
    # A call that reached Radu, with the agreed next step.
    call = page.locator(f"#lead-{lead_id}-call form")
    call.locator("textarea[name=body]").fill(f"Wants 40 trackers {tag}")
    call.locator("input[name=next_step_at]").fill(f"{due.isoformat()}T10:00")
    call.locator("input[name=next_step_subject]").fill(step)
    call.locator("button[name=outcome][value=reached]").click()
    expect(page.locator("[data-activity-panel]").first).to_contain_text(step)
    screens(page, "lead with the call and its next step")

    # Convert through the card's dialog: the deal part is open and filled in.
    page.locator("a[data-bs-target='#modal-convert']").click()
    dialog = page.locator("#modal-convert")
    expect(dialog.locator("input[name=deal_title]")).to_be_visible()
    expect(dialog.locator("input[name=deal_title]")).to_have_value(f"Fleet tracking {tag}")
    expect(dialog.locator("input[name=deal_currency]")).to_have_value("RON")
    expect(dialog.locator("input[name=create_deal]")).to_be_checked()
    dialog.locator("input[name=deal_amount]").fill("12000")
    screens(page, "convert dialog", full_page=False)
    dialog.locator("button.btn-success[type=submit]").click()

    # The user lands on the new deal, which plans the agreed next step.
    page.wait_for_url(re.compile(r"/deals/\d+/$"))
    deal_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.locator(".toast-stack .alert-success")).to_contain_text(f"Fleet tracking {tag}")
    # (ana reads Romanian: the checks look at what the screen shows, not at English words)
    expect(page.locator(".alert-warning .ti-calendar-off")).to_have_count(0)  # "no next step planned"
    expect(page.locator("dd", has_text=step)).to_be_visible()
    panel = page.locator("[data-activity-panel]").first
    expect(panel).to_contain_text(step)
    expect(panel).to_contain_text(f"Wants 40 trackers {tag}")
    screens(page, "deal after conversion")

    # The client card: the open task, the call on its timeline, the contact's phone.
    page.locator("dd a[href^='/clients/']").first.click()
    page.wait_for_url(re.compile(r"/clients/\d+/$"))
    panel = page.locator("[data-activity-panel]").first
    expect(panel).to_contain_text(step)
    expect(panel.locator(".timeline-event")).to_have_count(1)
    expect(panel).to_contain_text(f"Wants 40 trackers {tag}")
    expect(page.locator("a[href^='tel:']").first).to_contain_text(f"+40722{number}")
    screens(page, "client card")

    # The calendar shows the next step still to do.
    page.goto(f"/calendar/?view=week&date={due.isoformat()}")
    item = page.locator("a.calendar-item", has_text=step)
    expect(item).to_be_visible()
    expect(item).not_to_have_class(re.compile("line-through"))
    screens(page, "calendar")

    # Won in one step: no schedule to fill, one payment of the amount at the default term.
    page.goto(f"/deals/{deal_id}/")
    page.locator(f"a[href='/deals/{deal_id}/win/']").click()
    form = page.locator("#deal-move-form")
    expect(form.locator("input[name=due_0]")).to_have_value("")
    screens(page, "won dialog", full_page=False)
    form.locator("button[type=submit]").click()
    expect(page.locator(".alert-success .ti-trophy")).to_be_visible()
    # One expected payment is listed (each with its remove button).
    expect(page.locator("#deal-payments form[action$='/remove/']")).to_have_count(1)

    screens(page, "won deal")
