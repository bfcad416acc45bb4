from django.db import models
from django.utils.translation import gettext_lazy as _


class FormKind(models.TextChoices):
    FORM = "form", _("Web form")
    CALLBACK = "callback", _("Callback request (call me)")
