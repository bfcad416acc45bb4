"""Keeping a quiet client warm, as the people involved see it.

A client of Ana's has gone passive (no purchase, no contact for more than half a year) → Elena,
head of Bucharest, finds it on the passive list and gives it a reactivation task → Ana finds the
task on her work list, with the birthday of the client's contact coming up this week → she skips
that greeting on the greetings page, on her phone, and it is recorded as skipped.
"""

from __future__ import annotations

from playwright.sync_api import expect

from clientela.e2e.journey import language_of, tr, unique_tag

SETUP = """
import datetime as dt
from django.utils import timezone
from clientela.clients.models import Client, Contact
from clientela.retention.greetings import greetings_plan
from clientela.users.models import User
ana = User.objects.get(username="ana")
now = timezone.now()
client = Client.objects.create(name={name!r}, country="RO", owner=ana, team=ana.team, industry="Retail")
Client.objects.filter(pk=client.pk).update(
    created_at=now - dt.timedelta(days=600), last_contact_at=now - dt.timedelta(days=240)
)
soon = timezone.localdate() + dt.timedelta(days=2)
Contact.objects.create(
    client=client, first_name="Irina", last_name={last!r}, email={email!r}, consent=True,
    birthday=dt.date(1984, soon.month, min(soon.day, 28)),
)
greetings_plan()
print(client.pk)
"""


def test_a_passive_client_gets_a_reactivation_task_and_its_greeting_is_skipped(
    app_server, browser_page, screens
):
    tag = unique_tag(6)
    name = f"Quiet {tag} SRL"
    last = f"Greet{tag}"
    app_server.shell(SETUP.format(name=name, last=last, email=f"irina.{tag}@quiet.example"))

    # Elena sees the client on the passive list, with its manager, and gives it a reactivation task.
    head = browser_page("elena")
    head.goto(f"/retention/passive/?q={tag}")
    row = head.locator("#passive-table tbody tr", has_text=name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Ana Dumitru")
    row.locator("input[name=ids]").check()
    screens(head, "passive list")
    head.locator("#bulk-reactivate").click()
    expect(head.locator(".alert-success")).to_contain_text("1")
    assignees = app_server.shell(
        "from clientela.activities.models import Task; "
        f"print(list(Task.objects.filter(client__name={name!r}).values_list('assignee__username', flat=1)))"
    )
    assert assignees.splitlines()[-1] == "['ana']"
    screens(head, "task created")

    # Ana, on her phone: the greeting of the week under her work list; she skips it.
    manager = browser_page("ana", viewport={"width": 390, "height": 844})
    block = manager.locator("#home-greetings")
    expect(block).to_contain_text(f"Irina {last}")
    screens(manager, "work list with greetings")
    manager.goto("/retention/greetings/")
    greeting_row = manager.locator("#greeting-table tbody tr", has_text=last)
    manager.on("dialog", lambda dialog: dialog.accept())
    greeting_row.get_by_role("button").click()
    expect(manager.locator(".alert-success")).to_be_visible()
    expect(manager.locator("#greeting-table tbody tr", has_text=last)).to_contain_text(
        tr(language_of(manager), "Skipped")
    )
    screens(manager, "greeting skipped")
    upcoming = manager.request.get("/api/v1/retention/greetings/upcoming").json()
    assert [g["status"] for g in upcoming if last in g["person"]["name"]] == ["skipped"]
