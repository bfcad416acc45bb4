"""A manager marks a client lost from its card — the dialog asks why (the churn taxonomy), when,
and whether to send the exit questionnaire —, sees the loss in the card's status history, then
wins the client back. (Ana works in Romanian: the checks read markup, not words.)"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from clientela.e2e.journey import unique_tag


def test_a_manager_loses_a_client_with_a_reason_and_wins_it_back(browser_page, screens, app_server):
    name = f"Lifecycle {unique_tag(6)} SRL"
    client_id = app_server.shell(
        "from clientela.clients.services.client import client_create;"
        "from clientela.users.models import User;"
        "ana = User.objects.get(username='ana');"
        f"data = {{'name': {name!r}, 'kind': 'company', 'country': 'RO'}};"
        "client = client_create(by=ana, data=data, owner=ana);"
        "print(client.pk)"
    ).splitlines()[-1]
    page = browser_page("ana")
    page.goto(f"/clients/{client_id}/")
    history = page.locator("#client-status-history")
    expect(history).to_be_visible()

    # Refused without a reason: nothing changes.
    history.locator("[data-testid=mark-lost]").click()
    dialog = page.locator("#modal-lost")
    expect(dialog.locator("select[name=reason]")).to_be_visible()
    expect(dialog.locator("input[name=lost_on]")).to_have_value(
        re.compile(r"^\d{4}-\d{2}-\d{2}$")
    )  # today, in her zone
    screens(page, "the lost dialog", full_page=False)
    dialog.locator("select[name=reason]").evaluate("select => select.removeAttribute('required')")
    with page.expect_navigation():
        dialog.locator("button[type=submit]").click()
    expect(page.locator(".toast-stack .alert-danger, .alert-danger").first).to_be_visible()
    expect(history.locator("[data-testid=mark-lost]")).to_be_visible()

    history.locator("[data-testid=mark-lost]").click()
    dialog.locator("select[name=reason]").select_option("attitude")
    dialog.locator("textarea[name=note]").fill("Three unanswered enquiries.")
    with page.expect_navigation():
        dialog.locator("button[type=submit]").click()
    expect(history.locator(".badge.bg-secondary-lt").first).to_be_visible()  # … → lost
    expect(history.locator("[data-testid=win-back]")).to_be_visible()
    expect(history).to_contain_text("Three unanswered enquiries.")
    screens(page, "lost, in the status history")

    api = page.request.get(f"/api/v1/clients/{client_id}/status-history").json()
    assert [(row["to_status"], row["kind"], row["reason"]) for row in api][-1] == (
        "lost",
        "decision",
        "attitude",
    )

    with page.expect_navigation():
        history.locator("[data-testid=win-back]").click()
    expect(history.locator("[data-testid=mark-lost]")).to_be_visible()
    api = page.request.get(f"/api/v1/clients/{client_id}/status-history").json()
    assert [row["to_status"] for row in api] == ["new", "lost", "new"]
    assert api[-1]["kind"] == "won_back"
    screens(page, "won back")
