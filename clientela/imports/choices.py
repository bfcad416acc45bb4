"""Choices of file imports: what a file holds, how far its job got, what became of a row."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    """What the rows of an imported file are."""

    LEADS = "leads", _("Leads")
    CLIENTS = "clients", _("Clients")
    CONTACTS = "contacts", _("Contacts")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class RowOutcome(models.TextChoices):
    CREATED = "created", _("Created")
    MERGED = "merged", _("Merged")
    INTEREST = "interest", _("Became an interest")
    REJECTED = "rejected", _("Rejected")
