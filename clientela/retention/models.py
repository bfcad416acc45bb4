"""Retention: a client's status history, the churn taxonomy and the retention policies (SPEC §8).

The status itself is computed by `clients.status` from stored dates; this app keeps every
transition with the moment it happened (also the ones that happen by the passing of time), so
"how many clients were active on 1 March" is read from the history, not from today's state.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from clientela.clients.choices import ClientStatus
from clientela.core.permissions import ScopedQuerySet
from clientela.retention.choices import ChangeKind


class ClientStatusChange(models.Model):
    """One transition of a client's status, at the moment it happened.

    `owner` and `team` are the client's at that moment (a manager's leak counts the clients they
    had when they were lost). The first row of a client has an empty `from_status`.

    `next_at` is the moment of the client's next change (None: the status is in force now), so
    "which status was in force at a moment" is a range test on one row instead of a window over
    the whole history. It is kept by `refresh_next_at`, called by every write of the history:
    `save()` here, and the set-based sweep after its bulk inserts and deletes."""

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("from"), max_length=16, choices=ClientStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=ClientStatus.choices)
    kind = models.CharField(_("how"), max_length=16, choices=ChangeKind.choices)
    at = models.DateTimeField(_("when"))
    next_at = models.DateTimeField(_("until"), null=True, blank=True, editable=False)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # For a loss: the churn reason's code (`ChurnReason.code`) and what was said about it.
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    note = models.TextField(_("note"), blank=True)
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

    # Seen by whoever sees the client.
    scope_owner_field = "client__owner"
    scope_team_field = "client__team"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["client_id", "at", "id"]
        indexes = [
            models.Index(fields=["client", "at"], name="ret_change_client_at_idx"),
            models.Index(
                # The leak counts read status, moment, end and holder from the index alone.
                fields=["to_status", "at"],
                include=["team", "owner", "next_at", "client"],
                name="ret_change_status_at_idx",
            ),
            models.Index(fields=["at"], name="ret_change_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status} @ {self.at:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        refresh_next_at([self.client_id])

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        client_id = self.client_id
        result = super().delete(*args, **kwargs)
        refresh_next_at([client_id])
        return result


NEXT_AT_CHUNK = 500


def refresh_next_at(client_ids: Iterable[int] | None = None) -> int:
    """Set each history row's `next_at` to the moment of the same client's next row (ordered by
    moment, then id), for these clients (None: every client). One UPDATE per chunk of clients;
    returns the rows changed."""
    table = ClientStatusChange._meta.db_table
    different = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    ordered = (
        f"SELECT id, LEAD(at) OVER (PARTITION BY client_id ORDER BY at, id) AS following "  # noqa: S608
        f"FROM {table}"
    )
    chunks: list[list[int] | None]
    if client_ids is None:
        chunks = [None]
    else:
        ids = sorted({int(pk) for pk in client_ids if pk is not None})
        chunks = [ids[i : i + NEXT_AT_CHUNK] for i in range(0, len(ids), NEXT_AT_CHUNK)]
    changed = 0
    with connection.cursor() as cursor:
        for chunk in chunks:
            where = f" WHERE client_id IN ({', '.join(['%s'] * len(chunk))})" if chunk else ""
            cursor.execute(
                f"UPDATE {table} SET next_at = n.following FROM ({ordered}{where}) AS n "  # noqa: S608
                f"WHERE {table}.id = n.id AND {table}.next_at {different} n.following",
                chunk or [],
            )
            changed += max(cursor.rowcount, 0)
    return changed


class ChurnReason(models.Model):
    """The churn taxonomy (configurable). Built-in reasons are named by their code and translated;
    added ones carry their name per language (`names`, English under "en")."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    names = models.JSONField(_("names"), default=dict, blank=True)
    practice_share = models.DecimalField(
        _("share known from practice (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    staff_attitude = models.BooleanField(
        _("about staff attitude"), default=False, help_text=_("Reported separately per manager.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("churn reason")
        verbose_name_plural = _("churn reasons")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self) -> str:
        """The reason's name in the reader's language: its name in that language when it has one
        (a renamed built-in too), else a built-in's translated label, else the English name, else
        the code."""
        from django.utils.translation import get_language

        from clientela.clients.choices import ChurnReason as BuiltIn

        language = (get_language() or "en").split("-")[0]
        if self.names.get(language):  # renamed in this language (built-ins too)
            return str(self.names[language])
        if self.code in BuiltIn.values:
            return str(BuiltIn(self.code).label)
        return str(self.names.get("en") or self.code)


class RetentionSettings(models.Model):
    """Company-wide limits of the status rules (one row, id 1): how long a client is *new* and
    how long without purchase and contact makes it *passive*."""

    new_days = models.PositiveSmallIntegerField(
        _("a client is new for (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    passive_days = models.PositiveSmallIntegerField(
        _("passive after no purchase and no contact for (days)"),
        default=180,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("retention settings")
        verbose_name_plural = _("retention settings")

    def __str__(self) -> str:
        return f"new {self.new_days} d, passive {self.passive_days} d"


class RetentionPolicy(models.Model):
    """A team's retention rules (heads change their teams'; one row per team, made on first use)."""

    team = models.OneToOneField(
        "users.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="retention_policy"
    )
    leak_alert_percent = models.DecimalField(
        _("leak rate alert above (%)"),
        max_digits=5,
        decimal_places=2,
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    concentration_alert_percent = models.DecimalField(
        _("alert when one client exceeds (% of revenue)"),
        max_digits=5,
        decimal_places=2,
        default=25,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    offer_every_days = models.PositiveSmallIntegerField(
        _("offer every (days)"), default=45, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    offer_min_gap_days = models.PositiveSmallIntegerField(
        _("no new offer sooner than (days)"), default=30, validators=[MaxValueValidator(365)]
    )
    renewal_notice_days = models.PositiveSmallIntegerField(
        _("renewal task before the end (days)"), default=60, validators=[MaxValueValidator(730)]
    )
    survey_after_won_days = models.PositiveSmallIntegerField(
        _("satisfaction survey after a won deal (days)"), default=14, validators=[MaxValueValidator(365)]
    )
    survey_every_days = models.PositiveSmallIntegerField(
        _("survey active clients every (days, 0 = never)"), default=180, validators=[MaxValueValidator(3650)]
    )
    reactivation_window_days = models.PositiveSmallIntegerField(
        _("reactivated within (days of a reactivation task)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
    )
    repeat_purchase_months = models.PositiveSmallIntegerField(
        _("second purchase within (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    repeat_purchase_target_percent = models.DecimalField(
        _("target: new clients who become regulars (%)"),
        max_digits=5,
        decimal_places=2,
        default=90,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")

    def __str__(self) -> str:
        return f"retention policy of team {self.team_id}"


# The post-sale cadence's records live in their own module (imported here so Django finds them).
from clientela.retention.cadence_models import CadenceStep  # noqa: E402, F401

# The reactivation and greetings parts keep their models in their own module.
from clientela.retention.greetings_models import (  # noqa: E402, F401
    Greeting,
    GreetingHoliday,
    Reactivation,
)

# The leak-rate alerts (leak part of retention).
from clientela.retention.leak_models import LeakAlert, LeakPeriod  # noqa: E402, F401

# Loyalty: reasons, benefits, account plans (kept in their own module).
from clientela.retention.loyalty_models import (  # noqa: E402, F401
    AccountPlan,
    AccountPlanAction,
    AccountPlanPerson,
    BenefitKind,
    ClientBenefit,
    ClientLoyaltyReason,
    LoyaltyReason,
)

# Satisfaction surveys (their own module; imported so Django sees the models).
from clientela.retention.surveys_models import SatisfactionFactor, Survey, SurveyFactorScore  # noqa: E402, F401
from clientela.retention.value_models import ValueRun  # noqa: E402,F401  (key-client figures)
