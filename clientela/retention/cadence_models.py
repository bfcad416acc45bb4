"""The post-sale cadence's records (SPEC §8): which task of the cadence a task is, how it went,
and for which agreement end date a renewal task was raised.

Kept beside the tasks (`activities.Task`, one row per cadence task) so the activities app knows
nothing of retention: the work list, reminders and handovers treat them as any task.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientela.core.permissions import ScopedQuerySet


class CadenceKind(models.TextChoices):
    IN_USE_CHECK = "in_use_check", _("Is the product in use?")
    USE_DAY_CALL = "use_day_call", _("Call on the day of use")
    THANK = "thank", _("Thank and offer the next step")
    URGENT_MEETING = "urgent_meeting", _("Urgent meeting with an unhappy client")
    OFFER = "offer", _("Offer")
    RENEWAL = "renewal", _("Renewal")


class UseOutcome(models.TextChoices):
    NOT_IN_USE = "not_in_use", _("Not yet in use")
    SATISFIED = "satisfied", _("In use, satisfied")
    UNHAPPY = "unhappy", _("Unhappy")


class CadenceStep(models.Model):
    """One task of a client's post-sale cadence."""

    kind = models.CharField(_("kind"), max_length=20, choices=CadenceKind.choices)
    task = models.OneToOneField(
        "activities.Task", verbose_name=_("task"), on_delete=models.CASCADE, related_name="cadence_step"
    )
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="+"
    )
    deal = models.ForeignKey(
        "deals.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # A renewal: the agreement end date it was raised for (a changed end date raises a new one).
    ends_on = models.DateField(_("agreement ends on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=UseOutcome.choices, blank=True)
    outcome_date = models.DateField(_("day of use"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Seen by whoever sees the client.
    scope_owner_field = "client__owner"
    scope_team_field = "client__team"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        app_label = "retention"
        verbose_name = _("cadence step")
        verbose_name_plural = _("cadence steps")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["client", "kind"], name="ret_cadence_client_kind_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["deal", "ends_on"],
                condition=Q(kind="renewal"),
                name="ret_renewal_once_per_end_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for client {self.client_id}"
