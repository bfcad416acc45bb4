"""Satisfaction surveys (SPEC §8): CSAT, NPS, the weighted satisfaction index and the exit
questionnaire, sent by e-mail with a public tokenised link and answered once.

A survey is one question put to one contact of a client (optionally about a deal) for one
occasion (`occasion`, unique: a won deal, a period, a loss, a hand-sent one), so a trigger that
runs twice sends nothing twice. The link's token is made when the letter goes out and only its
SHA-256 is stored: the database never holds a usable link.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientela.core.permissions import ScopedQuerySet


class SurveyKind(models.TextChoices):
    CSAT = "csat", _("Satisfaction (CSAT)")
    NPS = "nps", _("Would recommend (NPS)")
    INDEX = "index", _("Satisfaction index")
    EXIT = "exit", _("Exit questionnaire")


class SurveyStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Not delivered")
    ANSWERED = "answered", _("Answered")


# The score range of each kind (the index's factors are scored 1–5 too).
SCORE_RANGE = {SurveyKind.CSAT: (1, 5), SurveyKind.NPS: (0, 10), SurveyKind.INDEX: (1, 5)}


class SatisfactionFactor(models.Model):
    """One factor of the weighted satisfaction index (quality, delivery, price …) and its weight.
    Built-in factors are named by their code and translated; added ones carry their names per
    language (`names`, English under "en")."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    names = models.JSONField(_("names"), default=dict, blank=True)
    weight = models.DecimalField(
        _("weight"),
        max_digits=6,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(1000))],
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("satisfaction factor")
        verbose_name_plural = _("satisfaction factors")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self) -> str:
        from django.utils.translation import get_language

        from clientela.retention.satisfaction import BUILT_IN_FACTORS

        if self.code in BUILT_IN_FACTORS:
            return str(BUILT_IN_FACTORS[self.code][0])
        language = (get_language() or "en").split("-")[0]
        return str(self.names.get(language) or self.names.get("en") or self.code)


class Survey(models.Model):
    """One survey put to one contact of a client for one occasion, and its answer."""

    kind = models.CharField(_("kind"), max_length=8, choices=SurveyKind.choices)
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="surveys"
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="surveys",
    )
    deal = models.ForeignKey(
        "deals.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="surveys",
    )
    # What the CSAT is about when it is a product or service line rather than a deal.
    subject = models.CharField(_("about"), max_length=200, blank=True)
    # One survey per occasion: "won:<deal>", "every:<client>:<period>", "exit:<change>", "hand:<uuid>".
    occasion = models.CharField(_("occasion"), max_length=80, unique=True)
    email = models.EmailField(_("sent to"), blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.QUEUED
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # The answer: the score (CSAT 1–5, NPS 0–10), the index (1–5, from the factor scores), the
    # churn reason of an exit questionnaire (`ChurnReason.code`) and what the person wrote.
    score = models.SmallIntegerField(_("score"), null=True, blank=True)
    index_value = models.DecimalField(
        _("satisfaction index"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    churn_reason = models.CharField(_("reason"), max_length=40, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    scope_owner_field = "client__owner"
    scope_team_field = "client__team"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client", "answered_at"], name="ret_survey_client_idx"),
            models.Index(fields=["kind", "answered_at"], name="ret_survey_kind_answered_idx"),
            models.Index(fields=["token_hash"], name="ret_survey_token_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=10),
                name="ret_survey_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.client_id}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


class SurveyFactorScore(models.Model):
    """One factor's score in an index answer, with the weight it had then (a later change of the
    weights does not rewrite past answers)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="factor_scores")
    factor = models.ForeignKey(SatisfactionFactor, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    weight = models.DecimalField(max_digits=6, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "factor"], name="ret_survey_factor_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.factor_id}: {self.score}"
