"""Deals on configurable pipelines, their products, documents, payments and objections.

Over 600 lines: one models module per app keeps the migrations' and the admin's view of the
schema in one place; it holds fields, constraints, indexes and display helpers, no business rules.

Money is `DecimalField` everywhere (never float); a deal's `version` makes concurrent edits
conflict instead of silently overwriting each other (see `services.deal_update`). Stage history
(`DealStageChange`) records how long each deal spent in each stage, for funnel analytics.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.core.models import BusinessModel
from clientela.core.permissions import ScopedQuerySet
from clientela.core.texts import render
from clientela.deals.choices import (
    DealEventKind,
    DealStatus,
    DocumentKind,
    DocumentStatus,
    PaymentKind,
    PipelineKind,
)
from clientela.deals.money import (
    AMOUNT_DIGITS,
    AMOUNT_PLACES,
    PERCENT_DIGITS,
    PERCENT_PLACES,
    QUANTITY_DIGITS,
    QUANTITY_PLACES,
)


def _label(code: str, name: str, labels: dict[str, object]) -> str:
    """A built-in record shows its translated label while it keeps its built-in name; once an
    admin renames it (or for records admins add) the name is shown as written."""
    from clientela.deals.defaults import DEFAULT_NAMES

    label = labels.get(code) if code else None
    if label is not None and DEFAULT_NAMES.get(code) == name:
        return str(label)
    return name


# --- Pipelines -------------------------------------------------------------------------------


class Pipeline(BusinessModel):
    """One sales process (corporate, field sales, retail …) with its ordered stages."""

    name = models.CharField(_("name"), max_length=120)
    code = models.SlugField(_("code"), max_length=40, blank=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=PipelineKind.choices, default=PipelineKind.OTHER
    )
    is_default = models.BooleanField(_("default pipeline"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    notify_head_on_stage_change = models.BooleanField(
        _("notify the head of sales on stage changes"), default=False
    )
    requires_payment_schedule = models.BooleanField(
        _("won deals need a payment schedule"),
        default=False,
        help_text=_("A deal can be won only when its expected payments add up to its amount."),
    )

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="deals_one_default_pipeline"
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        from clientela.deals.defaults import PIPELINE_LABELS

        return _label(self.code, self.name, PIPELINE_LABELS)


class Stage(models.Model):
    """A step of a pipeline. Won and lost stages close a deal."""

    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    name = models.CharField(_("name"), max_length=120)
    code = models.SlugField(_("code"), max_length=40, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("probability, %"), default=0, validators=[MaxValueValidator(100)]
    )
    is_won = models.BooleanField(_("won (closes the deal)"), default=False)
    is_lost = models.BooleanField(_("lost (closes the deal)"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~(Q(is_won=True) & Q(is_lost=True)), name="deals_stage_not_won_and_lost"
            ),
            models.CheckConstraint(condition=Q(probability__lte=100), name="deals_stage_probability_le_100"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        from clientela.deals.defaults import STAGE_LABELS

        return _label(self.code, self.name, STAGE_LABELS)

    @property
    def is_closed(self) -> bool:
        return self.is_won or self.is_lost

    @property
    def status(self) -> str:
        if self.is_won:
            return DealStatus.WON
        if self.is_lost:
            return DealStatus.LOST
        return DealStatus.OPEN


class LostReason(models.Model):
    """Why a deal was lost — a configurable list (price, competitor, staff attitude …)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        from clientela.deals.defaults import LOST_REASON_LABELS

        return _label(self.code, self.name, LOST_REASON_LABELS)


# --- Products and price lists ------------------------------------------------------------------


class Product(BusinessModel):
    code = models.CharField(_("code (SKU)"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    unit = models.CharField(_("unit"), max_length=20, default="pcs")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.shown_name

    @property
    def shown_name(self) -> str:
        """A seeded product's name in the reader's language; an admin's name as written."""
        from clientela.deals.defaults import seeded_text

        return seeded_text(self.name)


class PriceList(BusinessModel):
    """Prices in one currency. The default list of a currency applies unless a client has its own."""

    name = models.CharField(_("name"), max_length=120)
    currency = models.CharField(_("currency"), max_length=3)
    is_default = models.BooleanField(_("default for its currency"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["currency", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency"], condition=Q(is_default=True), name="deals_one_default_price_list"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"


class PriceListItem(models.Model):
    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.CASCADE, related_name="items"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="prices"
    )
    price = models.DecimalField(_("price"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product"], name="deals_price_once_per_list"),
            models.CheckConstraint(condition=Q(price__gte=0), name="deals_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.price}"


class ClientPriceList(models.Model):
    """A client's loyalty price list: it overrides the default list of its currency."""

    client = models.OneToOneField(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="deal_price_list"
    )
    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.PROTECT, related_name="clients"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("client price list")
        verbose_name_plural = _("client price lists")

    def __str__(self) -> str:
        return f"{self.client_id} → {self.price_list_id}"


# --- Deals -----------------------------------------------------------------------------------


class Deal(BusinessModel):
    """A sale in progress (or closed) with a client, on one pipeline."""

    title = models.CharField(_("title"), max_length=200)
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="deals"
    )
    contacts = models.ManyToManyField(
        "clients.Contact", verbose_name=_("contacts involved"), blank=True, related_name="deals"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="deals"
    )
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals")
    status = models.CharField(
        _("status"), max_length=8, choices=DealStatus.choices, default=DealStatus.OPEN, db_index=True
    )
    amount = models.DecimalField(
        _("amount"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, default=Decimal("0.00")
    )
    currency = models.CharField(_("currency"), max_length=3)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    next_step_date = models.DateField(_("next step date"), null=True, blank=True)
    next_step_subject = models.CharField(_("next step"), max_length=200, blank=True)
    source_lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("source lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    stage_entered_at = models.DateTimeField(_("in this stage since"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    lost_reason = models.ForeignKey(
        LostReason, verbose_name=_("lost reason"), null=True, blank=True, on_delete=models.PROTECT
    )
    lost_note = models.TextField(_("lost note"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    # After the sale (retention): a delivery still running until its end date keeps the
    # keep-alive rule like an open deal until it is marked delivered; an agreement's end date
    # raises a renewal task before it.
    delivery_ends_on = models.DateField(_("delivery ends on"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    ends_on = models.DateField(_("agreement ends on"), null=True, blank=True)
    # The title folded and transliterated ("Морозов" is found by "morozov"), kept by the services.
    search_text = models.CharField(max_length=600, blank=True, editable=False)

    objects = ScopedQuerySet.as_manager()
    # Marketers follow deals of their team for campaign results, never their amounts.
    scope_marketer_sees_team = True

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The board: cards newest first per column, and per-column counts and totals.
            models.Index(fields=["pipeline", "status", "stage", "-stage_entered_at"], name="deal_board_idx"),
            # Per-column counts and totals of open deals, scoped by owner/team, read from the
            # index alone (partial: only open deals, about a third of the table).
            models.Index(
                fields=["pipeline", "stage", "currency", "amount", "owner", "team"],
                condition=Q(status="open"),
                name="deal_open_totals_idx",
            ),
            # Closed columns show the last 30 days: their counts and totals by closing date …
            models.Index(
                fields=["pipeline", "closed_at", "stage", "currency", "amount", "owner", "team"],
                condition=Q(status__in=["won", "lost"]),
                name="deal_closed_totals_idx",
            ),
            # … and their newest cards per column without sorting the whole column.
            models.Index(
                fields=["pipeline", "stage", "-stage_entered_at"],
                condition=Q(status__in=["won", "lost"]),
                name="deal_closed_board_idx",
            ),
            # A manager's board: their deals (and the team's unassigned ones, owner NULL) per column.
            models.Index(
                fields=["owner", "pipeline", "status", "stage", "-stage_entered_at"],
                name="deal_owner_board_idx",
            ),
            models.Index(fields=["team", "status"], name="deal_team_status_idx"),
            models.Index(fields=["pipeline", "status", "-created_at"], name="deal_pipeline_list_idx"),
            models.Index(fields=["status", "closed_at"], name="deal_closed_idx"),
            # Retention: agreements by end date (renewals) and deliveries still running.
            models.Index(fields=["ends_on"], condition=Q(ends_on__isnull=False), name="deal_ends_on_idx"),
            models.Index(
                fields=["delivery_ends_on"],
                condition=Q(delivery_ends_on__isnull=False, delivered_at__isnull=True),
                name="deal_in_delivery_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="deals_amount_not_negative"),
            models.CheckConstraint(condition=Q(version__gte=1), name="deals_version_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == DealStatus.OPEN

    @property
    def days_in_stage(self) -> int:
        return max(0, (timezone.now() - self.stage_entered_at).days)

    @property
    def next_step_overdue(self) -> bool:
        return bool(
            self.status == DealStatus.OPEN
            and self.next_step_date
            and self.next_step_date < timezone.localdate()
        )


def _unchecked(to: str, *, null: bool = False) -> models.ForeignKey:  # type: ignore[type-arg]
    """A key the triggers write without the ORM: no database constraint (a row of zeros may
    outlive its user or stage), no cascade, no index of its own (the unique index leads with
    the pipeline and the board reads by it)."""
    return models.ForeignKey(
        to, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, null=null, related_name="+"
    )


class BoardTotal(models.Model):
    """Open deals per pipeline × stage × currency × owner × team: their number and amount in
    cents. Written only by database triggers on `deals_deal` (see `deals/board_totals.py`);
    the board reads its column counts and totals here, scoped like the deals."""

    pipeline = _unchecked("deals.Pipeline")
    stage = _unchecked("deals.Stage")
    currency = models.CharField(max_length=3)
    owner = _unchecked(settings.AUTH_USER_MODEL, null=True)
    team = _unchecked("users.Team", null=True)
    deals = models.BigIntegerField(default=0)
    amount_cents = models.BigIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()
    scope_marketer_sees_team = Deal.scope_marketer_sees_team

    class Meta:
        constraints = [
            # The triggers' upsert target; owner and team may be NULL, which COALESCE folds to 0.
            models.UniqueConstraint(
                "pipeline",
                "stage",
                "currency",
                Coalesce("owner", Value(0)),
                Coalesce("team", Value(0)),
                name="deals_board_total_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.stage_id} {self.currency}: {self.deals}"


class DealLine(models.Model):
    """A product on a deal: quantity × unit price − discount %, total kept to the cent."""

    deal = models.ForeignKey(Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    unit_price = models.DecimalField(_("unit price"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)
    discount_percent = models.DecimalField(
        _("discount, %"), max_digits=PERCENT_DIGITS, decimal_places=PERCENT_PLACES, default=Decimal("0.00")
    )
    total = models.DecimalField(_("total"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("deal line")
        verbose_name_plural = _("deal lines")
        ordering = ["deal", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="deals_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="deals_line_price_not_negative"),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                name="deals_line_discount_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def gross(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


class DealStageChange(models.Model):
    """One move of a deal between stages, with how long it had been in the previous one."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="+")
    from_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seconds_in_previous = models.PositiveBigIntegerField(
        _("seconds in the previous stage"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["deal", "at", "id"]
        indexes = [
            models.Index(fields=["deal", "at"], name="deal_stage_change_idx"),
            models.Index(fields=["pipeline", "at"], name="deal_stage_change_pipe_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id}"


class DealEvent(models.Model):
    """A line of the deal's timeline."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=20, choices=DealEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("text"), blank=True)
    # A line the system wrote: its code and parameters (core.texts), shown in the reader's language.
    text_message = models.JSONField(null=True, blank=True, editable=False)
    data = models.JSONField(default=dict, blank=True)
    document_version = models.ForeignKey(
        "DocumentVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("deal event")
        verbose_name_plural = _("deal events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["deal", "-at"], name="deal_event_idx")]

    def __str__(self) -> str:
        return f"{self.deal_id} {self.kind}"

    @property
    def shown_text(self) -> str:
        """The line in the reader's (active) language; a typed note as typed."""
        return render(self.text_message, self.text)


# --- Documents (proposals, agreements, invoices, acts) ------------------------------------------


class DocumentTemplate(BusinessModel):
    """An editable HTML template (Django template syntax) a document is rendered from."""

    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    name = models.CharField(_("name"), max_length=120)
    body = models.TextField(_("HTML body"))
    is_default = models.BooleanField(_("default for its kind and language"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["kind", "language", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "language"], condition=Q(is_default=True), name="deals_one_default_template"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CompanyProfile(models.Model):
    """Our own company as it appears on documents (one row)."""

    name = models.CharField(_("company name"), max_length=200, blank=True)
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=60, blank=True)
    address = models.TextField(_("address"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    bank_details = models.TextField(_("bank details"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="company/", blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("company profile")
        verbose_name_plural = _("company profile")

    def __str__(self) -> str:
        return self.name or self.legal_name or "—"


class DocumentCounter(models.Model):
    """The last number given per prefix and year (P-2026-0001, P-2026-0002 …)."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="deals_counter_once")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


class Document(BusinessModel):
    """A numbered commercial document of a deal; every issued version is kept."""

    deal = models.ForeignKey(Deal, verbose_name=_("deal"), on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices)
    number = models.CharField(_("number"), max_length=30, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    template = models.ForeignKey(
        DocumentTemplate, verbose_name=_("template"), null=True, blank=True, on_delete=models.SET_NULL
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT
    )
    current_version = models.PositiveSmallIntegerField(_("current version"), default=0)
    # The key of the form (or API request) that prepared it: the same request sent twice (a double
    # click, a retry) finds this document instead of numbering a second one.
    request_key = models.CharField(_("request key"), max_length=64, blank=True, default="")

    objects = ScopedQuerySet.as_manager()
    scope_owner_field = "deal__owner"
    scope_team_field = "deal__team"

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["deal", "request_key"],
                condition=~Q(request_key=""),
                name="deals_document_request_once",
            )
        ]

    def __str__(self) -> str:
        return self.number


class DocumentVersion(models.Model):
    """One issued version of a document: the HTML and PDF exactly as rendered, and the lines."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveSmallIntegerField(_("version"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    html = models.TextField()
    pdf = models.FileField(upload_to="documents/%Y/", blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    total = models.DecimalField(_("total"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)
    lines = models.JSONField(default=list, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_to = models.CharField(_("sent to"), max_length=254, blank=True)

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["document", "-version"]
        constraints = [models.UniqueConstraint(fields=["document", "version"], name="deals_version_once")]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.version}"

    @property
    def filename(self) -> str:
        return f"{self.document.number}-v{self.version}.pdf"


# --- Payments --------------------------------------------------------------------------------


class Payment(BusinessModel):
    """An expected payment (the schedule) or a received one, in the deal's currency."""

    deal = models.ForeignKey(Deal, verbose_name=_("deal"), on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(_("kind"), max_length=10, choices=PaymentKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES)
    currency = models.CharField(_("currency"), max_length=3)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    document = models.ForeignKey(
        Document,
        verbose_name=_("invoice"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()
    scope_owner_field = "deal__owner"
    scope_team_field = "deal__team"

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["deal", "kind", "due_date", "paid_on", "id"]
        indexes = [
            models.Index(fields=["deal", "kind"], name="payment_deal_kind_idx"),
            models.Index(fields=["kind", "due_date"], name="payment_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="deals_payment_positive"),
            models.CheckConstraint(
                condition=~Q(kind=PaymentKind.EXPECTED) | Q(due_date__isnull=False),
                name="deals_expected_payment_has_due_date",
            ),
            models.CheckConstraint(
                condition=~Q(kind=PaymentKind.RECEIVED) | Q(paid_on__isnull=False),
                name="deals_received_payment_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"


# --- Objections ------------------------------------------------------------------------------


class Objection(BusinessModel):
    """A shared objection with the recommended answer, tagged by product and stage."""

    text = models.CharField(_("objection"), max_length=300)
    answer = models.TextField(_("recommended answer"))
    products = models.ManyToManyField(
        Product, verbose_name=_("products"), blank=True, related_name="objections"
    )
    stages = models.ManyToManyField(Stage, verbose_name=_("stages"), blank=True, related_name="objections")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["text"]

    def __str__(self) -> str:
        return self.shown_text

    @property
    def shown_text(self) -> str:
        """A seeded objection in the reader's language; an admin's wording as written."""
        from clientela.deals.defaults import seeded_text

        return seeded_text(self.text)

    @property
    def shown_answer(self) -> str:
        from clientela.deals.defaults import seeded_text

        return seeded_text(self.answer)


class DealObjection(models.Model):
    """An objection raised in a deal, at the stage the deal was in — so they can be counted."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="objections")
    objection = models.ForeignKey(Objection, on_delete=models.PROTECT, related_name="raised")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("raised objection")
        verbose_name_plural = _("raised objections")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["objection", "stage"], name="deal_objection_count_idx")]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.objection_id}"


# --- Exchange rates --------------------------------------------------------------------------

RATE_DIGITS, RATE_PLACES = 20, 10


class ExchangeRate(BusinessModel):
    """How much one unit of `currency` is worth in `base` from `valid_from` on, as an admin
    recorded it (`updated_by`: who entered the figure in force). Board totals convert with the
    latest rate on or before the day shown; `base` keeps rates of an earlier base currency
    from being read as rates of the current one (decision 0015)."""

    currency = models.CharField(_("currency"), max_length=3)
    base = models.CharField(_("base currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=RATE_DIGITS, decimal_places=RATE_PLACES)
    valid_from = models.DateField(_("valid from"))

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint("base", "currency", "valid_from", name="deals_exchange_rate_once_a_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="deals_exchange_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate.normalize():f} {self.base} ({self.valid_from.isoformat()})"
