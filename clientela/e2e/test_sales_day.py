"""A sales day, from a visitor's web form to a won deal, as the people involved see it.

An anonymous visitor fills in the Bucharest team's web form → the lead waits on its manager's
work list with its response clock → the manager calls, agrees a next step, qualifies and
converts it with an amount: the deal carries the next step and a first line for the amount, the
client's timeline the call → on the board the deal is dragged to the next stage and stays there
→ a proposal is prepared from the deal's line and its PDF is offered → the deal is won with the
default payment → the client card shows the sale: a new client (spec §8: "new" is a client whose
first deal is within 90 days) with one won deal, reachable by the phone and e-mail its contact gave.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlparse

from playwright.sync_api import expect

from clientela.e2e.journey import Journey, language_of, tr, unique_digits, unique_tag

NEXT_STEP = "Send proposal and call back"
SOON = 3_000  # ms: how long a screen may take to show the result of an action


def _form_key(head, team: str) -> str:
    """The team's web form, as its head finds it (the intake forms they manage)."""
    forms = head.request.get("/api/v1/intake-forms").json()["items"]
    return next(
        f["key"] for f in forms if f["kind"] == "form" and f["team"]["name"] == team and f["is_active"]
    )


def _owner_of(head, email: str) -> str:
    """Who the lead went to (the head sees every lead of the team): their username."""
    lead = head.request.get("/api/v1/leads", params={"q": email}).json()["items"][0]
    assert lead["owner"], "a web-form lead goes to a manager of the team"
    people = head.request.get("/api/v1/users", params={"team": lead["team"]["id"]}).json()["items"]
    return next(someone["username"] for someone in people if someone["id"] == lead["owner"]["id"])


def _drag(page, card, target) -> None:
    """Drag with the mouse, as a person does: press on the card, move over the column, let go."""
    box = card.bounding_box()
    goal = target.bounding_box()
    assert box and goal
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 8, box["y"] + box["height"] / 2 + 8)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + 24, steps=12)
    page.mouse.up()


def test_a_web_form_lead_becomes_a_won_deal(browser_page, screens):
    tag = unique_tag(6)
    name = f"Dana Journey {tag}"
    email = f"dana.{tag}@journey.example"
    company = f"Journey {tag} SRL"
    call_note = f"Wants ten licences ({tag})"

    # A visitor on the Bucharest team's public form page.
    head = browser_page("elena")
    visitor = browser_page()
    visitor.goto(f"/f/{_form_key(head, 'Bucharest')}/")
    visitor.get_by_label("Your name").fill(name)
    visitor.get_by_label("Phone").fill("+40 721 555 0" + unique_digits(2))
    visitor.get_by_label("E-mail").fill(email)
    visitor.get_by_label("Company (optional)").fill(company)
    screens(visitor, "public form")
    visitor.get_by_role("button", name="Send").click()
    visitor.wait_for_url(re.compile(r"/thanks/$"))
    expect(visitor.get_by_role("heading", name="Thank you!")).to_be_visible()

    page = browser_page(_owner_of(head, email))
    language = language_of(page)
    journey = Journey(page, screens)
    lead_url = urlparse(
        page.locator("#worklist a[href^='/leads/']", has_text=name).first.get_attribute("href")
    ).path

    # The manager's work list: the lead is there with its response clock running.
    item = page.locator("#worklist .list-group-item", has=page.locator(f"a[href='{lead_url}']")).first
    expect(item).to_be_visible()
    expect(item.locator(".clock-badge")).to_be_visible()
    assert item.locator(".clock-badge").get_attribute("data-clock-status") != "breached"
    item.scroll_into_view_if_needed()
    screens(page, "work list with the new lead", full_page=False)

    # The call, with the agreed next step.
    page.goto(lead_url)
    expect(page.locator("h1.page-title")).to_contain_text(name)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    page.fill("#id_call_body", call_note)
    page.fill("#id_call_next_step_at", f"{tomorrow}T10:00")
    page.fill("#id_call_next_step_subject", NEXT_STEP)
    page.click("#id_call_body >> xpath=ancestor::form//button[@name='outcome'][@value='reached']")
    panel = page.locator("[data-activity-panel]")
    expect(panel.get_by_text(NEXT_STEP).first).to_be_visible()
    expect(panel.get_by_text(call_note)).to_be_visible()

    # Qualify: every item of the checklist.
    checklist = page.locator("#lead-checklist")
    for box in checklist.locator("input[type=checkbox]").all():
        box.check()
    checklist.locator("button[type=submit]").click()
    expect(page.locator(".lead-status-qualified").first).to_be_visible()
    screens(page, "lead card qualified with the call")

    # Convert, with a deal.
    page.locator(".lead-quick-actions a[data-bs-target='#modal-convert']").click()
    dialog = page.locator("#modal-convert")
    expect(dialog.locator("#id_client_name")).to_be_visible()
    deal_part = dialog.locator("details.lead-convert-deal")
    title_field = dialog.locator("#id_deal_title")
    currency_field = dialog.locator("#id_deal_currency")
    deal_shown = title_field.is_visible()
    prefilled = deal_shown and bool(title_field.input_value()) and bool(currency_field.input_value())
    journey.check(
        "the conversion form shows the deal part with a title and a currency",
        lambda: assert_true(prefilled, "deal part collapsed or empty"),
    )
    if deal_part.count() and deal_part.get_attribute("open") is None:
        deal_part.locator("summary").click()
    create_deal = dialog.locator("#id_create_deal")
    if create_deal.count() and not create_deal.is_checked():
        create_deal.check()
    deal_title = f"Licences {tag}"
    title_field.fill(deal_title)
    if not dialog.locator("#id_deal_amount").input_value():
        dialog.locator("#id_deal_amount").fill("12000")
    if not currency_field.input_value():
        currency_field.fill("RON")
    screens(page, "conversion form", full_page=False)
    with page.expect_navigation():
        dialog.locator("button[type=submit]").last.click()
    expect(page.locator(".toast-stack .alert-success").first).to_be_visible()
    journey.check(
        "after converting the user lands on the new deal or client",
        lambda: expect(page).to_have_url(re.compile(r"/(deals|clients)/\d+/"), timeout=SOON),
    )
    if not re.search(r"/deals/\d+/", page.url):
        page.goto(page.locator("a[href^='/deals/']", has_text=deal_title).first.get_attribute("href"))
    expect(page).to_have_url(re.compile(r"/deals/\d+/"))
    deal_url = urlparse(page.url).path
    client_url = page.locator("a[href^='/clients/']", has_text=company).first.get_attribute("href")

    # The deal carries the next step agreed on the lead's call.
    deal_panel = page.locator("[data-activity-panel]")
    journey.check(
        "the deal shows the next step agreed on the lead",
        lambda: expect(deal_panel.get_by_text(NEXT_STEP).first).to_be_visible(timeout=SOON),
    )
    journey.check(
        "the deal is not flagged as having no next step",
        lambda: expect(page.locator("[data-next-step-missing]")).to_have_count(0, timeout=SOON),
    )
    screens(page, "deal after conversion")

    # The board: the deal dragged with the mouse to the next stage, and it stays there.
    page.goto("/deals/board/")
    page.locator("input[name=q]").first.fill(deal_title)
    page.wait_for_url(re.compile(r"q=Licences"))
    card = page.locator("[data-kanban-column] .kanban-card", has_text=deal_title)
    expect(card).to_have_count(1)
    columns = page.locator("[data-kanban-column]")
    stages = [column.get_attribute("data-stage") for column in columns.all()]
    here = card.locator("xpath=ancestor::*[@data-kanban-column]").get_attribute("data-stage")
    next_stage = stages[stages.index(here) + 1]
    target = page.locator(f"[data-kanban-column][data-stage='{next_stage}']")
    target_name = page.locator(f"#stage-{next_stage}").inner_text()
    _drag(page, card, target)
    expect(target.locator(".kanban-card", has_text=deal_title)).to_have_count(1)
    # The server's answer: the refreshed board counts the deal in its new column.
    expect(page.locator(f"[data-testid='column-{next_stage}'] [data-testid=column-count]")).to_have_text("1")
    screens(page, "board after the drag")
    page.reload()
    expect(
        page.locator(f"[data-kanban-column][data-stage='{next_stage}'] .kanban-card", has_text=deal_title)
    ).to_have_count(1)
    journey.check(
        "the board fits the screen (no page-wide horizontal scroll)",
        lambda: assert_true(
            page.evaluate("document.documentElement.scrollWidth") <= 1440, "board wider than 1440"
        ),
    )

    # A proposal from the deal's products; its PDF is offered at once.
    page.goto(deal_url)
    expect(page.locator("[aria-current=step]")).to_contain_text(target_name)
    # The amount given on conversion is already the deal's first line: no product to add first.
    expect(page.locator("#deal-lines tbody tr")).to_have_count(1)
    page.locator("#deal-documents .card-actions a").click()
    document_form = page.locator("#deal-modal form")
    expect(document_form).to_be_visible()
    document_form.locator("button[type=submit]").click()
    pdf_link = page.locator("a[href*='/documents/versions/'][href*='/pdf']:visible")
    journey.check(
        "preparing the PDF shows a link to it without reloading",
        lambda: expect(pdf_link.first).to_be_visible(timeout=SOON),
    )
    screens(page, "proposal prepared", full_page=False)
    page.goto(deal_url)  # one proposal, listed with its PDF
    expect(pdf_link.first).to_be_visible()
    expect(page.locator("#deal-documents .list-group-item")).to_have_count(1)
    pdf = page.request.get(pdf_link.first.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"

    # Won, with the payment schedule left as it comes.
    page.locator(".page-header a.btn-success, .page-header a[href$='/win/']").first.click()
    win_form = page.locator("#deal-modal form")
    expect(win_form).to_be_visible()
    screens(page, "win dialog", full_page=False)
    win_form.locator("button[type=submit]").last.click()
    won = journey.check(
        "winning with the default payment schedule",
        lambda: expect(page.locator(".page-header .badge", has_text=tr(language, "Won"))).to_be_visible(
            timeout=SOON
        ),
    )
    if not won:  # fill the one payment the form insists on, to see the rest of the story
        page.goto(deal_url)
        page.locator(".page-header a[href$='/win/']").first.click()
        expect(win_form).to_be_visible()
        win_form.locator("#id_due_0").fill(tomorrow)
        win_form.locator("#id_pay_0").fill("12000")
        win_form.locator("button[type=submit]").last.click()
        expect(page.locator(".page-header .badge", has_text=tr(language, "Won"))).to_be_visible()
    screens(page, "deal won")

    # The client card after the sale.
    page.goto(client_url)
    header = page.locator(".page-header").first
    expect(header).to_contain_text(company)
    expect(header.locator(".badge", has_text=tr(language, "New")).first).to_be_visible()
    deals = page.locator("#client-deals")
    won_row = deals.locator(f"a[href='{deal_url}']")
    expect(won_row).to_be_visible()
    expect(won_row).to_contain_text(tr(language, "Won"))
    expect(deals).to_contain_text(
        tr(language, "%(open)s open · %(won)s won · %(lost)s lost") % {"open": 0, "won": 1, "lost": 0}
    )
    journey.check(
        "the client's timeline shows the call made on the lead",
        lambda: expect(page.get_by_text(call_note).first).to_be_visible(timeout=SOON),
    )
    journey.check(
        "the client card offers its contact's e-mail",
        lambda: expect(page.locator(f"dd a[href='mailto:{email}']").first).to_be_visible(timeout=SOON),
    )
    screens(page, "client card after the sale")
    journey.done()


def assert_true(condition: bool, message: str) -> None:
    assert condition, message
