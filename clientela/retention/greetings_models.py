"""Models of two parts of retention: reactivations of passive clients (`Reactivation`) and
greetings (`GreetingHoliday`, `Greeting`). Imported by `retention.models` so Django finds them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientela.core.permissions import ScopedQuerySet


class Reactivation(models.Model):
    """A reactivation task given for a client that was passive at that moment.

    The client counts as reactivated when a contact or purchase is recorded on it between
    `started_at` and `window_ends_at` (the team's `RetentionPolicy.reactivation_window_days`
    then). `owner` and `team` are the client's at that moment: the rate is theirs."""

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="reactivations"
    )
    task = models.ForeignKey(
        "activities.Task",
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"))
    window_ends_at = models.DateTimeField(_("counts until"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personal manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_owner_field = "owner"
    scope_team_field = "team"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("reactivation")
        verbose_name_plural = _("reactivations")
        indexes = [
            models.Index(fields=["started_at"], include=["team", "owner"], name="ret_reactivation_start_idx"),
            models.Index(fields=["client", "started_at"], name="ret_reactivation_client_idx"),
        ]

    def __str__(self) -> str:
        return f"reactivation of client {self.client_id} @ {self.started_at:%Y-%m-%d}"


class GreetingHoliday(models.Model):
    """A holiday greeted in one country on one date (a moving feast has a row per year).

    Built-in holidays (`code` set) are named and wished in the reader's / recipient's language by
    their translations; added ones carry their name and wishes as typed (`wishes`: language →
    wish, English under "en")."""

    country = models.CharField(_("country"), max_length=2)
    date = models.DateField(_("date"))
    code = models.SlugField(_("code"), max_length=40, blank=True)
    name = models.CharField(_("name"), max_length=100)
    wishes = models.JSONField(_("wishes"), default=dict, blank=True)
    is_active = models.BooleanField(_("greet"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("holiday greeting")
        verbose_name_plural = _("holiday greetings")
        ordering = ["date", "country", "name"]
        constraints = [
            models.UniqueConstraint(fields=["country", "date", "name"], name="ret_greeting_holiday_uniq"),
        ]
        indexes = [models.Index(fields=["date", "country"], name="ret_greeting_holiday_date_idx")]

    def __str__(self) -> str:
        return f"{self.label} ({self.country}, {self.date:%Y-%m-%d})"

    @property
    def label(self) -> str:
        """The holiday's name in the active language."""
        from clientela.retention.greetings_defaults import HOLIDAY_NAMES

        if self.code in HOLIDAY_NAMES:
            return str(HOLIDAY_NAMES[self.code][0])
        return self.name

    def wish(self, language: str) -> str:
        """The wish for this holiday in `language` (the built-in translation, the typed wish in that
        language, else the English one; empty when there is none)."""
        from django.utils import translation

        from clientela.retention.greetings_defaults import HOLIDAY_NAMES

        if self.code in HOLIDAY_NAMES:
            with translation.override(language):
                return str(HOLIDAY_NAMES[self.code][1])
        return str(self.wishes.get(language) or self.wishes.get("en") or "")


class GreetingOccasion(models.TextChoices):
    BIRTHDAY = "birthday", _("Birthday")
    HOLIDAY = "holiday", _("Holiday")


class GreetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")
    CANCELLED = "cancelled", _("Not sent: no consent or e-mail")
    MISSED = "missed", _("Not sent: the day has passed")
    FAILED = "failed", _("Sending failed")


class Greeting(models.Model):
    """One greeting to one person (a client's contact, or a postponed lead) for one occasion.

    Planned up to a week ahead, so the manager sees it and may skip it; sent on its day in the
    team's time zone. Never twice: one row per (person, occasion, year) by a unique constraint,
    and a row leaves `planned` before its letter goes out (a worker killed while sending leaves it
    `sending`, never sent again)."""

    occasion = models.CharField(_("occasion"), max_length=8, choices=GreetingOccasion.choices)
    holiday = models.ForeignKey(
        GreetingHoliday,
        verbose_name=_("holiday"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="greetings",
    )
    occasion_key = models.CharField(max_length=40, editable=False)  # "birthday" / "holiday:<id>"
    person_key = models.CharField(max_length=40, editable=False)  # "contact:<id>" / "lead:<id>"
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    date = models.DateField(_("day"))
    status = models.CharField(
        _("status"), max_length=10, choices=GreetingStatus.choices, default=GreetingStatus.PLANNED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    planned_at = models.DateTimeField(_("planned at"), auto_now_add=True)
    done_at = models.DateTimeField(_("sent or skipped at"), null=True, blank=True)
    skipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("skipped by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_owner_field = "owner"
    scope_team_field = "team"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("greeting")
        verbose_name_plural = _("greetings")
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person_key", "occasion_key", "year"], name="ret_greeting_once_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "date"], name="ret_greeting_status_date_idx"),
            models.Index(fields=["occasion_key", "year", "contact"], name="ret_greeting_contact_idx"),
            models.Index(fields=["occasion_key", "year", "lead"], name="ret_greeting_lead_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occasion_key} → {self.person_key} {self.date:%Y-%m-%d}"

    @property
    def person(self) -> object:
        return self.contact or self.lead

    @property
    def occasion_label(self) -> str:
        if self.occasion == GreetingOccasion.HOLIDAY and self.holiday is not None:
            return self.holiday.label
        return str(GreetingOccasion(self.occasion).label)
