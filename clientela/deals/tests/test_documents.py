"""Proposals and documents: numbering per kind and year, versions kept, PDF content (with
Cyrillic and Romanian/Hungarian diacritics), safe templates, the timeline."""

from __future__ import annotations

import base64
import datetime as dt
import io
import unicodedata

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from clientela.core.errors import BusinessError
from clientela.deals import settings_services as config
from clientela.deals.catalogue import services as catalogue_services
from clientela.deals.choices import DealEventKind, DocumentStatus
from clientela.deals.documents import services as document_services
from clientela.deals.documents.pdf import _link_callback, html_to_pdf
from clientela.deals.models import (
    Deal,
    DealEvent,
    Document,
    DocumentCounter,
    DocumentTemplate,
    DocumentVersion,
)

pytestmark = pytest.mark.urls("clientela.deals.tests.urls")

# A 1×1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def pdf_text(data: bytes) -> str:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return unicodedata.normalize("NFC", text.replace("\u00a0", " "))


def version_text(version: DocumentVersion) -> str:
    with version.pdf.open("rb") as handle:
        return pdf_text(handle.read())


@pytest.fixture
def deal(world, clients, products, make_deal) -> Deal:
    deal = make_deal(amount="0", title="Audit Țară")
    catalogue_services.line_add(
        by=world.manager_north, deal=deal, product=products["audit"], quantity="2", discount_percent="10"
    )
    catalogue_services.line_add(by=world.manager_north, deal=deal, product=products["licence"], quantity="3")
    catalogue_services.line_add(
        by=world.manager_north, deal=deal, name="Árvíztűrő tükörfúrógép", quantity="1", unit_price="12.50"
    )
    return Deal.objects.get(pk=deal.pk)


def test_a_proposal_pdf_shows_client_lines_and_totals_in_any_script(world, deal):
    config.company_update(
        by=world.admin,
        data={
            "name": "Northwind",
            "legal_name": "Northwind Trading SRL",
            "tax_id": "RO40112233",
            "bank_details": "IBAN RO49",
        },
    )
    document = document_services.document_create(
        by=world.manager_north, deal=deal, title="Ofertă pentru Ștefan"
    )
    version = document.versions.get()
    text = version_text(version)
    assert document.number == f"P-{timezone.localdate().year}-0001"
    assert "Ștefan & Fiii" in text  # the client, with Romanian diacritics
    assert "RO1234567" in text  # the client's legal details
    assert "Northwind Trading SRL" in text and "RO40112233" in text
    assert "Аудит безопасности" in text  # Cyrillic product name
    assert "Licență software" in text
    assert "Árvíztűrő tükörfúrógép" in text  # Hungarian ő/ű
    assert "2 700.00" in text  # 2 × 1 500 − 10 %
    assert "299.70" in text  # 3 × 99.90
    assert "3 012.20 RON" in text  # total: 2 700 + 299.70 + 12.50
    assert "Ofertă pentru Ștefan" in text
    assert document.number in text
    assert version.total == deal.amount
    assert version.lines[0]["name"] == "Аудит безопасности" and version.lines[0]["total"] == "2700.00"
    assert document.valid_until == timezone.localdate() + dt.timedelta(days=14)


def test_pdf_fonts_are_embedded_whatever_the_working_directory(world, deal, monkeypatch, tmp_path):
    # A server started from another directory still writes "Ș" and Cyrillic, not Helvetica's boxes.
    monkeypatch.chdir(tmp_path)
    document = document_services.document_create(by=world.manager_north, deal=deal, title="Ofertă")
    text = version_text(document.versions.get())
    assert "Ștefan & Fiii" in text and "Аудит безопасности" in text


def test_numbers_run_per_kind_and_year_and_versions_are_kept(world, deal):
    first = document_services.document_create(by=world.manager_north, deal=deal)
    second = document_services.document_create(by=world.manager_north, deal=deal)
    invoice = document_services.document_create(by=world.manager_north, deal=deal, kind="invoice")
    year = timezone.localdate().year
    assert [first.number, second.number, invoice.number] == [
        f"P-{year}-0001",
        f"P-{year}-0002",
        f"INV-{year}-0001",
    ]
    DocumentCounter.objects.filter(prefix="P", year=year).update(last=41)
    assert document_services.document_create(by=world.manager_north, deal=deal).number == f"P-{year}-0042"
    catalogue_services.line_add(
        by=world.manager_north, deal=deal, name="Extra day", quantity="1", unit_price="1000"
    )
    v2 = document_services.document_revise(by=world.manager_north, document=first)
    assert v2.version == 2
    versions = list(DocumentVersion.objects.filter(document=first).order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].total - versions[0].total == 1000
    assert "Extra day" in version_text(versions[1]) and "Extra day" not in version_text(versions[0])
    assert Document.objects.get(pk=first.pk).current_version == 2


def test_each_sent_version_is_on_the_deals_timeline(world, deal):
    document = document_services.document_create(by=world.manager_north, deal=deal)
    document_services.document_send(
        by=world.manager_north, version=document.versions.get(version=1), to="ioana@example.ro"
    )
    v2 = document_services.document_revise(by=world.manager_north, document=document)
    document_services.document_send(by=world.manager_north, version=v2)
    sent = DealEvent.objects.filter(deal=deal, kind=DealEventKind.DOCUMENT_SENT).order_by("at", "id")
    assert [event.document_version.version for event in sent] == [1, 2]
    assert "ioana@example.ro" in sent[0].text
    assert Document.objects.get(pk=document.pk).status == DocumentStatus.SENT
    document_services.document_set_status(
        by=world.manager_north, document=Document.objects.get(pk=document.pk), status="accepted"
    )
    assert Document.objects.get(pk=document.pk).status == DocumentStatus.ACCEPTED


def test_documents_need_lines_and_a_valid_validity_date(world, make_deal, deal):
    empty = make_deal()
    with pytest.raises(BusinessError) as caught:
        document_services.document_create(by=world.manager_north, deal=empty)
    assert "lines" in caught.value.errors
    with pytest.raises(BusinessError) as caught:
        document_services.document_create(by=world.manager_north, deal=deal, valid_until=dt.date(2000, 1, 1))
    assert "valid_until" in caught.value.errors
    with pytest.raises(BusinessError) as caught:
        document_services.document_create(by=world.manager_north, deal=deal, language="xx")
    assert "language" in caught.value.errors
    assert not Document.objects.exists() and not DocumentCounter.objects.filter(last__gt=0).exists()


def test_agreements_invoices_and_acts_use_their_templates(world, deal):
    config.company_update(by=world.admin, data={"bank_details": "IBAN RO49 AAAA 1B31"})
    for kind, words in [
        ("agreement", "Agreement"),
        ("invoice", "IBAN RO49 AAAA 1B31"),
        ("act", "Act of acceptance"),
    ]:
        document = document_services.document_create(by=world.manager_north, deal=deal, kind=kind)
        assert words in version_text(document.versions.get())


def test_documents_are_written_in_the_chosen_language(world, deal):
    document = document_services.document_create(by=world.manager_north, deal=deal, language="ro")
    assert document.language == "ro"
    template = DocumentTemplate.objects.create(
        kind="proposal",
        language="ru",
        name="RU",
        is_default=True,
        body=(
            "<html><body><h1>Коммерческое предложение {{ document.number }}</h1>"
            "{% for line in lines %}<p>{{ line.name }}</p>{% endfor %}</body></html>"
        ),
    )
    russian = document_services.document_create(by=world.manager_north, deal=deal, language="ru")
    assert russian.template == template
    assert "Коммерческое предложение" in version_text(russian.versions.get())


def test_the_company_logo_is_embedded(world, deal):
    logo = SimpleUploadedFile("logo.png", PNG, content_type="image/png")
    config.company_update(by=world.admin, data={"name": "Northwind"}, logo=logo)
    document = document_services.document_create(by=world.manager_north, deal=deal)
    version = document.versions.get()
    assert "data:image/png;base64," in version.html
    reader = PdfReader(io.BytesIO(version.pdf.open("rb").read()))
    assert any("/Image" in str(obj.get("/Subtype", "")) for obj in _xobjects(reader))


def _xobjects(reader: PdfReader) -> list:
    found = []
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        xobjects = resources.get("/XObject") or {}
        found.extend(xobjects[name].get_object() for name in xobjects)
    return found


def test_templates_cannot_reach_files_or_other_hosts(world, deal, tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG)
    assert _link_callback(str(secret), "") == ""
    assert _link_callback("file:///etc/passwd", "") == ""
    assert _link_callback("http://169.254.169.254/latest", "") == ""
    assert _link_callback("font:regular", "").endswith("DejaVuSans.ttf")
    pdf = html_to_pdf(f'<html><body><p>Hello</p><img src="{secret}"></body></html>')
    assert "Hello" in pdf_text(pdf)


def test_template_errors_are_field_errors_and_write_nothing(world, deal):
    with pytest.raises(BusinessError) as caught:
        config.template_create(
            by=world.admin, data={"kind": "proposal", "language": "en", "name": "Broken", "body": "{% if %}"}
        )
    assert "body" in caught.value.errors
    with pytest.raises(BusinessError) as caught:
        config.template_create(
            by=world.admin,
            data={"kind": "proposal", "language": "en", "name": "Loader", "body": "{% load static %}"},
        )
    assert "body" in caught.value.errors
    template = DocumentTemplate.objects.create(
        kind="act", language="en", name="Include", body='{% include "base.html" %}'
    )
    with pytest.raises(BusinessError) as caught:
        document_services.document_create(by=world.manager_north, deal=deal, kind="act", template=template)
    assert "template" in caught.value.errors
    assert not Document.objects.exists()


def test_templates_see_plain_values_not_records(world, deal):
    template = DocumentTemplate.objects.create(
        kind="proposal",
        language="en",
        name="Probe",
        body="<html><body>[{{ deal.owner.password }}][{{ client.owner }}][{{ deal.owner }}]</body></html>",
    )
    document = document_services.document_create(by=world.manager_north, deal=deal, template=template)
    html = document.versions.get().html
    assert "[][][Mara]" in html
