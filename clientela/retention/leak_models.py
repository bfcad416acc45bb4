"""A team's leak-rate alert: fired once per team and period when the rate passes the team's
threshold (`RetentionPolicy.leak_alert_percent`), shown to the team's heads and the admins as a
red banner on their home page until one of them acknowledges it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LeakPeriod(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")
    CUSTOM = "custom", _("From – to")


class LeakAlert(models.Model):
    team = models.ForeignKey(
        "users.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="leak_alerts"
    )
    # The period: a calendar month (the alert sweep looks at the last complete month and the
    # current one), its first and last day in the team's time zone.
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    active_at_start = models.PositiveIntegerField(_("active at the start"))
    lost = models.PositiveIntegerField(_("lost"))
    rate = models.DecimalField(_("leak rate (%)"), max_digits=6, decimal_places=2)
    threshold = models.DecimalField(_("threshold (%)"), max_digits=5, decimal_places=2)
    fired_at = models.DateTimeField(_("fired at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # Who sees an alert: the team's heads and the admins (`leak_alerts.alerts_visible_to`).

    class Meta:
        verbose_name = _("leak rate alert")
        verbose_name_plural = _("leak rate alerts")
        ordering = ["-period_start", "team_id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "period_start"], name="ret_leak_alert_once_per_period"),
        ]
        indexes = [models.Index(fields=["acknowledged_at", "team"], name="ret_leak_alert_open_idx")]

    def __str__(self) -> str:
        return f"leak {self.rate}% > {self.threshold}% team {self.team_id} {self.period_start:%Y-%m}"
