from django.db import models
from django.utils.translation import gettext_lazy as _


class FormKind(models.TextChoices):
    FORM = "form", _("Web form")
    CALLBACK = "callback", _("Callback request (call me)")


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
