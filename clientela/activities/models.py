"""Activities (what was done with a lead, client, contact or deal) and tasks (what must be done next).

* `Activity` — a call, e-mail, meeting, proposal, price list, printed materials or note, linked to at
  least one record (lead / client / contact / deal), done by its `owner` for a `team` (the scope).
* `Task` — something someone must do by `due_at`, optionally about a record, with a reminder and a
  recurrence; promises given on a call are tasks pointing back at that call (`source_activity`).
* `KeepAlivePolicy` — per team: after how many days of silence a waiting client gets a keep-alive.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientela.activities.choices import ActivityKind, Direction, Outcome, Priority, Recurrence, TaskKind
from clientela.core.models import BusinessModel
from clientela.core.permissions import ScopedQuerySet
from clientela.core.texts import render
from clientela.core.zones import format_moment

RECORD_LINK_FIELDS = ("lead", "client", "contact", "deal")
KEEP_ALIVE_DEFAULT_DAYS = 3


class Activity(BusinessModel):
    kind = models.CharField(_("kind"), max_length=16, choices=ActivityKind.choices)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices, blank=True)
    occurred_at = models.DateTimeField(_("when"))
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("notes"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    participants = models.CharField(_("participants"), max_length=500, blank=True)
    participant_contacts = models.ManyToManyField(
        "clients.Contact", verbose_name=_("contacts present"), blank=True, related_name="+"
    )
    participant_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("colleagues present"), blank=True, related_name="+"
    )
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    deal = models.ForeignKey(
        "deals.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    details = models.JSONField(_("details"), default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # A record's timeline, newest first.
            models.Index(fields=["lead", "-occurred_at"], name="activity_lead_idx"),
            models.Index(fields=["client", "-occurred_at"], name="activity_client_idx"),
            models.Index(fields=["contact", "-occurred_at"], name="activity_contact_idx"),
            models.Index(fields=["deal", "-occurred_at"], name="activity_deal_idx"),
            # Last inbound/outbound touch of a deal or client (keep-alive, passive clients).
            models.Index(fields=["deal", "direction", "-occurred_at"], name="activity_deal_touch_idx"),
            models.Index(fields=["client", "direction", "-occurred_at"], name="activity_client_touch_idx"),
            # A manager's own activity (load, reports).
            models.Index(fields=["owner", "-occurred_at"], name="activity_owner_idx"),
            # Reports over a period (who did what, per kind and outcome): the admin's range and a
            # head's teams', counted from the index alone.
            models.Index(
                fields=["occurred_at"],
                include=["owner", "team", "kind", "outcome"],
                name="activity_occurred_idx",
            ),
            models.Index(
                fields=["team", "occurred_at"],
                include=["owner", "kind", "outcome"],
                name="activity_team_occurred_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(lead__isnull=False)
                | Q(client__isnull=False)
                | Q(contact__isnull=False)
                | Q(deal__isnull=False),
                name="activity_linked_to_a_record",
            )
        ]

    def __str__(self) -> str:
        return self.subject or f"{self.get_kind_display()} {format_moment(self.occurred_at)}"


class Task(BusinessModel):
    kind = models.CharField(_("kind"), max_length=20, choices=TaskKind.choices, default=TaskKind.OTHER)
    title = models.CharField(_("title"), max_length=200)
    # A title the system wrote: its code and parameters (core.texts), shown in the reader's language.
    title_message = models.JSONField(null=True, blank=True, editable=False)
    description = models.TextField(_("description"), blank=True)
    due_at = models.DateTimeField(_("due"), db_index=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
        db_index=False,
    )
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
    )
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
        db_index=False,
    )
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
        db_index=False,
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
        db_index=False,
    )
    deal = models.ForeignKey(
        "deals.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
        db_index=False,
    )
    reminder_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    recurrence = models.CharField(
        _("repeats"), max_length=8, choices=Recurrence.choices, blank=True, default=Recurrence.NONE
    )
    recurrence_interval = models.PositiveSmallIntegerField(_("every"), default=1)
    recurrence_until = models.DateField(_("repeat until"), null=True, blank=True)
    previous = models.OneToOneField(
        "self",
        verbose_name=_("previous occurrence"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_occurrence",
    )
    source_activity = models.ForeignKey(
        Activity,
        verbose_name=_("promised on"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
        db_index=False,
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    result = models.TextField(_("result"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_owner_field = "assignee"

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["done_at", "-priority", "due_at"]
        # Every new lead gets a task, so each index here is paid per lead (imports write
        # hundreds of thousands): the foreign keys that lead an index below have no index of
        # their own, and columns that are empty for most tasks are indexed only where set
        # (`WHERE … IS NOT NULL` — an equality lookup implies it, so both databases use them).
        indexes = [
            models.Index(fields=["assignee", "done_at", "due_at"], name="task_worklist_idx"),
            models.Index(fields=["team", "done_at", "due_at"], name="task_team_idx"),
            # Open future tasks of a record (next-step rule); also the records' foreign keys.
            models.Index(
                fields=["lead", "done_at", "due_at"],
                name="task_lead_open_idx",
                condition=models.Q(lead__isnull=False),
            ),
            models.Index(
                fields=["deal", "done_at", "due_at"],
                name="task_deal_open_idx",
                condition=models.Q(deal__isnull=False),
            ),
            models.Index(
                fields=["client", "done_at", "due_at"],
                name="task_client_open_idx",
                condition=models.Q(client__isnull=False),
            ),
            models.Index(
                fields=["contact"], name="task_contact_idx", condition=models.Q(contact__isnull=False)
            ),
            models.Index(
                fields=["source_activity"],
                name="task_source_activity_idx",
                condition=models.Q(source_activity__isnull=False),
            ),
            models.Index(
                fields=["done_by"], name="task_done_by_idx", condition=models.Q(done_by__isnull=False)
            ),
            # Reminders still to send (the sweep: reminder due, not sent yet).
            models.Index(
                fields=["reminder_at"],
                name="task_reminder_idx",
                condition=models.Q(reminder_at__isnull=False, reminded_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.shown_title

    @property
    def shown_title(self) -> str:
        """The title in the reader's (active) language; a typed title as typed."""
        return render(self.title_message, self.title)

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class KeepAlivePolicy(BusinessModel):
    """A team's keep-alive rule: remind the deal owner after `days` of silence towards a waiting client."""

    team = models.OneToOneField(
        "users.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="keep_alive_policy"
    )
    enabled = models.BooleanField(_("keep-alive reminders on"), default=True)
    days = models.PositiveSmallIntegerField(
        _("days of silence"),
        default=KEEP_ALIVE_DEFAULT_DAYS,
        help_text=_("Remind the deal owner when a waiting client has heard nothing from us for this long."),
    )

    class Meta:
        verbose_name = _("keep-alive policy")
        verbose_name_plural = _("keep-alive policies")

    def __str__(self) -> str:
        return str(self.team)
