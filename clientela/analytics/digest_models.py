"""Who receives the weekly digest of their dashboard by e-mail (an opt-in, one row per person)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DigestSubscription(models.Model):
    """A head's choice to receive the weekly digest (`analytics.digest`). No row, or `weekly`
    off: nothing is sent."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="digest_subscription",
    )
    weekly = models.BooleanField(_("weekly digest by e-mail"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("digest subscription")
        verbose_name_plural = _("digest subscriptions")
        indexes = [models.Index(fields=["weekly"], name="digest_weekly_idx", condition=models.Q(weekly=True))]

    def __str__(self) -> str:
        return str(self.user)
