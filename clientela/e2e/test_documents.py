"""A manager prepares a proposal for a deal that has an amount and no products: the dialog offers
the first line (from the amount), two quick clicks make one proposal, the dialog closes and the
deal shows the PDF's link and its preview. (Ana works in Romanian: the checks do not read text.)"""

from __future__ import annotations

from playwright.sync_api import expect

from clientela.e2e.journey import unique_tag


def test_a_manager_prepares_one_proposal_with_a_double_click_and_sees_its_pdf(
    browser_page, screens, app_server
):
    title = f"Fleet tracking {unique_tag(6)}"
    deal_id = app_server.shell(
        "from clientela.clients.models import Client;"
        "from clientela.deals.services import deal_create;"
        "from clientela.users.models import User;"
        "ana = User.objects.get(username='ana');"
        "client = Client.objects.filter(owner=ana).order_by('id').first();"
        f"print(deal_create(by=ana, client=client, title={title!r}, amount='4800', currency='RON').pk)"
    ).splitlines()[-1]
    page = browser_page("ana")
    page.goto(f"/deals/{deal_id}/")
    documents = page.locator("#deal-documents")
    expect(documents.locator("[data-document]")).to_have_count(0)
    documents.locator(f"a[href='/deals/{deal_id}/documents/new/']").click()

    dialog = page.locator("#deal-modal")
    form = dialog.locator("form[data-document-form]")
    expect(form.locator("[data-first-line]")).to_be_visible()
    expect(form.locator("input[name=line_name]")).to_have_value(title)
    expect(form.locator("input[name=line_unit_price]")).to_have_value("4800.00")
    screens(page, "dialog-offers-the-first-line")

    form.locator("button[type=submit]").dblclick()

    preview = page.locator("[data-document-preview]")
    expect(preview).to_be_visible(timeout=30_000)
    expect(dialog).to_be_hidden()
    expect(page.locator(".alert-success")).to_be_visible()
    link = preview.locator("[data-document-link]")
    expect(link).to_have_count(1)
    href = link.get_attribute("href")
    expect(preview.locator("iframe")).to_have_attribute("src", href)
    expect(documents.locator("[data-document]")).to_have_count(1)
    pdf = page.request.get(href)
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("inline")
    screens(page, "deal-with-one-proposal-and-its-preview")
    count = app_server.shell(
        "from clientela.deals.models import Document;"
        f"print(Document.objects.filter(deal_id={deal_id}).count())"
    ).splitlines()[-1]
    assert count == "1"
