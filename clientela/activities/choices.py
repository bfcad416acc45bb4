from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskKind(models.TextChoices):
    FIRST_CONTACT = "first_contact", _("First contact")
    CALL_BACK = "call_back", _("Call back")
    RECONTACT = "recontact", _("Re-contact")
    FOLLOW_UP = "follow_up", _("Follow-up")
    OTHER = "other", _("Task")


class Priority(models.IntegerChoices):
    LOW = 0, _("Low")
    NORMAL = 1, _("Normal")
    HIGH = 2, _("High")
    URGENT = 3, _("Urgent")
