"""CSV and XLSX exports of the client and contact lists, streamed, from the scoped selectors.

An export holds exactly the rows of the list the person sees with the same filters (the
selectors scope them), is written in chunks (constant memory at any size), and is recorded
in the audit log. Cells that a spreadsheet would run as a formula are written as text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.clients.choices import ClientKind, ClientStatus, ContactRole, RevenueBand
from clientela.clients.models import Client, Contact
from clientela.clients.services.loyalty import client_price_list_labels
from clientela.core.exports import csv_response, xlsx_response

CHUNK = 2000

Column = tuple[Callable[[], str], Callable[[Any], Any]]


def _date(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def client_columns() -> list[Column]:
    kinds, bands, statuses = dict(ClientKind.choices), dict(RevenueBand.choices), dict(ClientStatus.choices)
    return [
        (lambda: "id", lambda c: c.pk),
        (lambda: _("Name"), lambda c: c.name),
        (lambda: _("Kind"), lambda c: str(kinds.get(c.kind, c.kind))),
        (lambda: _("Status"), lambda c: str(statuses.get(getattr(c, "status", ""), ""))),
        (lambda: _("Legal form"), lambda c: c.legal_form),
        (lambda: _("Tax id"), lambda c: c.tax_id),
        (lambda: _("Registration number"), lambda c: c.registration_number),
        (lambda: _("Industry"), lambda c: c.industry),
        (lambda: _("Employees"), lambda c: c.employees if c.employees is not None else ""),
        (lambda: _("Annual revenue"), lambda c: str(bands.get(c.revenue_band, ""))),
        (lambda: _("Country"), lambda c: c.country),
        (lambda: _("Region"), lambda c: c.region),
        (lambda: _("City"), lambda c: c.city),
        (lambda: _("Address"), lambda c: c.address),
        (lambda: _("Postal code"), lambda c: c.postal_code),
        (lambda: _("Website"), lambda c: c.website),
        (lambda: _("Phone"), lambda c: c.phone),
        (lambda: _("E-mail"), lambda c: c.email),
        (lambda: _("Other phones"), lambda c: ", ".join(c.other_phones or [])),
        (lambda: _("Other e-mails"), lambda c: ", ".join(c.other_emails or [])),
        (lambda: _("Headquarters"), lambda c: c.headquarters.name if c.headquarters_id else ""),
        (
            lambda: _("Payment terms (days)"),
            lambda c: c.payment_terms_days if c.payment_terms_days is not None else "",
        ),
        (lambda: _("Payment terms"), lambda c: c.payment_terms_note),
        (lambda: _("Credit limit"), lambda c: str(c.credit_limit) if c.credit_limit is not None else ""),
        (lambda: _("Currency"), lambda c: c.credit_currency),
        (
            lambda: _("Discount (%)"),
            lambda c: str(c.discount_percent) if c.discount_percent is not None else "",
        ),
        (lambda: _("Loyalty price list"), lambda c: getattr(c, "price_list_label", "")),
        (lambda: _("Personal manager"), lambda c: str(c.owner) if c.owner_id else ""),
        (lambda: _("Team"), lambda c: str(c.team) if c.team_id else ""),
        (lambda: _("Tags"), lambda c: ", ".join(t.name for t in c.tags.all())),
        (lambda: _("Contacts"), lambda c: getattr(c, "contact_count", "")),
        (lambda: _("Card completeness (%)"), lambda c: getattr(c, "completeness_percent", "")),
        (lambda: _("Created"), lambda c: _date(c.created_at)),
        (lambda: _("Archived"), lambda c: _("yes") if c.is_archived else ""),
    ]


def contact_columns() -> list[Column]:
    roles = dict(ContactRole.choices)
    return [
        (lambda: "id", lambda c: c.pk),
        (lambda: _("First name"), lambda c: c.first_name),
        (lambda: _("Last name"), lambda c: c.last_name),
        (lambda: _("Position"), lambda c: c.position),
        (lambda: _("Role"), lambda c: str(roles.get(c.role, ""))),
        (lambda: _("Client"), lambda c: c.client.name),
        (lambda: _("Phone"), lambda c: c.phone),
        (lambda: _("E-mail"), lambda c: c.email),
        (lambda: _("Other phones"), lambda c: ", ".join(c.other_phones or [])),
        (lambda: _("Other e-mails"), lambda c: ", ".join(c.other_emails or [])),
        (lambda: _("Birthday"), lambda c: c.birthday.isoformat() if c.birthday else ""),
        (lambda: _("Preferred language"), lambda c: c.preferred_language),
        (lambda: _("Marketing consent"), lambda c: _("yes") if c.consent else _("no")),
        (lambda: _("Consent given at"), lambda c: _date(c.consent_at)),
        (lambda: _("Personal manager"), lambda c: str(c.client.owner) if c.client.owner_id else ""),
        (lambda: _("Created"), lambda c: _date(c.created_at)),
    ]


def add_price_lists(clients: list[Client]) -> None:
    """Each client's loyalty price list (kept by the price lists), one query per chunk."""
    labels = client_price_list_labels([c.pk for c in clients])
    for client in clients:
        client.price_list_label = labels.get(client.pk, "")  # type: ignore[attr-defined]


def rows(
    queryset: QuerySet[Any], columns: list[Column], per_chunk: Callable[[list[Any]], None] | None = None
) -> Iterator[list[Any]]:
    """The header (translated now, in the request's language) and then the records, in chunks;
    `per_chunk` loads what the columns need for a whole chunk at once."""
    header = [str(title()) for title, _value in columns]

    def records() -> Iterator[list[Any]]:
        yield header
        chunk: list[Any] = []
        for record in queryset.iterator(chunk_size=CHUNK):
            chunk.append(record)
            if len(chunk) == CHUNK:
                yield from _emit(chunk)
                chunk = []
        yield from _emit(chunk)

    def _emit(chunk: list[Any]) -> Iterator[list[Any]]:
        if chunk and per_chunk is not None:
            per_chunk(chunk)
        for record in chunk:
            yield [value(record) for _title, value in columns]

    return records()


def export_clients(queryset: QuerySet[Client], fmt: str) -> StreamingHttpResponse | FileResponse:
    name = f"clients-{timezone.localdate().isoformat()}"
    data = rows(queryset, client_columns(), per_chunk=add_price_lists)
    if fmt == "xlsx":
        return xlsx_response(data, name, _("Clients"))
    return csv_response(data, name)


def export_contacts(queryset: QuerySet[Contact], fmt: str) -> StreamingHttpResponse | FileResponse:
    name = f"contacts-{timezone.localdate().isoformat()}"
    data = rows(queryset, contact_columns())
    if fmt == "xlsx":
        return xlsx_response(data, name, _("Contacts"))
    return csv_response(data, name)
