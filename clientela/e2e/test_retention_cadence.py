"""After the sale: a manager's won deal brings the "is the product in use?" call; she answers
"not yet in use" with the day of use on the completion page, gives the deal its agreement end date
(within the renewal notice, so the renewal task is raised at once), finds it on the renewals list
and sees the cadence on the client card — also on a phone. (Ana works in Romanian: the checks do
not read text.)"""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from clientela.e2e.journey import unique_tag

PHONE = {"width": 390, "height": 844}


def test_a_won_deal_runs_the_post_sale_cadence(browser_page, screens, app_server):
    title = f"Support {unique_tag(6)}"
    ids = app_server.shell(
        "from clientela.clients.models import Client;"
        "from clientela.deals.services import deal_create;"
        "from clientela.deals.board.services import deal_win;"
        "from clientela.retention.cadence_models import CadenceStep;"
        "from clientela.users.models import User;"
        "ana = User.objects.get(username='ana');"
        "client = Client.objects.filter(owner=ana).order_by('id').first();"
        f"deal = deal_create(by=ana, client=client, title={title!r}, amount='4800', currency='RON');"
        "deal = deal_win(by=ana, deal=deal);"
        "step = CadenceStep.objects.get(deal=deal, kind='in_use_check');"
        "print(deal.pk, client.pk, step.task_id)"
    ).splitlines()[-1]
    deal_id, client_id, task_id = ids.split()

    page = browser_page("ana")
    page.goto(f"/tasks/{task_id}/complete/")
    outcome = page.locator("[data-testid=task-outcome]")
    expect(outcome.locator("input[name=outcome]")).to_have_count(3)
    outcome.locator("input[value=not_in_use]").check()
    day = dt.date.today() + dt.timedelta(days=7)
    page.fill("input[name=outcome_date]", day.isoformat())
    screens(page, "the-in-use-call-asks-how-it-went")
    page.locator(f"form[action='/tasks/{task_id}/complete/'] button[type=submit]").click()
    expect(page.locator(".alert-success.alert-dismissible")).to_be_visible()
    follow = app_server.shell(
        "from clientela.retention.cadence_models import CadenceStep;"
        f"step = CadenceStep.objects.get(deal_id={deal_id}, kind='use_day_call');"
        "print(step.task.due_at.date().isoformat())"
    ).splitlines()[-1]
    assert follow == day.isoformat()

    page.goto(f"/deals/{deal_id}/")
    page.locator("[data-testid=deal-after-sale]").click()
    ends = dt.date.today() + dt.timedelta(days=50)
    page.fill("input[name=ends_on]", ends.isoformat())
    screens(page, "the-deal-gets-its-agreement-end-date")
    page.locator(f"form[action='/retention/deals/{deal_id}/dates/'] button[type=submit]").click()
    expect(page.locator(".alert-success.alert-dismissible")).to_be_visible()

    page.goto("/retention/renewals/")
    row = page.locator("[data-testid=renewals] tbody tr", has=page.locator(f"a[href='/deals/{deal_id}/']"))
    expect(row).to_have_count(1)
    expect(row.locator(".badge")).to_have_count(1)  # its renewal task is open
    screens(page, "the-renewals-list")

    phone = browser_page("ana", viewport=PHONE)
    phone.goto(f"/clients/{client_id}/")
    cadence = phone.locator("[data-testid=client-cadence]")
    expect(cadence).to_be_visible()
    expect(cadence.locator(f"a[href='/deals/{deal_id}/']").first).to_be_visible()
    cadence.scroll_into_view_if_needed()
    screens(phone, "the-client-card-shows-the-cadence-on-a-phone", full_page=False)
