"""Interests, leads, their timeline, and the team policies that classify and route them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientela.core.models import BusinessModel
from clientela.core.permissions import ScopedQuerySet
from clientela.core.texts import render
from clientela.leads.choices import (
    AssignmentStrategy,
    LeadEventKind,
    LeadStatus,
    Origin,
    QualificationItem,
    Source,
    Temperature,
)


class ContactPointsMixin(models.Model):
    """Reachability as entered and as normalised (E.164 phone, lowercased e-mail)."""

    email = models.EmailField(_("e-mail"), blank=True)
    email_raw = models.CharField(_("e-mail as entered"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("E.164"))
    phone_raw = models.CharField(_("phone as entered"), max_length=60, blank=True)

    class Meta:
        abstract = True


class Interest(BusinessModel, ContactPointsMixin):
    """Attention without a reachable, named person: kept, counted per source, upgradable."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    source = models.CharField(
        _("source"), max_length=32, choices=Source.choices, default=Source.OTHER, db_index=True
    )
    origin = models.CharField(_("origin"), max_length=8, choices=Origin.choices, blank=True)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    product = models.CharField(_("interested in"), max_length=200, blank=True)
    message = models.TextField(_("message"), blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    team = models.ForeignKey(
        "users.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("why not a lead"), max_length=200, blank=True)
    upgraded_to = models.ForeignKey(
        "Lead",
        verbose_name=_("upgraded to lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="from_interests",
    )
    upgraded_at = models.DateTimeField(_("upgraded at"), null=True, blank=True)
    intake_form = models.ForeignKey("intake.IntakeForm", null=True, blank=True, on_delete=models.SET_NULL)
    import_job = models.ForeignKey("imports.ImportJob", null=True, blank=True, on_delete=models.SET_NULL)

    objects = ScopedQuerySet.as_manager()
    scope_marketer_sees_team = True

    class Meta:
        verbose_name = _("interest")
        verbose_name_plural = _("interests")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["team", "-created_at"], name="interest_team_idx")]

    def __str__(self) -> str:
        return self.name or self.company_name or self.phone or self.email or f"#{self.pk}"


class RefusalReason(models.Model):
    """Configurable list of why leads decline (price, competitor, no budget now …)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("refusal reason")
        verbose_name_plural = _("refusal reasons")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        from clientela.leads.policy import refusal_reason_label

        return refusal_reason_label(self)


class Lead(BusinessModel, ContactPointsMixin):
    """A specific person who showed interest and can be reached (name + phone or e-mail)."""

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    position = models.CharField(_("position"), max_length=120, blank=True)
    industry = models.CharField(_("industry"), max_length=60, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=32, choices=Source.choices, default=Source.OTHER)
    origin = models.CharField(_("origin"), max_length=8, choices=Origin.choices, blank=True)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    product = models.CharField(_("interested in"), max_length=200, blank=True)
    message = models.TextField(_("message"), blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)

    consent = models.BooleanField(_("marketing consent"), default=False)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_source = models.CharField(_("consent source"), max_length=100, blank=True)

    status = models.CharField(_("status"), max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    refusal_reason = models.ForeignKey(
        RefusalReason,
        verbose_name=_("refusal reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,  # partial index in Meta: NULL for every lead that is not refused
    )
    refusal_note = models.TextField(_("refusal note"), blank=True)
    postponed_until = models.DateField(_("postponed until"), null=True, blank=True)

    temperature = models.CharField(_("temperature"), max_length=8, choices=Temperature.choices, blank=True)
    temperature_manual = models.BooleanField(_("temperature set by hand"), default=False)
    temperature_reasons = models.JSONField(_("why this temperature"), default=list, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), default=0)
    score_factors = models.JSONField(_("score factors"), default=list, blank=True)
    qualification = models.JSONField(_("qualification checklist"), default=dict, blank=True)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        db_index=False,  # lead_owner_status_idx leads with the owner
    )
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,  # lead_team_status_idx leads with the team
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    assignment_reason = models.CharField(_("why assigned"), max_length=300, blank=True)
    # Why, as a message (core.texts) shown in the reader's language; the column keeps a typed reason.
    assignment_message = models.JSONField(null=True, blank=True, editable=False)

    # The first moment the lead was qualified (kept when it later goes back to work or is
    # refused); a lead converted without passing through "qualified" gets its conversion time.
    # Set by `set_status`, the one way a lead's status changes. Not indexed: the funnels count
    # it within the leads created in a period (created_at), never filter by it alone.
    qualified_at = models.DateTimeField(_("qualified at"), null=True, blank=True)
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="source_leads",
        db_index=False,
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="source_leads",
        db_index=False,
    )
    # A lead a client recommended us to (origin "seed"); counted per client (retention).
    referred_by_client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("referred by client"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referred_leads",
        db_index=False,  # lead_referred_by_idx: only the referred leads
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
        db_index=False,
    )

    last_touch_at = models.DateTimeField(_("last touch"), null=True, blank=True)
    touch_count = models.PositiveIntegerField(_("touches"), default=1)
    # Lowercased, accent-free, transliterated name/company/e-mail/phone digits for search.
    search_text = models.TextField(blank=True, editable=False)
    # Transliterated last name + first initial: where fuzzy duplicate candidates are looked up.
    name_key = models.CharField(max_length=120, blank=True, editable=False)  # lead_name_key_idx

    intake_form = models.ForeignKey(
        "intake.IntakeForm", null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    # Not indexed: read once at the end of an import (who received how many); every imported
    # lead would otherwise pay for an index entry.
    import_job = models.ForeignKey(
        "imports.ImportJob", null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    # Inherited from BusinessModel, without their automatic indexes: nothing lists leads by
    # who created or last changed them (deleting a user, which the product never does, scans).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    objects = ScopedQuerySet.as_manager()
    scope_marketer_sees_team = True

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-id"]
        # Every index costs each imported lead an entry (docs/performance.md, "Index diet").
        # Lists never show merged leads, so the list indexes leave them out: the owner+status
        # page and its count are answered from the index alone. Foreign keys that are NULL for
        # almost every lead get partial indexes (deletes of the target and the card's reverse
        # lists use them); owner and team are the first column of a list index.
        indexes = [
            # The viewer's scope reads owner and team (`owner = me OR team IN my teams`): with
            # the other one included, a filtered list's count is index-only for every role.
            models.Index(
                fields=["owner", "status", "-created_at"],
                include=["team"],
                name="lead_owner_status_idx",
                condition=Q(merged_into__isnull=True),
            ),
            models.Index(
                fields=["team", "status", "-created_at"],
                include=["owner"],
                name="lead_team_status_idx",
                condition=Q(merged_into__isnull=True),
            ),
            models.Index(
                fields=["status", "-created_at"],
                name="lead_status_created_idx",
                condition=Q(merged_into__isnull=True),
            ),
            # The converted leads of a period (conversion, touches before the first sale): only
            # the ~8 % converted leads carry an entry, so imports of new leads pay nothing.
            models.Index(
                fields=["converted_at"],
                include=["owner", "team", "client"],
                name="lead_converted_idx",
                condition=Q(converted_at__isnull=False),
            ),
            models.Index(
                fields=["referred_by_client"],
                name="lead_referred_by_idx",
                condition=Q(referred_by_client__isnull=False),
            ),
            models.Index(fields=["email"], name="lead_email_idx"),
            models.Index(fields=["phone"], name="lead_phone_idx"),
            models.Index(fields=["-score"], name="lead_score_idx"),
            # equality only (fuzzy candidates): no `_like` pattern index as db_index would add
            models.Index(fields=["name_key"], name="lead_name_key_idx"),
            *(
                models.Index(
                    fields=[column], name=f"lead_{column}_idx", condition=Q(**{f"{column}__isnull": False})
                )
                for column in (
                    "refusal_reason",
                    "postponed_until",
                    "converted_by",
                    "client",
                    "contact",
                    "merged_into",
                    "intake_form",
                    "updated_by",
                )
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or self.phone or f"#{self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def shown_assignment_reason(self) -> str:
        """Why the lead went where it is, in the reader's (active) language."""
        return render(self.assignment_message, self.assignment_reason)

    @property
    def is_open(self) -> bool:
        from clientela.leads.choices import OPEN_STATUSES

        return self.status in OPEN_STATUSES and self.merged_into_id is None


class LeadEvent(models.Model):
    """One line of a lead's timeline and history: every touch, status change, assignment …"""

    # leadevent_lead_idx (lead, -at) serves the timeline and the cascade; no other index.
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events", db_index=False)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LeadEventKind.choices)
    text = models.TextField(_("text"), blank=True)
    # A line the system wrote: its code and parameters (core.texts), shown in the reader's language.
    text_message = models.JSONField(null=True, blank=True, editable=False)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("lead event")
        verbose_name_plural = _("lead events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["lead", "-at"], name="leadevent_lead_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.text}"

    @property
    def shown_text(self) -> str:
        """The line in the reader's (active) language; a typed note as typed."""
        return render(self.text_message, self.text)


class LeadPolicy(models.Model):
    """A team's rules for its leads (qualification, distribution limits). Edited in settings."""

    team = models.OneToOneField("users.Team", on_delete=models.CASCADE, related_name="lead_policy")
    qualification_items = models.JSONField(
        _("required qualification items"),
        default=list,
        help_text=_("Which checklist items must be satisfied for a lead to be qualified."),
    )
    capacity_cap = models.PositiveIntegerField(
        _("capacity cap"),
        default=50,
        help_text=_("Managers with this many open leads and clients get no new ones."),
    )
    conversion_window_days = models.PositiveIntegerField(_("conversion window (days)"), default=180)
    min_closed_for_ranking = models.PositiveIntegerField(
        _("closed leads before a manager is ranked"),
        default=10,
        help_text=_("Managers with fewer converted or refused leads in the window count as beginners."),
    )
    top_converter_share = models.PositiveSmallIntegerField(_("best converters (% of managers)"), default=50)
    hot_warm_to_beginners = models.BooleanField(_("hot and warm leads may go to beginners"), default=False)
    strategy = models.CharField(
        _("assignment"),
        max_length=16,
        choices=AssignmentStrategy.choices,
        default=AssignmentStrategy.LEAST_LOADED,
    )
    # Round-robin pointer of the implicit last rule ("anyone in the team"): whom it chose last.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last assigned (no rule matched)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("lead policy")
        verbose_name_plural = _("lead policies")

    def __str__(self) -> str:
        return str(self.team)

    @property
    def required_items(self) -> list[str]:
        return list(self.qualification_items or QualificationItem.values)


class DistributionRule(BusinessModel):
    """One assignment rule of a team, evaluated in order; the first that matches decides."""

    team = models.ForeignKey("users.Team", on_delete=models.CASCADE, related_name="distribution_rules")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    countries = models.JSONField(_("countries"), default=list, blank=True)
    regions = models.JSONField(
        _("regions"),
        default=list,
        blank=True,
        help_text=_("Regions (as on the lead, e.g. “Transilvania”); with countries, both must match."),
    )
    industries = models.JSONField(_("industries"), default=list, blank=True)
    products = models.JSONField(_("products"), default=list, blank=True)
    temperatures = models.JSONField(_("temperatures"), default=list, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("managers"), blank=True, related_name="distribution_rules"
    )
    best_converters_only = models.BooleanField(_("best converters only"), default=False)
    strategy = models.CharField(
        _("assignment"), max_length=16, choices=AssignmentStrategy.choices, blank=True
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("distribution rule")
        verbose_name_plural = _("distribution rules")
        ordering = ["team", "position", "id"]

    def __str__(self) -> str:
        return self.name


class TemperatureRule(BusinessModel):
    """Sets a lead's temperature when it matches; evaluated in order, first match wins."""

    team = models.ForeignKey(
        "users.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="temperature_rules",
        help_text=_("Empty: applies to every team."),
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    sources = models.JSONField(_("sources"), default=list, blank=True)
    origins = models.JSONField(_("origins"), default=list, blank=True)
    keywords = models.JSONField(
        _("answer keywords"),
        default=list,
        blank=True,
        help_text=_("Any of these words in the message or interest."),
    )
    min_touches = models.PositiveSmallIntegerField(_("at least this many touches"), default=0)
    max_age_days = models.PositiveSmallIntegerField(_("last touch within (days)"), null=True, blank=True)
    temperature = models.CharField(_("temperature"), max_length=8, choices=Temperature.choices)

    class Meta:
        verbose_name = _("temperature rule")
        verbose_name_plural = _("temperature rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class ScoringModel(models.Model):
    """Weights of the lead score learnt from the company's own converted vs refused leads."""

    trained_at = models.DateTimeField(auto_now_add=True)
    sample_size = models.PositiveIntegerField(default=0)
    weights = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("scoring model")
        verbose_name_plural = _("scoring models")
        ordering = ["-trained_at"]

    def __str__(self) -> str:
        return f"{self.trained_at:%Y-%m-%d} ({self.sample_size})"


class IdempotencyRecord(models.Model):
    """The first answer to a request with an idempotency key, returned again for repeats."""

    scope = models.CharField(max_length=80)
    key = models.CharField(max_length=200)
    response = models.JSONField()
    status_code = models.PositiveSmallIntegerField(default=201)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key_uniq")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
