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


class RevenueBand(models.TextChoices):
    """Annual revenue, in EUR or its equivalent (bands, because exact figures are rarely known)."""

    MICRO = "lt_1m", _("under 1 million")
    SMALL = "1m_10m", _("1–10 million")
    MEDIUM = "10m_50m", _("10–50 million")
    LARGE = "50m_250m", _("50–250 million")
    ENTERPRISE = "gt_250m", _("over 250 million")


class ClientStatus(models.TextChoices):
    """Computed, never stored: see `clients.status`."""

    NEW = "new", _("New")
    ACTIVE = "active", _("Active")
    PASSIVE = "passive", _("Passive")
    LOST = "lost", _("Lost")


class ChurnReason(models.TextChoices):
    """Why a client left (SPEC §8 taxonomy, with the shares known from practice)."""

    NO_VISIBLE_REASON = "no_reason", _("Left for no visible reason")
    PARALLEL_SUPPLIER = "parallel_supplier", _("Drifted to a parallel supplier")
    COMPETITION = "competition", _("Lost to competition (price, service, warranty, features)")
    QUALITY = "quality", _("Dissatisfied with quality or delivery")
    ATTITUDE = "attitude", _("Indifferent or improper attitude of staff and management")


class CompletenessLevel(models.TextChoices):
    """Filter values for card completeness in lists."""

    BELOW = "below", _("Below the norm")
    NORMAL = "normal", _("Within the norm")
    COMPLETE = "complete", _("Complete")


class SavedViewList(models.TextChoices):
    CLIENTS = "clients", _("Clients")
    CONTACTS = "contacts", _("Contacts")
    LEADS = "leads", _("Leads")


# Suggestions for the industry field (free text: a company may name its own).
INDUSTRY_SUGGESTIONS = [
    "Agriculture",
    "Automotive",
    "Banking and finance",
    "Construction",
    "Consulting",
    "Education",
    "Energy",
    "Food and beverage",
    "Healthcare",
    "Hospitality",
    "IT and software",
    "Insurance",
    "Logistics",
    "Manufacturing",
    "Media",
    "Pharmaceuticals",
    "Public sector",
    "Real estate",
    "Retail",
    "Telecommunications",
    "Wholesale",
]


class AbcClass(models.TextChoices):
    """A client's class by its revenue over the trailing 12 months (kept by the nightly
    classification, `retention.value`): A makes the first 80 % of revenue, B the next 15 %, C the
    rest. A client without revenue in those months has no class (blank)."""

    A = "A", _("A — key clients")
    B = "B", _("B — middle clients")
    C = "C", _("C — small clients")
