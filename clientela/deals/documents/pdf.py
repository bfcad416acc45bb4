"""Documents as HTML and PDF: an admin-editable template rendered with plain data, then xhtml2pdf.

Templates live in the database (`DocumentTemplate`) and use Django template syntax. They are
rendered by a separate engine that can load nothing (no includes, no tag libraries) and get
only plain values — strings, numbers, lists, dicts — never model instances, so a template can
show a client's tax id but cannot reach anything else. When turning HTML into PDF only the
bundled DejaVu fonts and inline (data:) images can be fetched; any other URL is refused, so a
template cannot make the server read local files or call other hosts.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import logging
import mimetypes
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.core.zones import local_date
from clientela.deals.choices import DocumentKind
from clientela.deals.models import CompanyProfile, DealLine, Document, DocumentTemplate
from clientela.deals.money import format_money, invalid

log = logging.getLogger(__name__)

FONTS_DIR = settings.BASE_DIR / "build" / "vendor" / "fonts"
FONT_URIS = {
    "font:regular": FONTS_DIR / "DejaVuSans.ttf",
    "font:bold": FONTS_DIR / "DejaVuSans-Bold.ttf",
}
# Put before the template's own styles: DejaVu covers Latin with diacritics and Cyrillic.
FONT_CSS = (
    "<style>"
    '@font-face { font-family: DejaVu; src: url("font:regular"); }'
    '@font-face { font-family: DejaVu; src: url("font:bold"); font-weight: bold; }'
    "body { font-family: DejaVu; }"
    "</style>"
)
MAX_LOGO_BYTES = 2 * 1024 * 1024

_ENGINE = Engine(debug=False, loaders=[], libraries={}, autoescape=True)


def check_template_body(body: str) -> None:
    """Refuse a template that does not compile, naming the problem (used when saving one)."""
    try:
        _ENGINE.from_string(body)
    except TemplateSyntaxError as exc:
        raise invalid("body", _("The template has an error: %(error)s") % {"error": exc}) from exc


def render_document(template: DocumentTemplate, context: dict[str, Any]) -> str:
    try:
        compiled = _ENGINE.from_string(template.body)
        with translation.override(context["document"]["language"]):
            return compiled.render(Context(context, autoescape=True))
    except Exception as exc:
        log.warning("Document template %s failed: %s", template.pk, exc)
        raise invalid(
            "template",
            _("The template “%(name)s” could not be rendered: %(error)s") % {"name": template, "error": exc},
        ) from exc


def _link_callback(uri: str, _rel: str) -> str:
    """Only our fonts and inline images; nothing from disk or the network."""
    if uri in FONT_URIS:
        return str(FONT_URIS[uri])
    if uri.startswith("data:image/"):
        return uri
    log.info("Document asked for %s; refused.", uri[:100])
    return ""


def html_to_pdf(html: str) -> bytes:
    from xhtml2pdf import pisa
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    marker = "<head>"
    html = html.replace(marker, marker + FONT_CSS, 1) if marker in html else FONT_CSS + html
    out = io.BytesIO()
    # The renderer's own guard as well: local reads only in the fonts directory (by default it
    # is the working directory, so the fonts were refused when the app ran from elsewhere), no
    # network, and its limits for HTML an admin wrote.
    policy = ResourceAccessPolicy.server(FONTS_DIR, allow_remote=False)
    result = pisa.CreatePDF(
        html, dest=out, encoding="utf-8", link_callback=_link_callback, resource_policy=policy
    )
    if result.err:
        raise invalid("template", _("The document could not be turned into a PDF; check its template."))
    return out.getvalue()


# --- The data a template sees ------------------------------------------------------------------


def _plain_number(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _money(value: Decimal) -> str:
    return format_money(value, "").strip()


def _date(value: dt.date | None) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else ""


def logo_data_uri(company: CompanyProfile) -> str:
    if not company.logo:
        return ""
    try:
        with company.logo.open("rb") as handle:
            data = handle.read(MAX_LOGO_BYTES + 1)
    except (OSError, ValueError):
        return ""
    if len(data) > MAX_LOGO_BYTES:
        return ""
    mime = mimetypes.guess_type(company.logo.name or "")[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def document_labels(kind: str) -> dict[str, str]:
    headings = {
        DocumentKind.PROPOSAL: _("Commercial proposal"),
        DocumentKind.AGREEMENT: _("Agreement"),
        DocumentKind.INVOICE: _("Invoice"),
        DocumentKind.ACT: _("Act of acceptance"),
    }
    return {
        "heading": str(headings.get(DocumentKind(kind), kind)),
        "version": _("version"),
        "date": _("Date"),
        "valid_until": _("Valid until"),
        "supplier": _("Supplier"),
        "client": _("Client"),
        "tax_id": _("Tax id"),
        "registration_number": _("Reg. no."),
        "contact_person": _("Contact person"),
        "no": _("No."),
        "item": _("Product or service"),
        "quantity": _("Qty"),
        "unit": _("Unit"),
        "unit_price": _("Unit price"),
        "discount": _("Discount"),
        "total": _("Total"),
        "subtotal": _("Subtotal"),
        "discount_total": _("Discount"),
        "payment_terms": _("Payment terms"),
        "grand_total": _("Total"),
        "bank_details": _("Bank details"),
        "your_manager": _("Your manager"),
        "validity_note": _("Prices in this proposal are valid until the date above."),
        "agreement_text": _("The parties agree on the supply of the products and services below."),
        "act_text": _("The products and services below were delivered and accepted in full."),
    }


def client_payment_terms(client: Any) -> str:
    """The client's payment terms as the document says them (in the active language): its days
    and its note; empty when it has none."""
    days = getattr(client, "payment_terms_days", None)
    note = (getattr(client, "payment_terms_note", "") or "").strip()
    parts = []
    if days is not None:
        parts.append(
            ngettext("Payment within %(days)s day", "Payment within %(days)s days", days) % {"days": days}
        )
    if note:
        parts.append(note)
    return "; ".join(parts)


def _client_data(client: Any) -> dict[str, str]:
    parts = [
        getattr(client, name, "") or ""
        for name in ("address", "street", "city", "region", "postal_code", "country")
    ]
    return {
        "name": client.name,
        "legal_form": getattr(client, "legal_form", "") or "",
        "tax_id": getattr(client, "tax_id", "") or "",
        "registration_number": getattr(client, "registration_number", "") or "",
        "address": ", ".join(str(part) for part in parts if part),
        "email": getattr(client, "email", "") or "",
        "phone": getattr(client, "phone", "") or "",
    }


def document_context(
    *, document: Document, version: int, lines: list[DealLine], valid_until: dt.date | None
) -> dict[str, Any]:
    """Everything a template may show, as plain values; `snapshot` is what the version keeps."""
    deal = document.deal
    company = CompanyProfile.objects.first() or CompanyProfile()
    gross = sum((line.gross for line in lines), Decimal("0.00"))
    net = sum((line.total for line in lines), Decimal("0.00"))
    with translation.override(document.language):
        labels = document_labels(document.kind)
        rows = [
            {
                "n": index,
                "code": line.product.code if line.product else "",
                "name": line.name,
                "quantity": _plain_number(line.quantity),
                "unit": line.unit,
                "unit_price": _money(line.unit_price),
                "discount": f"{_plain_number(line.discount_percent)}%" if line.discount_percent else "",
                "total": _money(line.total),
            }
            for index, line in enumerate(lines, start=1)
        ]
        today, validity = _date(local_date(deal.owner)), _date(valid_until)
        payment_terms = client_payment_terms(deal.client)
    contacts = [
        {"name": str(contact), "position": contact.position, "email": contact.email, "phone": contact.phone}
        for contact in deal.contacts.all()
    ]
    owner = deal.owner
    return {
        "company": {
            "name": company.name,
            "legal_name": company.legal_name,
            "tax_id": company.tax_id,
            "registration_number": company.registration_number,
            "address": company.address,
            "email": company.email,
            "phone": company.phone,
            "website": company.website,
            "bank_details": company.bank_details,
            "logo": logo_data_uri(company),
        },
        "client": {**_client_data(deal.client), "payment_terms": payment_terms},
        "contacts": contacts,
        "deal": {
            "title": deal.title,
            "currency": deal.currency,
            "owner": str(owner) if owner else "",
            "owner_email": owner.email if owner else "",
            "owner_phone": owner.phone if owner else "",
        },
        "document": {
            "number": document.number,
            "version": version,
            "kind": document.kind,
            "title": document.title,
            "language": document.language,
            "date": today,
            "valid_until": validity,
        },
        "lines": rows,
        "totals": {
            "gross": format_money(gross, deal.currency),
            "discount": format_money(gross - net, deal.currency),
            "net": format_money(net, deal.currency),
            "has_discount": gross != net,
        },
        "labels": labels,
        "snapshot": [
            {
                "product": line.product_id,
                "name": line.name,
                "quantity": str(line.quantity),
                "unit": line.unit,
                "unit_price": str(line.unit_price),
                "discount_percent": str(line.discount_percent),
                "total": str(line.total),
            }
            for line in lines
        ],
    }
