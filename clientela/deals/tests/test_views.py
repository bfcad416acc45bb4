"""Deal pages: the kanban board (counts, totals, drag and drop through the move endpoint, the
dialog when a stage needs input, stale cards), the list, the card, create/edit with conflicts,
documents, payments, receivables — scoped for every role, with pinned query counts."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from clientela.conftest import login
from clientela.deals import services
from clientela.deals.board import services as board_services
from clientela.deals.board.selectors import BOARD_CARDS
from clientela.deals.catalogue import services as catalogue_services
from clientela.deals.documents import services as document_services
from clientela.deals.models import Deal, DealStageChange, Document, LostReason, Objection, Payment
from clientela.deals.payments import services as payment_services
from clientela.deals.tests.conftest import pipeline, stage

pytestmark = pytest.mark.urls("clientela.deals.tests.urls")


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode().replace("\u00a0", " "))


def board_url(code: str = "corporate", **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{reverse('deals:board')}?pipeline={pipeline(code).pk}" + (f"&{query}" if query else "")


# --- the board -----------------------------------------------------------------------------------


def test_board_shows_columns_with_counts_and_totals(client, world, make_deal):
    make_deal(amount="1000")
    make_deal(amount="250.50")
    make_deal(amount="99", currency="EUR")
    moved = make_deal(amount="10")
    board_services.deal_move(by=world.manager_north, deal=moved, stage=stage("negotiation"))
    login(client, world.manager_north)
    response = client.get(board_url())
    assert response.status_code == 200
    page = text_of(response)
    first = stage("first_contact").pk
    column = page.split(f'data-testid="column-{first}"')[1].split("</section>")[0]
    assert 'data-testid="column-count">3<' in column
    # No rate recorded: the euros are the total, the lei are shown apart (see test_exchange_rates).
    assert "99.00 EUR</span>" in column and "no rate for RON: 1 250.50 RON" in column
    negotiation = page.split(f'data-testid="column-{stage("negotiation").pk}"')[1].split("</section>")[0]
    assert 'data-testid="column-count">1<' in negotiation and "10.00 RON" in negotiation
    assert "Sortable.min.js" in page and "kanban.js" in page


def test_the_board_opens_on_a_pipeline_where_the_viewer_has_deals(client, world, make_deal, clients):
    make_deal(pipeline_code="direct", title="Field visit")
    make_deal(owner=world.manager_south, client=clients["south"], title="South deal")
    login(client, world.manager_north)
    page = text_of(client.get(reverse("deals:board")))
    assert "Field visit" in page and f'data-pipeline="{pipeline("direct").pk}"' in page
    # Someone without open deals lands on the default pipeline; a chosen one is kept.
    login(client, world.manager_north2)
    assert f'data-pipeline="{pipeline().pk}"' in text_of(client.get(reverse("deals:board")))
    login(client, world.manager_south)
    assert "South deal" in text_of(client.get(reverse("deals:board")))
    assert "South deal" not in text_of(client.get(board_url("direct")))


def test_marketers_see_the_board_without_amounts(client, world, make_deal):
    make_deal(amount="1234.56")
    login(client, world.marketer_north)
    page = text_of(client.get(board_url()))
    assert 'data-testid="column-count">1<' in page
    assert "1 234.56" not in page and 'data-testid="column-total"' not in page
    assert "data-move-url" not in page  # cards cannot be dragged


def test_board_is_scoped_and_filtered(client, world, make_deal, clients):
    make_deal(title="Mara deal")
    make_deal(owner=world.manager_north2, client=clients["north2"], title="Nelu deal")
    make_deal(owner=world.manager_south, client=clients["south"], title="South deal")
    login(client, world.manager_south)
    page = text_of(client.get(board_url()))
    assert "South deal" in page and "Mara deal" not in page and "Nelu deal" not in page
    login(client, world.head_north)
    page = text_of(client.get(board_url(owner=world.manager_north2.pk)))
    assert "Nelu deal" in page and "Mara deal" not in page
    response = client.get(board_url(owner="me"), headers={"HX-Request": "true"})
    assert "<html" not in response.content.decode() and "Nelu deal" not in text_of(response)


def test_board_queries_stay_flat_and_columns_are_capped(
    client, world, make_deal, django_assert_max_num_queries
):
    login(client, world.manager_north)
    make_deal()
    client.get(board_url())
    with django_assert_max_num_queries(12) as few:
        client.get(board_url())
    for _ in range(BOARD_CARDS + 2):
        make_deal()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(board_url())
    page = text_of(response)
    assert f'data-testid="column-count">{BOARD_CARDS + 3}<' in page
    assert page.count('class="kanban-card"') == BOARD_CARDS
    assert "Show 3 more" in page
    more_url = reverse("deals:board_more", args=[stage("first_contact").pk])
    more = client.get(f"{more_url}?pipeline={pipeline().pk}&offset={BOARD_CARDS}")
    assert text_of(more).count('class="kanban-card"') == 3


def test_card_links_follow_the_url_layout():
    # Board cards build their links from the list URL (hundreds of reverse() calls saved).
    root = reverse("deals:list")
    assert reverse("deals:detail", args=[7]) == f"{root}7/"
    assert reverse("deals:move", args=[7]) == f"{root}7/move/"


def test_dragging_a_card_moves_the_deal_and_answers_the_board(client, world, make_deal):
    deal = make_deal()
    login(client, world.manager_north)
    response = client.post(
        reverse("deals:move", args=[deal.pk]),
        {
            "stage": stage("negotiation").pk,
            "version": deal.version,
            "board": "1",
            "board_query": f"pipeline={pipeline().pk}",
        },
    )
    assert response.status_code == 200
    assert 'class="kanban"' in response.content.decode() and "<html" not in response.content.decode()
    stored = Deal.objects.get(pk=deal.pk)
    assert stored.stage.code == "negotiation" and stored.version == 2
    assert DealStageChange.objects.filter(deal=deal).count() == 2


def test_dropping_on_lost_asks_for_the_reason_then_moves(client, world, make_deal):
    deal = make_deal()
    login(client, world.manager_north)
    url = reverse("deals:move", args=[deal.pk])
    board_query = f"pipeline={pipeline().pk}"
    response = client.post(
        url, {"stage": stage("lost").pk, "version": 1, "board": "1", "board_query": board_query}
    )
    assert response.status_code == 422
    form = text_of(response)
    assert "Why was it lost?" in form and "Say why the deal was lost." in form
    assert 'name="board" value="1"' in form and "<html" not in form
    assert Deal.objects.get(pk=deal.pk).status == "open"
    reason = LostReason.objects.get(code="price")
    response = client.post(
        url,
        {
            "stage": stage("lost").pk,
            "version": 1,
            "lost_reason": reason.pk,
            "board": "1",
            "board_query": board_query,
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#deal-board" and "dealMoved" in response["HX-Trigger"]
    stored = Deal.objects.get(pk=deal.pk)
    assert stored.status == "lost" and stored.lost_reason == reason


def test_dropping_on_won_wins_at_once_with_one_payment_at_the_terms(client, world, make_deal):
    deal = make_deal(amount="900")
    login(client, world.manager_north)
    url = reverse("deals:move", args=[deal.pk])
    response = client.post(url, {"stage": stage("won").pk, "version": 1, "board": "1"})
    assert response.status_code == 200
    assert Deal.objects.get(pk=deal.pk).status == "won"
    [payment] = Payment.objects.filter(deal=deal)
    assert payment.amount == Decimal("900.00") and payment.due_date > dt.date.today()


def test_the_won_form_offers_the_default_and_checks_a_schedule_given(client, world, make_deal):
    deal = make_deal(amount="900")
    login(client, world.manager_north)
    url = reverse("deals:move", args=[deal.pk])
    page = text_of(client.get(reverse("deals:win", args=[deal.pk])))
    assert "leave it empty for one payment of the amount due in 30 days" in page
    response = client.post(
        url, {"stage": stage("won").pk, "version": 1, "board": "1", "due_0": "2030-01-01", "pay_0": "400"}
    )
    assert response.status_code == 422 and "must add up to the deal amount" in text_of(response)
    response = client.post(
        url, {"stage": stage("won").pk, "version": 1, "board": "1", "due_0": "2030-01-01", "pay_0": "900.001"}
    )
    assert response.status_code == 422
    row = text_of(response).split('name="pay_0"')[1].split("</td>")[0]
    assert "at most 2 decimal places" in row  # shown next to the row's amount
    assert not Payment.objects.exists()
    response = client.post(
        url,
        {
            "stage": stage("won").pk,
            "version": 1,
            "board": "1",
            "due_0": "2030-01-01",
            "pay_0": "400",
            "due_1": "2030-02-01",
            "pay_1": "500",
        },
    )
    assert response.status_code == 200
    assert Deal.objects.get(pk=deal.pk).status == "won"
    assert Payment.objects.filter(deal=deal).count() == 2


def test_a_stale_card_gets_the_fresh_board_and_a_message(client, world, make_deal):
    deal = make_deal()
    services.deal_update(by=world.head_north, deal=deal, data={"title": "Edited meanwhile"}, version=1)
    login(client, world.manager_north)
    response = client.post(
        reverse("deals:move", args=[deal.pk]), {"stage": stage("negotiation").pk, "version": 1, "board": "1"}
    )
    assert response.status_code == 409
    page = text_of(response)
    assert "Someone else changed this deal" in page and 'class="kanban"' in page
    assert Deal.objects.get(pk=deal.pk).stage.code == "first_contact"


@pytest.mark.parametrize(
    ("who", "status"), [("manager_south", 404), ("manager_north2", 404), ("marketer_north", 403)]
)
def test_moving_someone_elses_deal_is_refused(client, world, make_deal, who, status):
    deal = make_deal()
    login(client, getattr(world, who))
    response = client.post(
        reverse("deals:move", args=[deal.pk]), {"stage": stage("negotiation").pk, "board": "1"}
    )
    assert response.status_code == status
    assert Deal.objects.get(pk=deal.pk).stage.code == "first_contact"


def test_the_move_page_works_without_javascript(client, world, make_deal):
    deal = make_deal(pipeline_code="direct", amount="0")
    login(client, world.manager_north)
    page = client.get(reverse("deals:win", args=[deal.pk]))
    assert page.status_code == 200 and "Win the deal" in text_of(page)
    response = client.post(
        reverse("deals:win", args=[deal.pk]), {"stage": stage("won", "direct").pk, "version": 1}
    )
    assert response.status_code == 422 and "amount above zero" in text_of(response)
    response = client.post(
        reverse("deals:win", args=[deal.pk]),
        {"stage": stage("won", "direct").pk, "version": 1, "amount": "1 500"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("deals:detail", args=[deal.pk])
    assert Deal.objects.get(pk=deal.pk).amount == Decimal("1500.00")


# --- list ------------------------------------------------------------------------------------------


def test_list_is_scoped_and_shows_amounts_only_to_sellers(
    client, world, make_deal, clients, django_assert_max_num_queries
):
    make_deal(title="Alpha", amount="4321")
    make_deal(owner=world.manager_south, client=clients["south"], title="Bravo")
    login(client, world.manager_north)
    page = text_of(client.get(reverse("deals:list")))
    assert "Alpha" in page and "Bravo" not in page and "4 321.00 RON" in page
    login(client, world.marketer_north)
    page = text_of(client.get(reverse("deals:list")))
    assert "Alpha" in page and "4 321" not in page
    login(client, world.admin)
    client.get(reverse("deals:list"))
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("deals:list"))
    for index in range(15):
        make_deal(title=f"Deal {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("deals:list")).status_code == 200


def test_list_filters(client, world, make_deal):
    overdue = make_deal(title="Owes money")
    payment_services.payment_create(
        by=world.manager_north,
        deal=overdue,
        kind="expected",
        amount="10",
        due_date=timezone.localdate() - dt.timedelta(days=2),
    )
    make_deal(title="Pays on time")
    login(client, world.manager_north)
    page = text_of(client.get(reverse("deals:list") + "?attention=overdue_receivables"))
    assert "Owes money" in page and "Pays on time" not in page and "10.00 RON overdue" in page
    page = text_of(client.get(reverse("deals:list") + "?q=pays"))
    assert "Pays on time" in page and "Owes money" not in page
    response = client.get(reverse("deals:list") + "?status=bogus&pipeline=abc")
    assert response.status_code == 200


# --- the card --------------------------------------------------------------------------------------


def test_card_shows_lines_payments_documents_and_history(client, world, make_deal, products):
    deal = make_deal(amount="0")
    catalogue_services.line_add(by=world.manager_north, deal=deal, product=products["audit"], quantity="2")
    document = document_services.document_create(by=world.manager_north, deal=Deal.objects.get(pk=deal.pk))
    payment_services.payment_create(
        by=world.manager_north,
        deal=deal,
        kind="expected",
        amount="1000",
        due_date=timezone.localdate() - dt.timedelta(days=3),
    )
    login(client, world.manager_north)
    page = text_of(client.get(reverse("deals:detail", args=[deal.pk])))
    assert "Аудит безопасности" in page and "3 000.00 RON" in page
    assert (
        document.number in page and reverse("deals:document_pdf", args=[document.versions.get().pk]) in page
    )
    assert 'data-testid="overdue-alert"' in page and "1 000.00 RON" in page
    assert "No next step is planned" in page
    login(client, world.marketer_north)
    page = text_of(client.get(reverse("deals:detail", args=[deal.pk])))
    assert "Аудит безопасности" in page and "3 000.00" not in page and document.number not in page
    login(client, world.manager_south)
    assert client.get(reverse("deals:detail", args=[deal.pk])).status_code == 404


def test_card_actions_add_lines_payments_objections_and_notes(client, world, make_deal, products):
    deal = make_deal(amount="0")
    login(client, world.manager_north)
    response = client.post(
        reverse("deals:line_add", args=[deal.pk]),
        {"product": products["licence"].pk, "quantity": "4", "version": 1},
    )
    assert response.status_code == 302
    assert Deal.objects.get(pk=deal.pk).amount == Decimal("399.60")
    response = client.post(
        reverse("deals:line_add", args=[deal.pk]),
        {"name": "Bad", "quantity": "1", "unit_price": "1.234"},
        follow=True,
    )
    assert "at most 2 decimal places" in text_of(response)
    assert Deal.objects.get(pk=deal.pk).lines.count() == 1
    response = client.post(
        reverse("deals:payment_add", args=[deal.pk]), {"kind": "received", "amount": "100"}
    )
    assert response.status_code == 302 and Payment.objects.filter(deal=deal, kind="received").exists()
    objection = Objection.objects.create(text="Too expensive", answer="Value.")
    client.post(reverse("deals:objection_add", args=[deal.pk]), {"objection": objection.pk})
    assert deal.objections.count() == 1
    client.post(reverse("deals:note_add", args=[deal.pk]), {"text": "Called Ioana"})
    assert deal.events.filter(kind="note", text="Called Ioana").exists()
    line = deal.lines.get()
    client.post(
        reverse("deals:line_remove", args=[deal.pk, line.pk]),
        {"version": Deal.objects.get(pk=deal.pk).version},
    )
    assert not deal.lines.exists()
    login(client, world.manager_north2)
    assert client.post(reverse("deals:note_add", args=[deal.pk]), {"text": "x"}).status_code == 404


def test_documents_from_the_card(client, world, make_deal, products):
    deal = make_deal(amount="0")
    catalogue_services.line_add(by=world.manager_north, deal=deal, product=products["audit"], quantity="1")
    login(client, world.manager_north)
    response = client.post(
        reverse("deals:document_create", args=[deal.pk]),
        {"kind": "proposal", "language": "ro", "title": "Ofertă"},
    )
    assert response.status_code == 302
    document = Document.objects.get()
    version = document.versions.get()
    pdf = client.get(reverse("deals:document_pdf", args=[version.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert f"{document.number}-v1.pdf" in pdf["Content-Disposition"]
    client.post(reverse("deals:document_send", args=[version.pk]), {"to": "ioana@example.ro"})
    client.post(reverse("deals:document_revise", args=[document.pk]))
    assert document.versions.count() == 2
    page = text_of(client.get(reverse("deals:detail", args=[deal.pk])))
    assert "sent" in page and "ioana@example.ro" in page and "v2" in page
    login(client, world.marketer_north)
    assert client.get(reverse("deals:document_pdf", args=[version.pk])).status_code == 404
    login(client, world.manager_south)
    assert client.get(reverse("deals:document_pdf", args=[version.pk])).status_code == 404


# --- create and edit -------------------------------------------------------------------------------


def test_create_a_deal_from_the_page(client, world, clients):
    login(client, world.manager_north)
    page = client.get(reverse("deals:create") + f"?client={clients['north'].pk}")
    assert page.status_code == 200 and "Ștefan &amp; Fiii" in page.content.decode()
    assert "ООО Морозов" not in page.content.decode()  # another team's client is not offered
    response = client.post(
        reverse("deals:create"),
        {
            "client": clients["north"].pk,
            "pipeline": pipeline("retail").pk,
            "title": "Shop order",
            "amount": "12,5",
            "currency": "RON",
        },
    )
    assert response.status_code == 422 and "Enter a number" in text_of(response)
    assert not Deal.objects.exists()
    response = client.post(
        reverse("deals:create"),
        {
            "client": clients["north"].pk,
            "pipeline": pipeline("retail").pk,
            "title": "Shop order",
            "amount": "1 250.50",
            "currency": "eur",
        },
    )
    deal = Deal.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("deals:detail", args=[deal.pk])
    assert (deal.amount, deal.currency, deal.stage.code) == (Decimal("1250.50"), "EUR", "enquiry")
    response = client.post(
        reverse("deals:create"), {"client": clients["south"].pk, "pipeline": pipeline().pk}
    )
    assert response.status_code == 422 and Deal.objects.count() == 1


def test_an_edit_over_someone_elses_change_is_refused_with_a_clear_message(client, world, make_deal):
    deal = make_deal()
    login(client, world.manager_north)
    form = client.get(reverse("deals:edit", args=[deal.pk]))
    assert 'name="version"' in form.content.decode()
    services.deal_update(by=world.head_north, deal=deal, data={"title": "Head's title"}, version=1)
    response = client.post(
        reverse("deals:edit", args=[deal.pk]),
        {"version": 1, "title": "My title", "client": deal.client_id, "amount": "1000.00", "currency": "RON"},
    )
    assert response.status_code == 422
    assert "someone else saved this deal first" in text_of(response)
    assert Deal.objects.get(pk=deal.pk).title == "Head's title"
    response = client.post(
        reverse("deals:edit", args=[deal.pk]),
        {"version": 2, "title": "My title", "client": deal.client_id, "amount": "1000.00", "currency": "RON"},
    )
    assert response.status_code == 302 and Deal.objects.get(pk=deal.pk).title == "My title"


def test_pickers_are_scoped(client, world, clients):
    login(client, world.manager_north)
    found = client.get(reverse("deals:client_options") + "?q=fiii").json()["items"]
    assert [item["text"] for item in found] == ["Ștefan & Fiii"]
    assert client.get(reverse("deals:client_options") + "?q=Морозов").json()["items"] == []
    options = client.get(reverse("deals:contact_options") + f"?client={clients['north'].pk}").content.decode()
    assert "Ioana Pop" in options
    assert (
        client.get(reverse("deals:contact_options") + f"?client={clients['south'].pk}")
        .content.decode()
        .strip()
        == ""
    )


# --- receivables, analytics, the client card section -----------------------------------------------


def test_receivables_page(client, world, make_deal, clients):
    deal = make_deal(title="Late payer")
    payment_services.payment_create(
        by=world.manager_north,
        deal=deal,
        kind="expected",
        amount="700",
        due_date=timezone.localdate() - dt.timedelta(days=9),
    )
    south = make_deal(owner=world.manager_south, client=clients["south"], title="Southern debt")
    payment_services.payment_create(
        by=world.manager_south,
        deal=south,
        kind="expected",
        amount="5",
        due_date=timezone.localdate() - dt.timedelta(days=1),
    )
    login(client, world.manager_north)
    page = text_of(client.get(reverse("deals:receivables")))
    assert "Late payer" in page and "700.00 RON" in page and "Southern debt" not in page
    login(client, world.marketer_north)
    assert client.get(reverse("deals:receivables")).status_code == 403


def test_analytics_page_is_the_deal_funnel_report(client, world, make_deal):
    deal = make_deal()
    board_services.deal_move(by=world.manager_north, deal=deal, stage=stage("needs_identified"))
    login(client, world.head_north)
    response = client.get(reverse("deals:stats") + f"?pipeline={pipeline().pk}", follow=True)
    assert response.redirect_chain[0][0] == f"/reports/deal-funnel/?pipeline={pipeline().pk}"
    page = text_of(response)
    assert "Needs identified" in page and "100.0 %" in page


def test_client_card_section(world, make_deal, clients):
    make_deal(title="Card deal", amount="42")
    request = RequestFactory().get("/")
    request.user = world.manager_north
    html = Template('{% include "deals/_client_deals.html" %}').render(
        Context({"client": clients["north"], "viewer": world.manager_north, "request": request})
    )
    assert (
        "Card deal" in html
        and "42.00" in html
        and reverse("deals:create") + f"?client={clients['north'].pk}" in html
    )
    html = Template('{% include "deals/_client_deals.html" %}').render(
        Context({"client": clients["north"], "viewer": world.manager_south, "request": request})
    )
    assert "Card deal" not in html


@pytest.mark.urls("clientela.core.tests.toy.urls")
def test_the_card_queries_do_not_grow_with_its_history(
    client, world, make_deal, products, django_assert_max_num_queries
):
    deal = make_deal(amount="0")
    catalogue_services.line_add(by=world.manager_north, deal=deal, product=products["audit"], quantity="1")
    document_services.document_create(by=world.manager_north, deal=Deal.objects.get(pk=deal.pk))
    login(client, world.manager_north)
    url = reverse("deals:detail", args=[deal.pk])
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    objection = Objection.objects.create(text="Too expensive", answer="Value.")
    for index in range(5):
        catalogue_services.line_add(
            by=world.manager_north, deal=Deal.objects.get(pk=deal.pk), name=f"Extra {index}", unit_price="5"
        )
        payment_services.payment_create(by=world.manager_north, deal=deal, kind="received", amount="1")
        board_services.objection_record(by=world.manager_north, deal=deal, objection=objection)
    document = Document.objects.get()
    for _ in range(3):
        document_services.document_revise(by=world.manager_north, document=document)
    document_services.document_create(
        by=world.manager_north, deal=Deal.objects.get(pk=deal.pk), kind="invoice"
    )
    board_services.deal_move(
        by=world.manager_north, deal=Deal.objects.get(pk=deal.pk), stage=stage("negotiation")
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
