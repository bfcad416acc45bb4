from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeKind(models.TextChoices):
    """How a client's status changed (the status history, SPEC §8)."""

    BECAME_CLIENT = "became_client", _("Became a client")
    TIME = "time", _("By the passing of time")
    CONTACT = "contact", _("Contact or purchase resumed")
    DECISION = "decision", _("Marked lost")
    WON_BACK = "won_back", _("Won back")
