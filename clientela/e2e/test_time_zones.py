"""One task, one time: a next step typed as 10:00 by a manager in Bucharest is 10:00 on her lead
card, her task list and her calendar; her profile lets her read times in another zone; an
English reader sees dates the European way (07/12/2026, 24-hour clock)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from playwright.sync_api import expect

from clientela.e2e.journey import unique_tag

BUCHAREST = zoneinfo.ZoneInfo("Europe/Bucharest")


def make_lead(app_server, owner: str, name: str) -> int:
    printed = app_server.shell(
        "from clientela.users.models import User\n"
        "from clientela.leads.services.lifecycle import lead_create\n"
        f"owner = User.objects.get(username={owner!r})\n"
        "lead = lead_create(by=None, owner=owner, fields={"
        f"'first_name': 'Ilinca', 'last_name': {name!r}, 'team': owner.team, "
        f"'email': {name.lower() + '@example.com'!r}}})\n"
        "print(lead.pk)"
    )
    return int(printed.splitlines()[-1])  # the shell may say first what it imported


def set_time_zone(app_server, username: str, zone: str) -> None:
    app_server.shell(
        "from clientela.users.models import User\n"
        f"User.objects.filter(username={username!r}).update(time_zone={zone!r})"
    )


def test_a_next_step_at_ten_in_bucharest_is_ten_on_every_screen(app_server, browser_page, screens):
    name = f"Zone{unique_tag(6)}"
    lead_id = make_lead(app_server, "ana", name)
    day = dt.datetime.now(BUCHAREST).date() + dt.timedelta(days=2)
    shown = f"{day:%d.%m.%Y}, 10:00"  # ana reads Romanian: 09.12.2026, 10:00
    subject = f"Send proposal {name}"
    # The browser itself is in New York: what counts is the reader's zone in Clientela.
    page = browser_page("ana", timezone_id="America/New_York")
    try:
        page.goto(f"/leads/{lead_id}/")
        call = page.locator(f"#lead-{lead_id}-call form")
        call.locator("[name=body]").fill("Wants a proposal")
        call.locator("[name=next_step_at]").fill(f"{day:%Y-%m-%d}T10:00")
        call.locator("[name=next_step_subject]").fill(subject)
        call.locator("button[name=outcome][value=reached]").click()
        panel = page.locator("[data-activity-panel]")
        expect(panel.locator("li, .list-group-item", has_text=subject).first).to_contain_text(shown)
        screens(page, "lead card")

        page.goto("/tasks/")
        expect(page.locator("tr", has_text=subject)).to_contain_text(shown)
        screens(page, "task list")

        page.goto(f"/calendar/?view=week&date={day:%Y-%m-%d}")
        item = page.locator(f"[data-date='{day:%Y-%m-%d}'] .calendar-item", has_text=subject)
        expect(item).to_contain_text(f"10:00 {subject}")
        screens(page, "calendar")

        # Her own zone: Kuala Lumpur is six hours ahead of Bucharest in winter, so 10:00 there is
        # 16:00 here (the same moment).
        page.goto("/profile/")
        expect(page.locator("select[name=time_zone] option").first).to_contain_text("Europe/Bucharest")
        page.locator("select[name=time_zone]").select_option("Asia/Kuala_Lumpur")
        page.locator("form:has(select[name=time_zone]) button[type=submit]").click()
        expect(page.locator("select[name=time_zone]")).to_have_value("Asia/Kuala_Lumpur")
        screens(page, "profile")
        page.goto("/tasks/")
        offset = (
            dt.datetime.combine(day, dt.time(10), BUCHAREST)
            .astimezone(zoneinfo.ZoneInfo("Asia/Kuala_Lumpur"))
            .strftime("%d.%m.%Y, %H:%M")
        )
        expect(page.locator("tr", has_text=subject)).to_contain_text(offset)
        screens(page, "task list in Kuala Lumpur")
    finally:
        set_time_zone(app_server, "ana", "")


def test_english_dates_are_written_the_european_way(app_server, browser_page, screens):
    name = f"Format{unique_tag(6)}"
    lead_id = make_lead(app_server, "ana", name)
    page = browser_page("admin", locale="en-US")
    page.goto(f"/leads/{lead_id}/")
    created = page.locator(".datagrid-item", has_text="Created").locator(".datagrid-content")
    expect(created).to_have_text(re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$"))
    zone = zoneinfo.ZoneInfo(page.request.get("/api/v1/me").json()["effective_time_zone"])
    assert dt.datetime.strptime(created.inner_text(), "%d/%m/%Y %H:%M").replace(
        tzinfo=zone
    ) <= dt.datetime.now(zone)
    screens(page, "lead card in English")
    page.goto("/leads/")
    expect(page.locator("tr", has_text=name)).to_contain_text(dt.datetime.now(zone).strftime("%d/%m/%Y"))
    assert not re.search(r"\d (a\.m\.|p\.m\.)", page.content())
