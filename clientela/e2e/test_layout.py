"""Layout a user can read and reach: counters, card headers in the longest languages, phones,
the team's work list, the favicon and the menu."""

from __future__ import annotations

import json
import urllib.request

from clientela.e2e.conftest import PHONE
from clientela.e2e.journey import unique_tag

# Contrast of a badge's text against its background, both from computed styles; a canvas turns
# any CSS colour (oklch, color-mix…) into sRGB bytes.
CONTRAST_JS = """(el) => {
  const ctx = document.createElement('canvas').getContext('2d', {willReadFrequently: true});
  const rgb = (css) => { ctx.clearRect(0, 0, 1, 1); ctx.fillStyle = css; ctx.fillRect(0, 0, 1, 1);
                         return Array.from(ctx.getImageData(0, 0, 1, 1).data.slice(0, 3)); };
  const lin = (x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); };
  const lum = (c) => { const v = c.map(lin);
                       return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const style = getComputedStyle(el);
  const a = lum(rgb(style.color)), b = lum(rgb(style.backgroundColor));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def _make_records(app_server, owner: str, name: str) -> dict[str, int]:
    """A lead (with a long name) and a client owned by `owner`, and one unread notification."""
    out = app_server.shell(f"""
import json
from clientela.users.models import User
from clientela.leads.services.lifecycle import lead_create
from clientela.clients.models import Client
from clientela.core.notifications import notify
owner = User.objects.get(username={owner!r})
lead = lead_create(by=owner, owner=owner, fields={{"first_name": "Констанция-Александра",
    "last_name": {name!r} + " Преображенская-Воскресенская", "company_name": {name!r} + " SRL",
    "phone": "+4072" + str(abs(hash({name!r})) % 10**7).zfill(7), "team": owner.team}})
client = Client.objects.create(name={name!r} + " Industries SRL", team=owner.team, owner=owner)
notify(user=owner, verb="lead_assigned", text="Layout check " + {name!r}, url="/")
print(json.dumps({{"lead": lead.pk, "client": client.pk}}))
""")
    return json.loads(out.splitlines()[-1])


def test_phone_pages_fit_the_screen_and_counters_are_readable(app_server, browser_page, screens):
    name = f"Layout {unique_tag(6)}"
    ids = _make_records(app_server, "olga", name)
    page = browser_page("olga", viewport=PHONE)
    for path, label in (
        ("/", "work list"),
        (f"/leads/{ids['lead']}/", "lead card"),
        (f"/clients/{ids['client']}/", "client card"),
    ):
        page.goto(path)
        if path == "/":
            overdue = page.get_by_test_id("count-overdue")
            assert int(overdue.inner_text()) > 0, "the demo gives Olga overdue keep-in-touch tasks"
            assert overdue.evaluate(CONTRAST_JS) >= 4.5, "the Overdue counter is readable"
        screens(page, f"phone {label}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the {label} is {width} px wide on a 390 px phone"
    # The bell's count is inside the header and readable.
    badge = page.get_by_test_id("unread-count")
    box, header = badge.bounding_box(), page.locator("header.navbar").bounding_box()
    assert box and header
    assert header["y"] <= box["y"] and box["y"] + box["height"] <= header["y"] + header["height"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert badge.evaluate(CONTRAST_JS) >= 4.5
    # The menu opens over the page and its entries can be reached.
    page.get_by_role("button", name="Меню").click()
    page.get_by_role("link", name="Лиды").first.click()
    page.wait_for_url("**/leads/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screens(page, "phone lead list")


# The room the header's buttons would take on one line, and the room the header has.
HEADER_ROOM_JS = """() => {
  const buttons = Array.from(document.querySelectorAll('.page-header .btn-list > *'));
  const wanted = buttons.reduce((sum, el) => sum + el.getBoundingClientRect().width + 8, 0);
  const box = document.querySelector('.page-header .container-xl');
  const style = getComputedStyle(box);
  return [wanted, box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)];
}"""


def _check_header(page, path: str, width: int, lines: int = 3) -> None:
    title = page.locator("h1.page-title")
    box = title.bounding_box()
    line = float(title.evaluate("(el) => parseFloat(getComputedStyle(el).lineHeight)"))
    assert box and box["width"] > 120, f"{path} at {width} px: the name is squeezed to {box}"
    assert box["height"] <= line * lines + 2, f"{path} at {width} px: the name runs over {box['height']} px"
    for button in page.locator(".page-header .btn-list .btn").all():
        edge = button.bounding_box()
        assert edge and edge["x"] + edge["width"] <= width + 1, f"{path}: an action is off-screen"


def test_long_russian_name_keeps_its_width_in_every_card_header(app_server, browser_page, screens):
    name = f"Header {unique_tag(6)}"
    ids = _make_records(app_server, "olga", name)
    page = browser_page("olga")
    for path in (f"/leads/{ids['lead']}/", f"/clients/{ids['client']}/"):
        page.set_viewport_size({"width": 1440, "height": 900})
        page.goto(path)
        _check_header(page, path, 1440)
        # The width at which the buttons would just fit beside the name on one line: the name
        # must keep its room there too (the actions wrap below it).
        for width in range(1440, 760, -20):
            page.set_viewport_size({"width": width, "height": 900})
            wanted, room = page.evaluate(HEADER_ROOM_JS)
            if room - wanted < 100:
                _check_header(page, path, width)
                break
        screens(page, f"header at {width}")
        page.set_viewport_size(PHONE)
        _check_header(page, path, PHONE["width"], lines=5)  # a 60-letter name and its badges
        screens(page, "header on a phone")


def test_head_sees_the_team_work_list_grouped_with_readable_counters(app_server, browser_page, screens):
    name = f"Own {unique_tag(6)}"
    ids = _make_records(app_server, "elena", name)
    page = browser_page("elena")
    page.goto("/")
    groups = page.locator("details.worklist-group")
    assert groups.count() >= 3, "one group per person of the team"
    first = groups.first
    assert first.get_attribute("open") is not None
    assert "(" in first.locator("[data-testid=group-name]").inner_text(), "the head's own group first (me)"
    assert first.locator(f"a[href='/leads/{ids['lead']}/']").first.is_visible(), (
        "her own new lead is on her list"
    )
    assert all(groups.nth(i).get_attribute("open") is None for i in range(1, groups.count()))
    assert int(first.get_by_test_id("group-count").inner_text()) >= 1
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 4000, f"the team's list is {height} px tall"
    overdue = page.locator("[data-testid=group-overdue]").first
    assert overdue.evaluate(CONTRAST_JS) >= 4.5
    # The sidebar runs the whole height of the page.
    sidebar = page.locator("aside.navbar-vertical").bounding_box()
    assert sidebar and sidebar["height"] >= height - 2
    # Filters narrow the list to one kind.
    page.select_option("#team-kind", "first_contact")
    page.wait_for_url("**kind=first_contact**")
    expect_kinds = page.locator("details.worklist-kind").evaluate_all(
        "(els) => els.map((e) => e.dataset.kind)"
    )
    assert set(expect_kinds) == {"first_contact"}
    screens(page, "team work list")
    page.set_viewport_size(PHONE)
    page.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screens(page, "team work list on a phone")
    # The reports (the deal funnel among them) are in the menu; the favicon answers.
    assert page.locator("aside a[href='/reports/']").count() == 1
    assert page.locator("aside a[href='/deals/analytics/']").count() == 0
    icon = page.locator("link[rel=icon]").get_attribute("href")
    with urllib.request.urlopen(app_server.url + icon, timeout=5) as response:  # noqa: S310 (loopback)
        assert response.status == 200
    # "Overdue receivables" and its counter keep a space between them.
    page.goto("/deals/receivables/")
    gap = page.locator("h1.page-title").evaluate("(el) => parseFloat(getComputedStyle(el).columnGap) || 0")
    assert gap > 0
    screens(page, "receivables")


def test_marketer_has_no_analytics_in_the_menu(browser_page, screens):
    page = browser_page("maria")
    assert page.locator("aside a[href='/deals/analytics/']").count() == 0
    assert page.locator("aside a[href='/reports/']").count() == 1
    page = browser_page("admin", viewport=PHONE)
    page.goto("/leads/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screens(page, "lead list on a phone (en)")
