"""A satisfaction survey from the client card to the client's answer and back to the card.

The manager sends an NPS survey from the card of a client whose contact agreed to receive
messages → the letter goes out in the contact's language with a link → the contact opens it on a
phone (390 px), switches the page to English, forgets to choose a score (told so), then answers 3
with a comment → the link now says it was answered → the card shows the score and the comment,
and the manager has a task to call the unhappy client.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from clientela.e2e.conftest import PHONE
from clientela.e2e.journey import unique_tag

SET_UP = """
from clientela.clients.models import Client, Contact
from clientela.users.models import User
ana = User.objects.get(username="ana")
client = Client.objects.create(name="Survey {tag} SRL", country="RO", owner=ana, team=ana.team)
Contact.objects.create(
    client=client, first_name="Zita", last_name="Kiss {tag}", email="zita.{tag}@survey.example",
    consent=True, preferred_language="hu",
)
print(client.pk)
"""


def _survey_link(app_server, tag: str, seconds: float = 60) -> str:
    """The link in the letter the worker sent to the contact (the file mail backend's outbox)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for letter in sorted((app_server.data_dir / "mail").glob("*.log")):
            text = letter.read_text(errors="replace")
            if f"zita.{tag}@survey.example" in text:
                found = re.search(r"https?://\S+/s/[A-Za-z0-9_-]+/", text)
                assert found, text[-2000:]
                return found.group(0)
        time.sleep(0.5)
    raise AssertionError("the survey letter did not go out")


def test_a_survey_goes_out_is_answered_on_a_phone_and_shows_on_the_card(app_server, browser_page, screens):
    tag = unique_tag(6)
    client_id = app_server.shell(SET_UP.format(tag=tag)).splitlines()[-1]

    page = browser_page("ana")
    page.goto(f"/clients/{client_id}/")
    section = page.locator("#client-satisfaction")
    expect(section).to_be_visible()
    section.locator("select[name=kind]").select_option("nps")
    section.locator("[data-testid=send-survey]").click()
    expect(page.locator(".alert-success, .toast, [role=alert]").first).to_contain_text(
        f"zita.{tag}@survey.example"
    )
    screens(page, "card after sending the survey")

    link = _survey_link(app_server, tag)
    path = "/" + link.split("/", 3)[3]
    phone = browser_page(viewport=PHONE)
    phone.goto(path)
    expect(phone.locator("html")).to_have_attribute("lang", re.compile("^hu"))
    screens(phone, "survey in Hungarian on a phone")
    phone.locator("a[lang=en]").click()
    expect(phone.locator("legend")).to_contain_text("recommend us")
    phone.locator("[data-testid=survey-submit]").click()
    expect(phone.locator(".invalid-feedback")).to_be_visible()
    phone.locator("label:has([data-testid=score-3])").click()
    phone.locator("textarea[name=comment]").fill(f"Delivery was late {tag}")
    screens(phone, "survey filled in")
    phone.locator("[data-testid=survey-submit]").click()
    expect(phone.locator("[data-testid=survey-state]")).to_be_visible()
    screens(phone, "thanks")
    phone.goto(path)
    expect(phone.locator("[data-testid=survey-state]")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(f"/clients/{client_id}/")
    expect(page.locator("[data-testid=client-nps]")).to_have_text(
        re.compile(r"^\s*-100[.,]0\s*$")
    )  # in Ana's (Romanian) number format
    expect(page.locator("#client-satisfaction")).to_contain_text(f"Delivery was late {tag}")
    screens(page, "card with the answer")
    tasks = page.request.get("/api/v1/tasks", params={"client": client_id}).json()
    titles = " ".join(task.get("title", "") for task in tasks.get("items", []))
    assert f"Survey {tag} SRL" in titles
