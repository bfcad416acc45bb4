"""What the value classification (`retention.value`) keeps beside the clients' own columns."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ValueRun(models.Model):
    """One run of the classification: when, over which window, and what it could not convert.

    The clients' figures (`Client.revenue_12m`, `abc_class`, `rfm_*`, first purchases) are the
    latest run's; the pages say "as of" this run's moment. `missing` holds, per currency without
    an exchange rate, the revenue left out of the figures (shown apart, never added)."""

    at = models.DateTimeField(_("computed at"))
    window_from = models.DateField(_("from"))
    window_to = models.DateField(_("to"))
    base_currency = models.CharField(_("base currency"), max_length=3)
    revenue_total = models.DecimalField(
        _("revenue"), max_digits=18, decimal_places=2, default=Decimal("0.00")
    )
    clients_with_revenue = models.PositiveIntegerField(_("clients with revenue"), default=0)
    clients_changed = models.PositiveIntegerField(_("clients changed"), default=0)
    missing = models.JSONField(_("without an exchange rate"), default=dict, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("value classification")
        verbose_name_plural = _("value classifications")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"value run {self.at:%Y-%m-%d %H:%M}"
