"""Which record an e-mail address belongs to, and who owns a thread about it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from clientela.clients.models import Client, Contact
from clientela.deals.models import Deal
from clientela.leads.choices import OPEN_STATUSES
from clientela.leads.duplicates import secondary_match
from clientela.leads.models import Lead


@dataclass
class RecordLinks:
    lead: Lead | None = None
    client: Client | None = None
    contact: Contact | None = None
    deal: Deal | None = None

    @property
    def empty(self) -> bool:
        return not (self.lead or self.client or self.contact or self.deal)

    def owner_and_team(self) -> tuple[Any, Any]:
        if self.deal is not None:
            return self.deal.owner, self.deal.team
        if self.contact is not None:
            return self.contact.client.owner, self.contact.client.team
        if self.client is not None:
            return self.client.owner, self.client.team
        if self.lead is not None:
            return self.lead.owner, self.lead.team
        return None, None

    def as_kwargs(self) -> dict[str, Any]:
        return {"lead": self.lead, "client": self.client, "contact": self.contact, "deal": self.deal}

    def completed(self) -> RecordLinks:
        """Fill the client from the contact or deal, so every thread sits on the client card too."""
        client = self.client
        if client is None and self.contact is not None:
            client = self.contact.client
        if client is None and self.deal is not None:
            client = self.deal.client
        return RecordLinks(lead=self.lead, client=client, contact=self.contact, deal=self.deal)


def match_address(address: str) -> RecordLinks:
    """The contact, client or open lead using this (normalised) address, in that order."""
    if not address:
        return RecordLinks()
    contact = (
        Contact.objects.select_related("client")
        .filter(email=address, is_archived=False)
        .order_by("id")
        .first()
    )
    if contact is not None:
        return RecordLinks(client=contact.client, contact=contact)
    client = Client.objects.filter(email=address).order_by("id").first()
    if client is not None:
        return RecordLinks(client=client)

    # A person writing from one of their other addresses is still the same contact / client.
    other = secondary_match(Contact, address, "")
    if isinstance(other, Contact) and not other.is_archived:
        return RecordLinks(client=other.client, contact=other)
    other = secondary_match(Client, address, "")
    if isinstance(other, Client):
        return RecordLinks(client=other)
    lead = (
        Lead.objects.filter(email=address, status__in=OPEN_STATUSES, merged_into__isnull=True)
        .order_by("created_at")
        .first()
    )
    if lead is not None:
        return RecordLinks(lead=lead)
    return RecordLinks()


def record_url(links: RecordLinks) -> str:
    if links.deal is not None:
        return reverse("deals:detail", args=[links.deal.pk])
    if links.contact is not None:
        return reverse("clients:contact_detail", args=[links.contact.pk])
    if links.client is not None:
        return reverse("clients:detail", args=[links.client.pk])
    if links.lead is not None:
        return reverse("leads:detail", args=[links.lead.pk])
    return ""
