"""Intake forms: public doors with a key. (File imports are the `imports` app.)"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientela.core.models import BusinessModel
from clientela.core.permissions import ScopedQuerySet
from clientela.intake.choices import FormKind
from clientela.leads.choices import Source


def new_form_key() -> str:
    return secrets.token_urlsafe(18)


class IntakeForm(BusinessModel):
    """A public door (web form, callback widget): leads posted with its key land in its team."""

    name = models.CharField(_("name"), max_length=120)
    key = models.CharField(_("key"), max_length=40, unique=True, default=new_form_key)
    kind = models.CharField(_("kind"), max_length=16, choices=FormKind.choices, default=FormKind.FORM)
    team = models.ForeignKey(
        "users.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    default_source = models.CharField(
        _("default source"), max_length=32, choices=Source.choices, default=Source.WEB_FORM
    )
    default_campaign = models.CharField(_("default campaign"), max_length=100, blank=True)
    rate_limit_per_hour = models.PositiveIntegerField(_("submissions per hour per address"), default=20)
    is_active = models.BooleanField(_("active"), default=True)
    # Forms belong to a team and no single person: heads and marketers of the team see them.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_marketer_sees_team = True

    class Meta:
        verbose_name = _("intake form")
        verbose_name_plural = _("intake forms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
