"""Choices of the deals app: pipeline kinds, deal states, document kinds, timeline events."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PipelineKind(models.TextChoices):
    CORPORATE = "corporate", _("Corporate sales")
    DIRECT = "direct", _("Direct / field sales")
    RETAIL = "retail", _("Retail")
    OTHER = "other", _("Other")


class DealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class DocumentKind(models.TextChoices):
    PROPOSAL = "proposal", _("Commercial proposal")
    AGREEMENT = "agreement", _("Agreement")
    INVOICE = "invoice", _("Invoice")
    ACT = "act", _("Act of acceptance")


# Number prefixes: P-2026-0001, AG-2026-0001, INV-2026-0001, ACT-2026-0001.
DOCUMENT_PREFIX = {
    DocumentKind.PROPOSAL: "P",
    DocumentKind.AGREEMENT: "AG",
    DocumentKind.INVOICE: "INV",
    DocumentKind.ACT: "ACT",
}


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class PaymentKind(models.TextChoices):
    EXPECTED = "expected", _("Expected")
    RECEIVED = "received", _("Received")


class DealEventKind(models.TextChoices):
    CREATED = "created", _("Deal created")
    EDITED = "edited", _("Edited")
    STAGE = "stage", _("Stage changed")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    REOPENED = "reopened", _("Reopened")
    ASSIGNED = "assigned", _("Owner changed")
    LINE = "line", _("Products changed")
    DOCUMENT = "document", _("Document prepared")
    DOCUMENT_SENT = "document_sent", _("Document sent")
    PAYMENT = "payment", _("Payment")
    OBJECTION = "objection", _("Objection raised")
    NOTE = "note", _("Note")
