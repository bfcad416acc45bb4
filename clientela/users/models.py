"""People who use Clientela, the teams they sell in, and their API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientela.core.models import BusinessModel
from clientela.core.roles import Role


class Team(BusinessModel):
    """A sales team: the unit of visibility (a manager sees their team's unassigned records)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("head of sales"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_teams",
    )
    default_country = models.CharField(
        _("default country"),
        max_length=2,
        blank=True,
        help_text=_("Two-letter country code used for phone numbers written without one."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person using the CRM, with one role and (usually) one team."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MANAGER)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        help_text=_("Dates and times are shown in this zone. Empty: your team's time zone."),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_absent = models.BooleanField(
        _("absent"), default=False, help_text=_("Absent people get no new leads until they return.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_role(self) -> str:
        return str(Role(self.role).label) if not self.is_superuser else str(Role.ADMIN.label)

    @property
    def initials(self) -> str:
        parts = [p for p in (self.first_name, self.last_name) if p]
        letters = "".join(p[0] for p in parts) or self.username[:2]
        return letters.upper()[:2]


class ApiToken(models.Model):
    """A bearer token for the API. Only a hash is stored; the token is shown once when made."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
