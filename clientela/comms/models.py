"""Working calendars, response policies and the response clocks that run on them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientela.comms.business_hours import BusinessHoursError, Calendar, default_weekly_hours
from clientela.comms.choices import ClockKind, StopReason, TemplateKey
from clientela.core.models import BusinessModel
from clientela.core.permissions import ScopedQuerySet

# A week is at most 10 080 minutes; budgets are capped at a (generous) 30 working days of 24 h.
MAX_BUDGET_MINUTES = 30 * 24 * 60


class BusinessCalendar(BusinessModel):
    """A team's working hours, time zone and holidays: when its response clocks run."""

    team = models.OneToOneField(
        "users.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        related_name="business_calendar",
    )
    weekly_hours = models.JSONField(
        _("working hours"),
        default=default_weekly_hours,
        help_text=_(
            'Per weekday, a list of intervals, e.g. {"mon": [["09:00", "13:00"], ["14:00", "18:00"]]}.'
        ),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        help_text=_("IANA name, e.g. Europe/Bucharest. Empty: the team's time zone."),
    )

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")

    def __str__(self) -> str:
        return str(self.team)

    @property
    def effective_time_zone(self) -> str:
        return self.time_zone or self.team.time_zone or settings.TIME_ZONE

    def clean(self) -> None:
        try:
            calendar = Calendar.build(weekly_hours=self.weekly_hours, time_zone=self.effective_time_zone)
        except BusinessHoursError as exc:
            errors = {
                ("weekly_hours" if key != "time_zone" else "time_zone"): messages
                for key, messages in exc.errors.items()
            }
            raise ValidationError(errors) from exc
        if not calendar.has_working_hours:
            raise ValidationError({"weekly_hours": [_("Give at least one working interval in the week.")]})

    def as_calendar(self, holidays: Iterable[dt.date] | None = None) -> Calendar:
        """The pure calendar for business-time arithmetic (holidays read unless given)."""
        if holidays is None:
            holidays = [holiday.date for holiday in self.holidays.all()]
        return Calendar.build(
            weekly_hours=self.weekly_hours, time_zone=self.effective_time_zone, holidays=holidays
        )


class Holiday(models.Model):
    """A day the team does not work: its response clocks stand still all day."""

    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_calendar_date_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


# Budgets in business minutes: at least one, at most MAX_BUDGET_MINUTES.
BUDGET_VALIDATORS = [MinValueValidator(1), MaxValueValidator(MAX_BUDGET_MINUTES)]
NO_OVERRIDE = _("Empty: the general first-response budget.")


class ResponsePolicy(BusinessModel):
    """How fast a team answers: budgets in business minutes, escalation and keep-alive."""

    team = models.OneToOneField(
        "users.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="response_policy"
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (minutes)"),
        default=120,
        validators=BUDGET_VALIDATORS,
        help_text=_("Business minutes to answer a new lead or message."),
    )
    target_minutes = models.PositiveIntegerField(
        _("target (minutes)"),
        default=60,
        validators=BUDGET_VALIDATORS,
        help_text=_("Where we aim to answer; shown on the card."),
    )
    hot_minutes = models.PositiveIntegerField(
        _("hot leads within (minutes)"),
        default=15,
        null=True,
        blank=True,
        validators=BUDGET_VALIDATORS,
        help_text=NO_OVERRIDE,
    )
    warm_minutes = models.PositiveIntegerField(
        _("warm leads within (minutes)"),
        null=True,
        blank=True,
        validators=BUDGET_VALIDATORS,
        help_text=NO_OVERRIDE,
    )
    cold_minutes = models.PositiveIntegerField(
        _("cold leads within (minutes)"),
        null=True,
        blank=True,
        validators=BUDGET_VALIDATORS,
        help_text=NO_OVERRIDE,
    )
    escalation_delay_minutes = models.PositiveIntegerField(
        _("escalate to the head after (minutes)"),
        default=30,
        validators=BUDGET_VALIDATORS,
        help_text=_("Business minutes after a breach."),
    )
    keep_alive_days = models.PositiveSmallIntegerField(
        _("keep-alive after (days)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Remind when a waiting client has heard nothing from us for this long."),
    )

    class Meta:
        verbose_name = _("response policy")
        verbose_name_plural = _("response policies")

    def __str__(self) -> str:
        return str(self.team)

    def clean(self) -> None:
        if (
            self.target_minutes
            and self.first_response_minutes
            and self.target_minutes > self.first_response_minutes
        ):
            raise ValidationError(
                {"target_minutes": [_("The target cannot be longer than the first-response budget.")]}
            )

    def budget_for(self, temperature: str) -> int:
        """Business minutes for a first response to a lead of this temperature."""
        override = {"hot": self.hot_minutes, "warm": self.warm_minutes, "cold": self.cold_minutes}.get(
            temperature or ""
        )
        return int(override or self.first_response_minutes)


class ResponseClock(models.Model):
    """One promise of an answer with a deadline in business time, and how it ended.

    A first-response clock starts with every new lead and every client message; an
    acknowledgement stops it and starts a promise clock. What a clock is about is an explicit
    nullable foreign key (`lead`, or `client`/`contact`/`deal` for a client message) plus a
    readable `subject`; a client-message clock also carries the `ref` of the message (thread)
    that started it, so answering that thread stops it, and the `url` to open it.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=ClockKind.choices)
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="response_clocks",
    )
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="response_clocks",
        db_index=False,
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="response_clocks",
        db_index=False,
    )
    deal = models.ForeignKey(
        "deals.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="response_clocks",
        db_index=False,
    )
    # What started a client-message clock, e.g. "mail.thread:42"; answering it stops the clock.
    ref = models.CharField(_("reference"), max_length=100, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    subject = models.CharField(_("about"), max_length=200, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="response_clocks",
        db_index=False,
    )
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    previous = models.ForeignKey(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followers",
        help_text=_("The first-response clock an acknowledgement stopped to start this promise clock."),
        db_index=False,
    )
    budget_minutes = models.PositiveIntegerField(_("budget (business minutes)"))
    started_at = models.DateTimeField(_("started at"))
    target_at = models.DateTimeField(_("target"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"))
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("stopped by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    stop_reason = models.CharField(_("why stopped"), max_length=16, choices=StopReason.choices, blank=True)
    # Business minutes from start to stop, fixed when the clock stops (speed-of-response analytics).
    minutes_taken = models.PositiveIntegerField(_("business minutes taken"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    promised_text = models.TextField(_("promise"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("response clock")
        verbose_name_plural = _("response clocks")
        ordering = ["due_at", "id"]
        indexes = [
            # "Open clocks due before X": the sweep and the work list.
            models.Index(fields=["due_at"], condition=Q(stopped_at__isnull=True), name="clock_open_due_idx"),
            models.Index(fields=["owner", "stopped_at", "due_at"], name="clock_owner_open_idx"),
            models.Index(fields=["kind", "owner", "started_at"], name="clock_stats_idx"),
            # Every new lead starts a clock, so each index is paid per lead: the owner has no
            # index of its own (it leads the one above), and the links most clocks leave empty
            # are indexed only where set (an equality lookup implies `IS NOT NULL`).
            models.Index(fields=["ref"], name="clock_ref_idx"),
            models.Index(fields=["client"], name="clock_client_idx", condition=Q(client__isnull=False)),
            models.Index(fields=["contact"], name="clock_contact_idx", condition=Q(contact__isnull=False)),
            models.Index(fields=["deal"], name="clock_deal_idx", condition=Q(deal__isnull=False)),
            models.Index(fields=["previous"], name="clock_previous_idx", condition=Q(previous__isnull=False)),
            models.Index(
                fields=["stopped_by"], name="clock_stopped_by_idx", condition=Q(stopped_by__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_at__gte=models.F("started_at")), name="clock_due_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject or self.lead_id or self.ref}"

    @property
    def is_open(self) -> bool:
        return self.stopped_at is None


class MessageTemplate(BusinessModel):
    """The subject and body of one recurring message (`key`) in one language.

    Texts use `{{ variables }}` (see `comms.templates.VARIABLES`) rendered by a sandboxed
    engine; English is the fallback for a language without its own variant.
    """

    key = models.CharField(_("message"), max_length=32, choices=TemplateKey.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["key", "language"]
        constraints = [
            models.UniqueConstraint(fields=["key", "language"], name="message_template_key_language_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.get_key_display()} ({self.language})"
