"""Plans a head sets and forecasts managers enter (SPEC §9): the daily activity plan per
manager, the monthly sales plan per team and manager (top-down), and the per-client monthly
forecast (bottom-up). Amounts are in the company's base currency (`deals.rates.selectors
.base_currency`), the one the reports convert every deal and payment into."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientela.core.models import BusinessModel
from clientela.core.permissions import ScopedQuerySet

AMOUNT_DIGITS, AMOUNT_PLACES = 14, 2


class ActivityPlan(BusinessModel):
    """How many calls and meetings a day a manager is expected to make (set by their head)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.CASCADE,
        related_name="activity_plan",
    )
    calls_per_day = models.PositiveSmallIntegerField(_("calls a day"), default=0)
    meetings_per_day = models.PositiveSmallIntegerField(_("meetings a day"), default=0)

    objects = ScopedQuerySet.as_manager()
    scope_owner_field = "user"
    scope_team_field = "user__team"  # the plan follows its manager when they change team

    class Meta:
        verbose_name = _("activity plan")
        verbose_name_plural = _("activity plans")

    def __str__(self) -> str:
        return f"{self.user}: {self.calls_per_day}/{self.meetings_per_day}"


class SalesPlan(BusinessModel):
    """A month's top-down plan of a team (`manager` empty) or of one manager in it.

    `base_amount` is last year's won amount of the same month (the head's starting point, kept
    as it was when the plan was saved so the plan does not drift when old deals change);
    `target` = base × (1 + market growth %) × (1 + ambition %), rounded to the cent."""

    team = models.ForeignKey("users.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="+")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_plans",
    )
    month = models.DateField(_("month"))  # its first day
    base_amount = models.DecimalField(
        _("last year's actual"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        default=Decimal("0.00"),
    )
    market_growth_percent = models.DecimalField(
        _("market growth, %"), max_digits=6, decimal_places=2, default=Decimal("0.00")
    )
    ambition_percent = models.DecimalField(
        _("own ambition, %"), max_digits=6, decimal_places=2, default=Decimal("0.00")
    )
    target = models.DecimalField(
        _("plan"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, default=Decimal("0.00")
    )
    currency = models.CharField(_("currency"), max_length=3)

    objects = ScopedQuerySet.as_manager()
    scope_owner_field = "manager"

    class Meta:
        verbose_name = _("sales plan")
        verbose_name_plural = _("sales plans")
        ordering = ["month", "team", "manager"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "month"], condition=Q(manager__isnull=True), name="analytics_team_plan_once"
            ),
            models.UniqueConstraint(
                fields=["team", "manager", "month"],
                condition=Q(manager__isnull=False),
                name="analytics_manager_plan_once",
            ),
        ]
        indexes = [models.Index(fields=["month", "team"], name="sales_plan_month_idx")]

    def __str__(self) -> str:
        return f"{self.team} {self.manager or ''} {self.month:%Y-%m}: {self.target} {self.currency}"


class ClientForecast(BusinessModel):
    """What a client's manager expects the client to buy in a month (bottom-up)."""

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField(_("month"))  # its first day
    amount = models.DecimalField(_("amount"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)
    currency = models.CharField(_("currency"), max_length=3)

    objects = ScopedQuerySet.as_manager()
    scope_owner_field = "client__owner"
    scope_team_field = "client__team"

    class Meta:
        verbose_name = _("client forecast")
        verbose_name_plural = _("client forecasts")
        ordering = ["month", "client"]
        constraints = [
            models.UniqueConstraint(fields=["client", "month"], name="analytics_forecast_once_a_month"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="analytics_forecast_not_negative"),
        ]
        indexes = [models.Index(fields=["month", "client"], name="forecast_month_idx")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.month:%Y-%m}: {self.amount} {self.currency}"
