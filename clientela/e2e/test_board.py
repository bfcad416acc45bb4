"""The sales board in a real browser: at 1440 px every stage is reached by scrolling the board
itself (the page never scrolls sideways), column totals are in the base currency with the
breakdown in a keyboard-reachable tooltip, a phone gets one stage at a time, and a deal dragged
with the mouse to the next stage stays there."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from clientela.e2e.conftest import PHONE
from clientela.e2e.journey import unique_tag


def _deal(app_server, *, title: str, currency: str, amount: str, stage_index: int = 0) -> dict:
    """A deal of Elena's (head, Bucharest) in the default pipeline's `stage_index`-th open stage."""
    code = f"""
import json
from clientela.clients.models import Client
from clientela.deals.models import Pipeline
from clientela.deals.services import deal_create
from clientela.users.models import User
elena = User.objects.get(username="elena")
pipeline = Pipeline.objects.get(is_default=True)
stages = list(pipeline.stages.filter(is_active=True, is_won=False, is_lost=False).order_by("position", "id"))
client = Client.objects.visible_to(elena).filter(country="RO").order_by("id").first()
deal = deal_create(by=elena, client=client, title={title!r}, pipeline=pipeline, stage=stages[{stage_index}],
                   owner=elena, amount={amount!r}, currency={currency!r})
print(json.dumps({{"pk": deal.pk, "stage": deal.stage_id, "next": stages[{stage_index} + 1].pk}}))
"""
    return json.loads(app_server.shell(code).splitlines()[-1])


def _page_fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_every_stage_is_reached_inside_the_board_and_totals_are_in_the_base_currency(
    app_server, browser_page, screens
):
    tag = unique_tag(6)
    deal = _deal(app_server, title=f"Swiss order {tag}", currency="CHF", amount="1000", stage_index=1)
    page = browser_page("elena", locale="en-GB")
    page.goto("/deals/board/")
    board = page.locator("[data-kanban-scroller]")
    columns = board.locator(".kanban-column")
    expect(columns.first).to_be_visible()
    assert columns.count() > 5
    assert _page_fits(page), "the page scrolls sideways"
    sidebar_left = page.locator("aside").first.bounding_box()["x"]
    # The board says that more stages lie beyond its edge.
    expect(page.locator('[data-kanban-step="1"]')).to_be_visible()
    screens(page, "board 1440", full_page=False)

    area = board.bounding_box()
    for index in range(columns.count()):
        column = columns.nth(index)
        page.locator("[data-kanban-tab]").nth(index).click()
        page.wait_for_function(
            "([el, area]) => { const r = el.getBoundingClientRect();"
            " return r.left >= area.x - 1 && r.right <= area.x + area.width + 1; }",
            arg=[column.element_handle(), area],
        )
        expect(column.locator("h2")).to_be_in_viewport()
    assert _page_fits(page), "the page scrolls sideways once the board is scrolled"
    assert page.locator("aside").first.bounding_box()["x"] == sidebar_left
    screens(page, "board scrolled to the last stages", full_page=False)

    # The column with the Swiss franc deal: its total is in euros, the franc is shown apart,
    # and the per-currency breakdown is the total's tooltip, reached with the keyboard.
    column = page.locator(f'[data-testid="column-{deal["stage"]}"]')
    page.locator(f'[data-kanban-tab="column-{deal["stage"]}"]').click()
    total = column.locator(".kanban-total-value")
    expect(total).to_have_text(re.compile(r"^[\d\u00a0]+\.\d\d\u00a0EUR$"))
    expect(column.get_by_test_id("column-total-missing")).to_contain_text("CHF")
    total.focus()
    tooltip = page.get_by_role("tooltip")
    expect(tooltip).to_contain_text("RON ×")
    expect(tooltip).to_contain_text("CHF")
    page.wait_for_function("getComputedStyle(document.querySelector('.tooltip')).opacity > 0.85")
    screens(page, "total with its breakdown", full_page=False)


def test_a_phone_shows_the_board_one_stage_at_a_time(app_server, browser_page, screens):
    tag = unique_tag(6)
    deal = _deal(app_server, title=f"Phone order {tag}", currency="RON", amount="2500")
    page = browser_page("elena", viewport=PHONE, locale="en-GB")
    page.goto("/deals/board/")
    card = page.locator(f'.kanban-card[data-deal="{deal["pk"]}"]')
    expect(card).to_be_in_viewport()
    assert _page_fits(page), "the board makes the page wider than the phone"
    screens(page, "board 390", full_page=False)
    card.get_by_role("link", name=f"Phone order {tag}").click()
    expect(page).to_have_url(re.compile(rf"/deals/{deal['pk']}/$"))
    expect(page.get_by_role("heading", name=f"Phone order {tag}")).to_be_visible()


def test_a_deal_dragged_to_the_next_stage_stays_there(app_server, browser_page, screens):
    tag = unique_tag(6)
    deal = _deal(app_server, title=f"Dragged deal {tag}", currency="RON", amount="4000")
    page = browser_page("elena", locale="en-GB")
    page.goto("/deals/board/")
    card = page.locator(f'.kanban-card[data-deal="{deal["pk"]}"]')
    target = page.locator(f'[data-kanban-column][data-stage="{deal["next"]}"]')
    expect(card).to_be_visible()
    # With the mouse, as a person drags: press on the card, move over the next column, release.
    card.locator(".kanban-card-title").hover()
    box = card.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 10)
    page.mouse.down()
    goal = target.bounding_box()
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + 20, steps=12)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + 30, steps=4)
    page.mouse.up()
    expect(page.locator("[data-kanban-alert]")).to_contain_text(f"Dragged deal {tag}")
    page.reload()
    moved = page.locator(
        f'[data-kanban-column][data-stage="{deal["next"]}"] .kanban-card[data-deal="{deal["pk"]}"]'
    )
    expect(moved).to_be_visible()
    screens(page, "after the drag and a reload", full_page=False)
