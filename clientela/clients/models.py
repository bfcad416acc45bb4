"""Clients and contacts — the minimum the leads capability needs to convert into.

The clients capability extends these records (legal details, HQ/branches, loyalty …); it does
not replace them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientela.clients.choices import ClientKind, ContactRole
from clientela.core.models import BusinessModel
from clientela.core.permissions import ScopedQuerySet


class Client(BusinessModel):
    """A company (or private person) we sell to, with a personal manager (owner)."""

    kind = models.CharField(_("kind"), max_length=16, choices=ClientKind.choices, default=ClientKind.COMPANY)
    name = models.CharField(_("name"), max_length=200)
    legal_form = models.CharField(_("legal form"), max_length=40, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=60, blank=True)
    industry = models.CharField(_("industry"), max_length=60, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True, help_text=_("E.164"))
    phone_raw = models.CharField(_("phone as entered"), max_length=60, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personal manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clients",
    )
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_archived = models.BooleanField(_("archived"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["owner", "name"], name="client_owner_name_idx"),
            models.Index(fields=["team", "name"], name="client_team_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(BusinessModel):
    """A person at a client, with a role in buying decisions."""

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="contacts"
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    position = models.CharField(_("position"), max_length=120, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=ContactRole.choices, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True, help_text=_("E.164"))
    phone_raw = models.CharField(_("phone as entered"), max_length=60, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=8, blank=True)
    consent = models.BooleanField(_("marketing consent"), default=False)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_source = models.CharField(_("consent source"), max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_owner_field = "client__owner"
    scope_team_field = "client__team"

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email or self.phone
