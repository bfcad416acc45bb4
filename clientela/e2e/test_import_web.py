"""A head of sales imports a CSV of leads through the web: upload, map the columns, run; the
page follows the progress by itself and ends with the report; the leads are in the list."""

from __future__ import annotations

import re
from functools import partial

from playwright.sync_api import expect

from clientela.e2e.journey import Journey, language_of, tr, unique_digits, unique_tag


def _csv(tag: str) -> bytes:
    digits = unique_digits()
    rows = [
        "Name,E-mail,Phone,Company",
        f"Imre Import {tag},imre.{tag}@import.example,+36 30 111 {digits},Import {tag} Kft.",
        f"Judit Import {tag},judit.{tag}@import.example,+36 30 222 {digits},Import {tag} Kft.",
        f"Karoly Import {tag},karoly.{tag}@import.example,,Import {tag} Kft.",
        # The same person again: merged into the first row's lead, not a second lead.
        f"Imre Import {tag},IMRE.{tag}@import.example,,Import {tag} Kft.",
        # Nobody reachable and a broken address: rejected with its line number.
        f"Nora Import {tag},not-an-address,,Import {tag} Kft.",
    ]
    return ("\n".join(rows) + "\n").encode()


def _filled_in(cell) -> None:
    expect(cell).not_to_have_text("—", timeout=1_000)


def test_a_csv_of_leads_is_imported_through_the_web(app_server, browser_page, screens):
    tag = unique_tag(6)
    user = "gabor"
    page = browser_page(user)
    language = language_of(page)
    journey = Journey(page, screens)

    page.goto("/imports/new/")
    page.set_input_files(
        "#id_file", files=[{"name": f"fair-{tag}.csv", "mimeType": "text/csv", "buffer": _csv(tag)}]
    )
    if page.locator("select#id_kind").count():
        page.select_option("select#id_kind", "leads")
    screens(page, "upload")
    with page.expect_navigation():
        page.locator("form[enctype] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/imports/\d+/mapping/$"))

    # The mapping is suggested from the headers; the preview shows the file's first rows.
    mapping = {"Name": "name", "E-mail": "email", "Phone": "phone", "Company": "company"}
    for header, field in mapping.items():
        expect(page.get_by_label(header, exact=True)).to_have_value(field)
    expect(page.locator("table")).to_contain_text(f"Imre Import {tag}")
    screens(page, "mapping")
    with page.expect_navigation():
        page.locator("button[name=run]").click()
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))

    # Progress, followed by the page itself (no reload) up to the report.
    progress = page.locator("#import-progress")
    expect(progress.locator("[role=progressbar]")).to_be_visible()
    screens(page, "progress", full_page=False)
    expect(progress.locator("[role=progressbar]")).to_have_attribute("aria-valuenow", "100", timeout=30_000)
    expect(progress.locator("[data-summary]")).to_be_visible(timeout=10_000)
    counts = {
        label: progress.locator(".col", has=page.get_by_text(tr(language, label), exact=True)).locator(".h2")
        for label in ("created", "merged", "rejected")
    }
    expect(counts["created"]).to_have_text("3")
    expect(counts["merged"]).to_have_text("1")
    expect(counts["rejected"]).to_have_text("1")
    expect(progress.get_by_role("link", name=tr(language, "Download the report (CSV)"))).to_be_visible()
    screens(page, "report")
    report = page.request.get(progress.locator("a[href$='report.csv']").get_attribute("href"))
    assert report.ok
    lines = report.text().splitlines()
    assert any("not-an-address" in line for line in lines), (
        "the rejected row is in the report with its reason"
    )
    for moment in ("Started", "Finished"):
        when = page.locator("dt", has_text=tr(language, moment)).locator("xpath=following-sibling::dd[1]")
        journey.check(
            f"the finished import shows when it {moment.lower()}",
            partial(_filled_in, when),
        )

    # The imported leads are in the lead list.
    page.goto(f"/leads/?q=Import+{tag}")
    for first in ("Imre", "Judit", "Karoly"):
        expect(page.locator("tr[data-href^='/leads/']", has_text=f"{first} Import {tag}")).to_have_count(1)
    expect(page.get_by_text(f"Nora Import {tag}")).to_have_count(0)
    screens(page, "imported leads in the list")
    journey.done()
