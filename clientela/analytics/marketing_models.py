"""What marketing spends and plans: the spend on a campaign over a period, and the plan per
month and channel (target leads and the acceptable cost per lead).

A campaign is, for now, the text the leads carry (`Lead.campaign`), matched case-insensitively;
`CampaignSpend.campaign` is that text key, so a campaign record (when campaigns become records)
can take the spends over by their key. The channel is the lead source (`leads.choices.Source`).

Who sees and changes them (`analytics.marketing`): admins all; heads and marketers the records of
their teams and those of the whole company (no team); managers none.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from clientela.core.models import BusinessModel
from clientela.leads.choices import Source


class CampaignSpend(BusinessModel):
    """Money spent on one campaign (or a channel without a campaign) over whole days."""

    campaign = models.CharField(
        _("campaign"),
        max_length=100,
        blank=True,
        help_text=_("As the leads carry it (capitals do not matter); empty: the channel as a whole."),
    )
    channel = models.CharField(_("channel"), max_length=32, choices=Source.choices)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: spent for the whole company."),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("campaign spend")
        verbose_name_plural = _("campaign spend")
        ordering = ["-first_day", "-id"]
        indexes = [models.Index(fields=["last_day", "first_day"], name="campaign_spend_days_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="campaign_spend_amount_positive"),
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")), name="campaign_spend_days_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign or self.get_channel_display()} {self.first_day}–{self.last_day}"

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


class MarketingPlan(BusinessModel):
    """The plan of one month and channel: how many leads, at what cost per lead at most."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    channel = models.CharField(_("channel"), max_length=32, choices=Source.choices)
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the plan of the whole company."),
    )
    target_leads = models.PositiveIntegerField(_("target leads"))
    acceptable_cpl = models.DecimalField(_("acceptable cost per lead"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("marketing plan")
        verbose_name_plural = _("marketing plans")
        ordering = ["-month", "channel", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "channel", "team"],
                condition=Q(team__isnull=False),
                name="marketing_plan_team_uniq",
            ),
            models.UniqueConstraint(
                fields=["month", "channel"],
                condition=Q(team__isnull=True),
                name="marketing_plan_company_uniq",
            ),
            models.CheckConstraint(condition=Q(acceptable_cpl__gte=0), name="marketing_plan_cpl_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.get_channel_display()}"
