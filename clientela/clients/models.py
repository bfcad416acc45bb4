"""Clients (companies and private persons) and their contacts.

The leads capability created the first fields (conversion fills them); this app extends the
same records: legal details, size, addresses, HQ/branches, commercial terms, loyalty, tags,
the employment history of contacts, handovers between managers, saved list views, and the
card-completeness norm.

Visibility follows the client's personal manager (owner) and team; a contact is visible
with its current client. Marketers do not see clients or contacts (SPEC §1: their work is
sources, campaigns and intake; segments for campaigns are counted by the campaigns capability).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.clients import search
from clientela.clients.choices import (
    AbcClass,
    ChurnReason,
    ClientKind,
    ContactRole,
    RevenueBand,
    SavedViewList,
)
from clientela.core.models import BusinessModel
from clientela.core.permissions import ScopedQuerySet


def _refresh_search_key(
    instance: Any, compute: Callable[[Any], str], fields: frozenset[str], save_kwargs: dict[str, Any]
) -> None:
    """Recompute `search_text` before a save; a save of some fields also writes the key when
    one of them feeds it."""
    update_fields = save_kwargs.get("update_fields")
    if update_fields is not None:
        if not fields & set(update_fields):
            return
        save_kwargs["update_fields"] = {*update_fields, "search_text"}
    instance.search_text = compute(instance)


class Tag(models.Model):
    """A free label on clients ("key account", "VIP", "exhibition 2025") — shared by everyone."""

    name = models.CharField(_("name"), max_length=50)
    key = models.CharField(max_length=50, unique=True, editable=False)  # lowercased, for uniqueness

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class Client(BusinessModel):
    """A company (or private person) we sell to, with a personal manager (owner)."""

    kind = models.CharField(_("kind"), max_length=16, choices=ClientKind.choices, default=ClientKind.COMPANY)
    name = models.CharField(_("name"), max_length=200)
    legal_form = models.CharField(_("legal form"), max_length=40, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=60, blank=True)
    industry = models.CharField(_("industry"), max_length=60, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    revenue_band = models.CharField(
        _("annual revenue"), max_length=16, choices=RevenueBand.choices, blank=True
    )
    country = models.CharField(_("country"), max_length=2, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True, help_text=_("E.164"))
    phone_raw = models.CharField(_("phone as entered"), max_length=60, blank=True)
    other_emails = models.JSONField(_("other e-mails"), default=list, blank=True)
    other_phones = models.JSONField(_("other phones"), default=list, blank=True, help_text=_("E.164"))

    headquarters = models.ForeignKey(
        "self",
        verbose_name=_("headquarters"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="branches",
        help_text=_("Set on a branch: the company's head office."),
    )

    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), null=True, blank=True, validators=[MaxValueValidator(365)]
    )
    payment_terms_note = models.CharField(_("payment terms"), max_length=200, blank=True)
    credit_limit = models.DecimalField(
        _("credit limit"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    credit_currency = models.CharField(_("currency"), max_length=3, blank=True)
    solvency_note = models.TextField(_("solvency note"), blank=True)
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    # The loyalty price list is kept by the price lists (deals.ClientPriceList), see extensions.
    bonuses = models.TextField(_("bonuses"), blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="clients")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personal manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clients",
    )
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # Status inputs (the status itself is computed in clients.status).
    last_activity_at = models.DateTimeField(
        _("last contact or purchase"),
        null=True,
        blank=True,
        help_text=_("Kept up to date by activities and deals."),
    )
    lost_at = models.DateTimeField(_("lost at"), null=True, blank=True)
    # Stored for the lists' status and completeness filters (kept by clients.status and
    # clients.completeness; see docs/performance.md, "Third round").
    # Set by save(); rows inserted around it (bulk_create, COPY) get the insert time, like
    # `created_at` — callers that back-date them recount (clients.status.refresh_last_contact).
    last_contact_at = models.DateTimeField(_("last contact"), editable=False, db_default=Now())
    completeness_filled = models.PositiveSmallIntegerField(_("filled key fields"), default=0, editable=False)
    lost_reason = models.CharField(_("why lost"), max_length=24, choices=ChurnReason.choices, blank=True)
    lost_note = models.TextField(_("about the loss"), blank=True)

    # Value figures, kept by the nightly classification (`retention.value`, set-based; also
    # `clientela retention classify`): revenue over the trailing 12 months in the base currency,
    # the ABC class, the RFM scores (1–5, none without purchases) and the first two purchases.
    revenue_12m = models.DecimalField(
        _("revenue, last 12 months"),
        max_digits=16,
        decimal_places=2,
        default=Decimal("0.00"),
        db_default=Decimal("0.00"),
        editable=False,
    )
    abc_class = models.CharField(
        _("ABC class"),
        max_length=1,
        choices=AbcClass.choices,
        blank=True,
        default="",
        db_default="",
        editable=False,
    )
    rfm_r = models.PositiveSmallIntegerField(_("recency score"), null=True, blank=True, editable=False)
    rfm_f = models.PositiveSmallIntegerField(_("frequency score"), null=True, blank=True, editable=False)
    rfm_m = models.PositiveSmallIntegerField(_("monetary score"), null=True, blank=True, editable=False)
    first_purchase_at = models.DateTimeField(_("first purchase"), null=True, blank=True, editable=False)
    second_purchase_at = models.DateTimeField(_("second purchase"), null=True, blank=True, editable=False)
    # Won deals to date at the latest rates (amounts without a rate left out) and the last of them:
    # what the passive list shows and sorts by (a passive client buys nothing until it is active
    # again, so the nightly figure is the live one).
    value_to_date = models.DecimalField(
        _("value to date"),
        max_digits=18,
        decimal_places=2,
        default=Decimal("0.00"),
        db_default=Decimal("0.00"),
        editable=False,
    )
    last_purchase_at = models.DateTimeField(_("last purchase"), null=True, blank=True, editable=False)

    is_archived = models.BooleanField(_("archived"), default=False)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    # What "the same tax id" compares (e.g. HU: the 8-digit taxpayer number), per country.
    tax_key = models.CharField(max_length=40, blank=True, editable=False)
    # Lowercased, accent-free, transliterated name/legal ids/e-mails/phone digits for search.
    search_text = models.TextField(blank=True, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]
        indexes = [
            # A manager's and a team's working clients by name: the list's first page and its
            # count (index-only) for the viewer's scope.
            models.Index(
                fields=["owner", "name"], condition=Q(is_archived=False), name="client_owner_working_idx"
            ),
            models.Index(
                fields=["team", "name"], condition=Q(is_archived=False), name="client_team_working_idx"
            ),
            models.Index(fields=["is_archived", "name"], name="client_archived_name_idx"),
            # Status filters (new / active / passive) and their counts: working clients that are
            # not lost, by last contact; index-only for every viewer's scope.
            models.Index(
                fields=["last_contact_at", "created_at"],
                include=["team", "owner"],
                condition=Q(lost_at__isnull=True, is_archived=False),
                name="client_last_contact_idx",
            ),
            # Completeness filters (below the norm / within it / complete) and their counts.
            models.Index(
                fields=["completeness_filled", "kind"],
                include=["team", "owner"],
                condition=Q(is_archived=False),
                name="client_completeness_idx",
            ),
            # Value filters and figures (ABC class, RFM grid, concentration, first purchases).
            models.Index(
                fields=["abc_class"],
                include=["team", "owner", "revenue_12m"],
                condition=Q(is_archived=False),
                name="client_abc_idx",
            ),
            # The passive list, most valuable first: walked in order, the status read from the
            # index.
            models.Index(
                fields=["-value_to_date", "name", "id"],
                include=["team", "owner", "last_contact_at", "created_at", "last_purchase_at"],
                condition=Q(lost_at__isnull=True, is_archived=False),
                name="client_value_to_date_idx",
            ),
            models.Index(
                fields=["rfm_r", "rfm_f"],
                include=["team", "owner", "rfm_m", "revenue_12m", "is_archived"],
                condition=Q(rfm_r__isnull=False),
                name="client_rfm_idx",
            ),
            models.Index(
                fields=["-revenue_12m", "id"],
                include=["team", "owner", "abc_class"],
                condition=Q(revenue_12m__gt=0),
                name="client_revenue_idx",
            ),
            models.Index(
                fields=["first_purchase_at"],
                include=["team", "owner", "second_purchase_at"],
                condition=Q(first_purchase_at__isnull=False),
                name="client_first_purchase_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "tax_key"], condition=~Q(tax_key=""), name="client_tax_id_unique"
            ),
            models.UniqueConstraint(
                fields=["country", "registration_number"],
                condition=~Q(registration_number=""),
                name="client_registration_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keep the search key, the completeness count and the last contact current however the
        client is saved (see clients.search, clients.completeness, clients.status)."""
        _refresh_search_key(self, search.client_search_text, search.CLIENT_SEARCH_FIELDS, kwargs)
        self._keep_stored_figures(kwargs)
        super().save(*args, **kwargs)

    def _keep_stored_figures(self, save_kwargs: dict[str, Any]) -> None:
        from clientela.clients.completeness import COUNTED_COLUMNS, filled_count

        update_fields = save_kwargs.get("update_fields")
        written = set(update_fields) if update_fields is not None else None
        if written is None or written & COUNTED_COLUMNS:
            self.completeness_filled = filled_count(self)
            if written is not None:
                written.add("completeness_filled")
        if written is None or written & {"last_activity_at", "created_at"}:
            # Only forward: touches counted by clients.status stay (a full recount is
            # clients.status.refresh_last_contact).
            candidates = [
                self.last_contact_at,
                self.last_activity_at,
                self.created_at or timezone.now(),
            ]
            # A new instance holds the database default's marker, not a date.
            self.last_contact_at = max(c for c in candidates if isinstance(c, dt.datetime))
            if written is not None:
                written.add("last_contact_at")
        if written is not None:
            save_kwargs["update_fields"] = written

    @property
    def is_branch(self) -> bool:
        return self.headquarters_id is not None


class Contact(BusinessModel):
    """A person at a client, with a role in buying decisions.

    `client` is where the person works now; `memberships` keep where they worked before.
    """

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="contacts"
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    position = models.CharField(_("position"), max_length=120, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=ContactRole.choices, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True, help_text=_("E.164"))
    phone_raw = models.CharField(_("phone as entered"), max_length=60, blank=True)
    other_emails = models.JSONField(_("other e-mails"), default=list, blank=True)
    other_phones = models.JSONField(_("other phones"), default=list, blank=True, help_text=_("E.164"))
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, blank=True, choices=settings.LANGUAGES
    )
    consent = models.BooleanField(_("marketing consent"), default=False)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_source = models.CharField(_("consent source"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_archived = models.BooleanField(_("archived"), default=False)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    search_text = models.TextField(blank=True, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_owner_field = "client__owner"
    scope_team_field = "client__team"

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["client", "last_name"], name="contact_client_name_idx"),
            # The contact list's first page in name order walks this and stops (a head of sales'
            # page was a join and sort of every contact: 0.8 s at 500k contacts).
            models.Index(
                fields=["last_name", "first_name", "id"],
                condition=Q(is_archived=False),
                name="contact_name_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or self.phone

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keep the search key current however the contact is saved (see clients.search), and
        the client's completeness count when the contact joins, leaves or is (un)archived
        (a working contact is one of the key fields; `contact_move` recounts the old client)."""
        from clientela.clients.completeness import refresh_completeness

        _refresh_search_key(self, search.contact_search_text, search.CONTACT_SEARCH_FIELDS, kwargs)
        update_fields = kwargs.get("update_fields")
        super().save(*args, **kwargs)
        if update_fields is None or {"is_archived", "client", "client_id"} & set(update_fields):
            refresh_completeness([self.client_id])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ContactMembership(models.Model):
    """One period of a person working at a client: where contacts were, and when they moved.

    The open period (no `ended_on`) matches the contact's current client. Contacts created
    before this history existed (e.g. by lead conversion) get their first period when they move.
    """

    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="memberships"
    )
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="memberships"
    )
    position = models.CharField(_("position"), max_length=120, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=ContactRole.choices, blank=True)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("to"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("employment period")
        verbose_name_plural = _("employment history")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"], condition=Q(ended_on__isnull=True), name="membership_one_open_per_contact"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="membership_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact} @ {self.client}"


class Handover(models.Model):
    """One transfer of clients to another personal manager (one client or a whole portfolio)."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("new personal manager"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="handovers_received",
    )
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note for the new manager"), blank=True)

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} → {self.to_user}"


class HandoverItem(models.Model):
    """One client of a handover, with whom it came from."""

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="items")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="handover_items")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("previous personal manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_team = models.ForeignKey(
        "users.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("handed-over client")
        verbose_name_plural = _("handed-over clients")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["handover", "client"], name="handover_client_once"),
        ]

    def __str__(self) -> str:
        return str(self.client)


class SavedView(models.Model):
    """A named set of list filters a person saved (a tab on the clients or contacts list)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_saved_views"
    )
    list_name = models.CharField(_("list"), max_length=16, choices=SavedViewList.choices)
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("filters"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "list_name", "name"], name="saved_view_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ClientPolicy(models.Model):
    """Settings of the clients capability (one row): the card-completeness norm."""

    card_norm_min = models.PositiveSmallIntegerField(
        _("normal card: at least (fields)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(18)],
        help_text=_("A company card with fewer filled key fields is below the norm (SPEC: 10–15)."),
    )
    card_norm_target = models.PositiveSmallIntegerField(
        _("complete card (fields)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(18)],
        help_text=_("This many filled key fields count as 100 %."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("client settings")
        verbose_name_plural = _("client settings")

    def __str__(self) -> str:
        return str(_("Client settings"))

    @classmethod
    def current(cls) -> ClientPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy
