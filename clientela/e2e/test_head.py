"""The head of sales hands a lead waiting in the team queue to a manager, who finds it on their
work list."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from clientela.e2e.journey import language_of, tr

QUEUE_LEAD = """
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.services.lifecycle import lead_assign
from clientela.users.models import Team, User
head = User.objects.get(username="elena")
team = Team.objects.get(name="Bucharest")
result = intake_submit(
    raw=RawLead(name={name!r}, email={email!r}, company={company!r}, country="RO"),
    ctx=IntakeContext(door="manual", by=head, team=team, default_source="manual"),
)
lead_assign(by=head, lead=result.record, owner=None)
print(result.record.pk)
"""


def test_a_head_assigns_a_queued_lead_to_a_manager(app_server, browser_page, screens):
    tag = uuid.uuid4().hex[:6]
    name = f"Queued Person {tag}"
    # Set-up: a lead put back in the Bucharest queue (as the head does when nobody fits).
    pk = app_server.shell(
        QUEUE_LEAD.format(name=name, email=f"queued.{tag}@journey.example", company=f"Queue {tag} SRL")
    ).splitlines()[-1]
    lead_url = f"/leads/{pk}/"

    head = browser_page("elena")
    language = language_of(head)
    waiting = head.locator("#worklist [data-clock]", has=head.locator(f"a[href='{lead_url}']")).first
    expect(waiting).to_be_visible()
    expect(waiting.locator(".clock-badge")).to_be_visible()
    waiting.scroll_into_view_if_needed()
    screens(head, "head's work list with the queued lead", full_page=False)

    chooser = waiting.locator("select[name=owner]")
    chooser.select_option(label="Ana Dumitru")
    with head.expect_navigation():
        chooser.locator("xpath=ancestor::form").locator("button[type=submit]").click()
    expect(head.locator(".toast-stack .alert-success")).to_contain_text(
        tr(language, "%(name)s answers %(subject)s now.") % {"name": "Ana Dumitru", "subject": name}
    )
    expect(head.locator("#worklist [data-clock]", has=head.locator(f"a[href='{lead_url}']"))).to_have_count(0)
    screens(head, "after assigning", full_page=False)

    manager = browser_page("ana")
    mine = manager.locator("#worklist .list-group-item", has=manager.locator(f"a[href='{lead_url}']")).first
    expect(mine).to_be_visible()
    expect(mine.locator(".clock-badge")).to_be_visible()
    mine.scroll_into_view_if_needed()
    screens(manager, "manager's work list with the lead", full_page=False)
    mine.locator(f"a[href='{lead_url}']").first.click()
    expect(manager).to_have_url(re.compile(re.escape(lead_url) + "$"))
    expect(manager.locator(".lead-header")).to_contain_text("Ana Dumitru")
