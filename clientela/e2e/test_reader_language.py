"""What the system writes about a lead (its timeline, why it went to someone, its first task) is
read in each reader's language: a lead that arrived through an English web form reads in Russian
for Olga, who owns it, and in Romanian for Elena, her head."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from clientela.e2e.journey import unique_tag

ENGLISH_SYSTEM_TEXTS = re.compile(r"First contact with|Lead created from|Assigned to|by hand")


def test_system_texts_are_in_the_readers_language(app_server, browser_page, screens):
    last_name = f"Reader{unique_tag(6)}"
    lead_id = app_server.shell(
        "from django.utils import translation\n"
        "from clientela.leads.services.lifecycle import lead_create\n"
        "from clientela.users.models import User\n"
        "olga = User.objects.get(username='olga')\n"
        "with translation.override('en'):  # a visitor's English web form writes it\n"
        "    lead = lead_create(by=None, owner=olga, fields={'first_name': 'Radu', "
        f"'last_name': '{last_name}', 'email': '{last_name.lower()}@example.com', "
        "'source': 'web_form', 'team': olga.team})\n"
        "print(lead.pk)"
    ).splitlines()[-1]
    name = f"Radu {last_name}"

    olga = browser_page("olga")
    row = olga.get_by_text(f"Первый контакт: {name}")
    expect(row.first).to_be_visible()
    expect(olga.locator(".page-wrapper")).not_to_contain_text(f"First contact with {name}")
    screens(olga, "olga-work-list")

    olga.goto(f"/leads/{lead_id}/")
    main = olga.locator(".page-wrapper")
    expect(main).to_contain_text("Лид создан, источник: Веб-форма")
    expect(main).to_contain_text("Назначен вручную")
    expect(main).to_contain_text(f"Первый контакт: {name}")
    expect(main).not_to_contain_text(ENGLISH_SYSTEM_TEXTS)
    screens(olga, "olga-lead-card")

    elena = browser_page("elena")
    elena.goto(f"/leads/{lead_id}/")
    main = elena.locator(".page-wrapper")
    expect(main).to_contain_text("Lead creat din Formular web")
    expect(main).to_contain_text("Alocat manual lui")
    expect(main).to_contain_text(f"Primul contact cu {name}")
    expect(main).not_to_contain_text(ENGLISH_SYSTEM_TEXTS)
    expect(main).not_to_contain_text("Лид создан")
    screens(elena, "elena-lead-card")
