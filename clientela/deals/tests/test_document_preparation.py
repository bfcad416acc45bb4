"""Preparing a document from the deal's card: the dialog's answer lands on the deal with the PDF
link and its preview, a double submit (or two requests at once) makes one document, a deal with an
amount and no products is offered its first line in the dialog, the PDF shows in the browser, and
its product table keeps "Discount" and "Total" apart."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from clientela.conftest import login
from clientela.core.tests.sqlite_file import run_on_file_database
from clientela.deals.catalogue import services as catalogue_services
from clientela.deals.documents import services as document_services
from clientela.deals.forms import DocumentForm
from clientela.deals.models import Deal, DealLine, Document

pytestmark = pytest.mark.urls("clientela.deals.tests.urls")


@pytest.fixture
def deal_with_line(world, products, make_deal) -> Deal:
    deal = make_deal(amount="0", title="Security audit")
    catalogue_services.line_add(by=world.manager_north, deal=deal, product=products["audit"], quantity="2")
    return Deal.objects.get(pk=deal.pk)


def prepare(client, deal: Deal, **data) -> object:
    fields = {"kind": "proposal", "language": "en", "title": "", **data}
    return client.post(reverse("deals:document_create", args=[deal.pk]), fields, HTTP_HX_REQUEST="true")


def form_key(client, deal: Deal) -> str:
    page = client.get(reverse("deals:document_create", args=[deal.pk]), HTTP_HX_REQUEST="true")
    return re.search(r'name="request_key" value="([0-9a-f]+)"', page.content.decode()).group(1)


def test_the_dialog_answers_with_the_deal_showing_the_new_pdf_link_and_preview(client, world, deal_with_line):
    login(client, world.manager_north)
    response = prepare(client, deal_with_line, request_key=form_key(client, deal_with_line))
    assert response.status_code == 200
    document = Document.objects.get()
    version = document.versions.get()
    target = response["HX-Redirect"]
    # A new address (not only "#deal-documents" on the page already open): the browser loads it,
    # so the dialog closes and the card shows what was made.
    assert target.startswith(reverse("deals:detail", args=[deal_with_line.pk]) + "?preview=")
    page = client.get(target.split("#")[0]).content.decode()
    pdf_url = reverse("deals:document_pdf", args=[version.pk])
    assert f"{document.number} prepared." in page
    assert f'<iframe src="{pdf_url}"' in page, "the PDF is previewed on the deal"
    assert f'href="{pdf_url}"' in page, "and linked"


def test_the_same_form_sent_twice_prepares_one_document(client, world, deal_with_line):
    login(client, world.manager_north)
    key = form_key(client, deal_with_line)
    first = prepare(client, deal_with_line, request_key=key)
    second = prepare(client, deal_with_line, request_key=key)
    assert Document.objects.count() == 1
    assert first["HX-Redirect"] == second["HX-Redirect"], "the second click answers the same document"
    # A new dialog is a new request: it prepares another document.
    prepare(client, deal_with_line, request_key=form_key(client, deal_with_line))
    assert Document.objects.count() == 2


def test_every_opened_dialog_carries_its_own_request_key(client, world, deal_with_line):
    login(client, world.manager_north)
    assert form_key(client, deal_with_line) != form_key(client, deal_with_line)


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_with_one_key_make_one_document(world, deal_with_line, tmp_path):
    outcome = run_on_file_database(
        tmp_path,
        f"""
        from clientela.deals.documents.services import document_create
        from clientela.deals.models import Deal, Document
        from clientela.users.models import User

        user, deal = User.objects.get(pk={world.manager_north.pk}), Deal.objects.get(pk={deal_with_line.pk})
        barrier, made, errors = threading.Barrier(2), [], []

        def submit():
            try:
                barrier.wait()
                made.append(document_create(by=user, deal=deal, request_key="one-click").pk)
            except Exception as exc:
                errors.append(repr(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=submit) for _ in range(2)]
        [thread.start() for thread in threads]
        [thread.join() for thread in threads]
        print(json.dumps({{"made": made, "errors": errors, "documents": Document.objects.count()}}))
        """,
    )
    assert outcome["errors"] == []
    assert outcome["documents"] == 1 and len(set(outcome["made"])) == 1, outcome


def test_a_deal_with_an_amount_and_no_products_is_offered_its_first_line(client, world, make_deal):
    deal = make_deal(amount="2500.00", title="Fleet tracking")
    assert not deal.lines.exists()
    form = DocumentForm(deal=deal)
    assert form.needs_line
    assert (form["line_name"].value(), form["line_quantity"].value(), form["line_unit_price"].value()) == (
        "Fleet tracking",
        "1",
        "2500.00",
    )
    login(client, world.manager_north)
    page = client.get(reverse("deals:document_create", args=[deal.pk]), HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert 'name="line_name"' in html and 'value="Fleet tracking"' in html and 'value="2500.00"' in html

    response = prepare(
        client,
        deal,
        request_key=form_key(client, deal),
        line_name="Fleet tracking, 12 vehicles",
        line_quantity="2",
        line_unit_price="1250",
    )
    assert response.status_code == 200, response.content.decode()[:500]
    line = DealLine.objects.get(deal=deal)
    assert (line.name, line.quantity, line.unit_price) == ("Fleet tracking, 12 vehicles", 2, Decimal("1250"))
    document = Document.objects.get(deal=deal)
    assert document.versions.get().total == Decimal("2500.00")


def test_the_first_line_problems_show_on_its_fields_before_anything_is_made(client, world, make_deal):
    deal = make_deal(amount="2500.00", title="Fleet tracking")
    login(client, world.manager_north)
    response = prepare(client, deal, request_key="x", line_name="", line_quantity="1", line_unit_price="10")
    assert response.status_code == 422
    assert "Choose a product or describe the line." in response.content.decode()
    response = prepare(
        client, deal, request_key="y", line_name="Tracking", line_quantity="1", line_unit_price="abc"
    )
    assert response.status_code == 422
    assert "Add products to the deal first" not in response.content.decode()
    assert not Document.objects.exists() and not deal.lines.exists()


def test_a_deal_with_products_is_not_asked_for_a_line(world, deal_with_line):
    assert not DocumentForm(deal=deal_with_line).needs_line


def test_the_pdf_is_shown_in_the_browser_and_downloaded_on_request(client, world, deal_with_line):
    document = document_services.document_create(by=world.manager_north, deal=deal_with_line)
    version = document.versions.get()
    login(client, world.manager_north)
    url = reverse("deals:document_pdf", args=[version.pk])
    shown = client.get(url)
    assert shown["Content-Type"] == "application/pdf"
    assert shown["Content-Disposition"].startswith("inline")
    assert shown["X-Frame-Options"] == "SAMEORIGIN", "the deal's page may frame it"
    downloaded = client.get(url + "?download=1")
    assert downloaded["Content-Disposition"].startswith("attachment")


def test_the_pdf_product_table_keeps_discount_and_total_apart(world, deal_with_line):
    document = document_services.document_create(by=world.manager_north, deal=deal_with_line)
    with document.versions.get().pdf.open("rb") as handle:
        page = PdfReader(io.BytesIO(handle.read())).pages[0]
    layout = page.extract_text(extraction_mode="layout")
    header = next(line for line in layout.splitlines() if "Unit price" in line)
    assert re.search(r"Discount\s{2,}Total", header), header
    assert "DiscountTotal" not in layout
