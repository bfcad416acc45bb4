"""Loyalty (SPEC §8): why clients came and why they stay, their loyalty benefits, the account plan
of a key client. Imported by `retention.models` so Django finds them.

Everything that belongs to a client is seen and worked like its client (`scope_owner_field`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clientela.core.models import BusinessModel
from clientela.core.permissions import ScopedQuerySet


class BuiltInLoyaltyReason(models.TextChoices):
    PRICE = "price", _("Price")
    QUALITY = "quality", _("Quality")
    PERSONAL_MANAGER = "personal_manager", _("Personal manager")
    DELIVERY_SPEED = "delivery_speed", _("Delivery speed")
    PAYMENT_TERMS = "payment_terms", _("Payment terms")
    RANGE = "range", _("Range of products")
    SERVICE = "service", _("Service and support")
    REPUTATION = "reputation", _("Reputation and recommendations")


class BuiltInBenefit(models.TextChoices):
    FREE_DELIVERY = "free_delivery", _("Free delivery")
    EXTENDED_WARRANTY = "extended_warranty", _("Extended warranty")
    REFERRAL_BONUS = "referral_bonus", _("Referral bonus")
    PRIORITY_SUPPORT = "priority_support", _("Priority support")
    FREE_TRAINING = "free_training", _("Free training")


class PlanRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")


class ReasonSource(models.TextChoices):
    CONVERSION = "conversion", _("At conversion")
    CARD = "card", _("On the client card")
    SURVEY = "survey", _("In a survey")


def _label(code: str, names: dict[str, str], built_in: type[models.TextChoices]) -> str:
    if code in built_in.values:
        return str(built_in(code).label)
    language = (get_language() or "en").split("-")[0]
    return str(names.get(language) or names.get("en") or code)


class LoyaltyReason(models.Model):
    """Why clients came and why they stay (configurable; the mirror of the churn reasons).
    Built-ins are named by their code and translated; added ones carry a name per language."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    names = models.JSONField(_("names"), default=dict, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("loyalty reason")
        verbose_name_plural = _("loyalty reasons")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return _label(self.code, self.names, BuiltInLoyaltyReason)

    @property
    def is_built_in(self) -> bool:
        return self.code in BuiltInLoyaltyReason.values


class ClientLoyaltyReason(models.Model):
    """A reason a client gave (a client has many)."""

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="loyalty_reasons"
    )
    reason = models.ForeignKey(
        LoyaltyReason, verbose_name=_("reason"), on_delete=models.PROTECT, related_name="clients"
    )
    source = models.CharField(
        _("asked"), max_length=16, choices=ReasonSource.choices, default=ReasonSource.CARD
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_owner_field = "client__owner"
    scope_team_field = "client__team"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("client's loyalty reason")
        verbose_name_plural = _("clients' loyalty reasons")
        constraints = [models.UniqueConstraint(fields=["client", "reason"], name="ret_loyalty_reason_once")]

    def __str__(self) -> str:
        return f"{self.reason} ({self.client_id})"


class BenefitKind(models.Model):
    """A kind of loyalty benefit (configurable): free delivery, extended warranty, referral bonus …"""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    names = models.JSONField(_("names"), default=dict, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("benefit")
        verbose_name_plural = _("benefits")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return _label(self.code, self.names, BuiltInBenefit)

    @property
    def is_built_in(self) -> bool:
        return self.code in BuiltInBenefit.values


class ClientBenefit(BusinessModel):
    """A benefit a client enjoys, with an optional value ("10 %", "500 EUR") and validity."""

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="loyalty_benefits"
    )
    kind = models.ForeignKey(
        BenefitKind, verbose_name=_("benefit"), on_delete=models.PROTECT, related_name="+"
    )
    value = models.CharField(_("value"), max_length=100, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    # A referral bonus: the lead the client referred.
    referral_lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("for the referral of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_owner_field = "client__owner"
    scope_team_field = "client__team"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("client's benefit")
        verbose_name_plural = _("clients' benefits")
        ordering = ["client_id", "kind__position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "referral_lead"],
                condition=models.Q(referral_lead__isnull=False),
                name="ret_one_bonus_per_referral",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.value}".strip()


class AccountPlan(BusinessModel):
    """The plan for a key client: the year's goals, its decision makers and influencers, planned
    actions (tasks) and a review date (a task on that day)."""

    client = models.OneToOneField(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="account_plan"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    goals = models.TextField(_("goals for the year"), blank=True)
    review_on = models.DateField(_("review date"), null=True, blank=True)
    review_task = models.ForeignKey(
        "activities.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_owner_field = "client__owner"
    scope_team_field = "client__team"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")

    def __str__(self) -> str:
        return f"account plan {self.year} of client {self.client_id}"


class AccountPlanPerson(models.Model):
    """A contact of the client who decides or influences, and how."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="people")
    contact = models.ForeignKey(
        "clients.Contact", verbose_name=_("contact"), on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("role"), max_length=20, choices=PlanRole.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["role", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "contact"], name="ret_plan_person_once")]

    def __str__(self) -> str:
        return f"{self.contact} ({self.role})"


class AccountPlanAction(models.Model):
    """A planned action with its date; it is a task of the client's personal manager."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("action"), max_length=200)
    due_on = models.DateField(_("date"))
    task = models.ForeignKey(
        "activities.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.due_on})"
