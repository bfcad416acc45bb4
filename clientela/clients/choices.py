from django.db import models
from django.utils.translation import gettext_lazy as _


class ClientKind(models.TextChoices):
    COMPANY = "company", _("Company")
    PERSON = "person", _("Private person")


class ContactRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    BUYER = "buyer", _("Buyer")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")
    ACCOUNTANT = "accountant", _("Accountant")
