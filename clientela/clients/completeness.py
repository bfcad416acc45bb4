"""Card completeness: how many of a client card's key fields are filled, against the norm.

SPEC §2: a normal client card has 10–15 filled fields (a lead card 3–5). The key fields are
listed once below, with how to tell they are filled both in Python (one card) and in SQL (the
list's column and filter), so the card and the list always agree. The norm (at least N
fields, M fields = 100 %) is configured in `ClientPolicy`.

A private person has no legal details, size or website: those fields do not apply, and the
norm shrinks in proportion (a person's card with 6 of its 11 fields filled is as normal as a
company's with 10 of 18).

The number of filled fields is stored on the client (`Client.completeness_filled`, indexed by
`client_completeness_idx`) so the list filters and sorts on a column: `Client.save()` counts
it (`filled_count`) whenever a key field is saved, and `refresh_completeness` recounts it in
SQL for given clients when their contacts change (`Contact.save()`, contact moves). The norm
is applied when reading (`with_completeness`, `filter_completeness`), so changing it needs
no recount.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import Combinable
from django.db.models.functions import Least
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clientela.clients.choices import ClientKind, CompletenessLevel
from clientela.clients.models import Client, ClientPolicy, Contact

Q_ = TypeVar("Q_", bound=QuerySet[Client])


@dataclass(frozen=True)
class KeyField:
    key: str
    label: Promise
    filled: Callable[[Client], bool]
    condition: Callable[[], Any]  # a Q or an Exists() that is true when the field is filled
    company_only: bool = False


def _text(name: str) -> Callable[[], Q]:
    return lambda: ~Q(**{name: ""})


def _set(name: str) -> Callable[[], Q]:
    return lambda: Q(**{f"{name}__isnull": False})


def _has_contacts(client: Client) -> bool:
    cached = getattr(client, "_prefetched_objects_cache", {}).get("contacts")
    if cached is not None:
        return any(not c.is_archived for c in cached)
    return client.contacts.filter(is_archived=False).exists() if client.pk else False


KEY_FIELDS: list[KeyField] = [
    KeyField("name", _("Name"), lambda c: bool(c.name), _text("name")),
    KeyField("legal_form", _("Legal form"), lambda c: bool(c.legal_form), _text("legal_form"), True),
    KeyField("tax_id", _("Tax id"), lambda c: bool(c.tax_id), _text("tax_id"), True),
    KeyField(
        "registration_number",
        _("Registration number"),
        lambda c: bool(c.registration_number),
        _text("registration_number"),
        True,
    ),
    KeyField("industry", _("Industry"), lambda c: bool(c.industry), _text("industry"), True),
    KeyField("employees", _("Employees"), lambda c: c.employees is not None, _set("employees"), True),
    KeyField(
        "revenue_band", _("Annual revenue"), lambda c: bool(c.revenue_band), _text("revenue_band"), True
    ),
    KeyField("country", _("Country"), lambda c: bool(c.country), _text("country")),
    KeyField("region", _("Region"), lambda c: bool(c.region), _text("region")),
    KeyField("city", _("City"), lambda c: bool(c.city), _text("city")),
    KeyField("address", _("Address"), lambda c: bool(c.address), _text("address")),
    KeyField("website", _("Website"), lambda c: bool(c.website), _text("website"), True),
    KeyField("phone", _("Phone"), lambda c: bool(c.phone), _text("phone")),
    KeyField("email", _("E-mail"), lambda c: bool(c.email), _text("email")),
    KeyField(
        "payment_terms",
        _("Payment terms"),
        lambda c: c.payment_terms_days is not None or bool(c.payment_terms_note),
        lambda: Q(payment_terms_days__isnull=False) | ~Q(payment_terms_note=""),
    ),
    KeyField(
        "credit",
        _("Credit limit or solvency"),
        lambda c: c.credit_limit is not None or bool(c.solvency_note),
        lambda: Q(credit_limit__isnull=False) | ~Q(solvency_note=""),
    ),
    KeyField("owner", _("Personal manager"), lambda c: c.owner_id is not None, _set("owner")),
    KeyField(
        "contacts",
        _("A contact person"),
        _has_contacts,
        lambda: Exists(Contact.objects.filter(client=OuterRef("pk"), is_archived=False)),
    ),
]
COMPANY_FIELD_COUNT = len(KEY_FIELDS)
# Client columns the count reads (a save of any of them recounts; contacts are counted apart).
COUNTED_COLUMNS = frozenset(
    {
        "kind",
        "name",
        "legal_form",
        "tax_id",
        "registration_number",
        "industry",
        "employees",
        "revenue_band",
        "country",
        "region",
        "city",
        "address",
        "website",
        "phone",
        "email",
        "payment_terms_days",
        "payment_terms_note",
        "credit_limit",
        "solvency_note",
        "owner",
        "owner_id",
    }
)
PERSON_FIELD_COUNT = sum(not f.company_only for f in KEY_FIELDS)


@dataclass(frozen=True)
class Norm:
    minimum: int  # filled fields for a normal card
    target: int  # filled fields that count as 100 %
    total: int  # key fields that apply


def norms(policy: ClientPolicy | None = None) -> dict[str, Norm]:
    """The norm per client kind, from the configured one for companies."""
    policy = policy or ClientPolicy.current()
    target = min(policy.card_norm_target, COMPANY_FIELD_COUNT)
    minimum = min(policy.card_norm_min, target)
    scale = PERSON_FIELD_COUNT / COMPANY_FIELD_COUNT
    person_target = max(1, round(target * scale))
    return {
        ClientKind.COMPANY: Norm(minimum, target, COMPANY_FIELD_COUNT),
        ClientKind.PERSON: Norm(
            max(1, min(person_target, round(minimum * scale))), person_target, PERSON_FIELD_COUNT
        ),
    }


@dataclass
class Completeness:
    filled: int
    norm: Norm
    missing: list[Promise] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return min(100, self.filled * 100 // self.norm.target)

    @property
    def normal(self) -> bool:
        return self.filled >= self.norm.minimum

    @property
    def level(self) -> str:
        if self.percent >= 100:
            return CompletenessLevel.COMPLETE
        return CompletenessLevel.NORMAL if self.normal else CompletenessLevel.BELOW


def applicable_fields(kind: str) -> list[KeyField]:
    return [f for f in KEY_FIELDS if kind != ClientKind.PERSON or not f.company_only]


def card_completeness(client: Client, *, policy: ClientPolicy | None = None) -> Completeness:
    """Which key fields of this card are filled and which are missing, against the norm."""
    kind = ClientKind.PERSON if client.kind == ClientKind.PERSON else ClientKind.COMPANY
    norm = norms(policy)[kind]
    fields = applicable_fields(kind)
    missing = [f.label for f in fields if not f.filled(client)]
    return Completeness(filled=len(fields) - len(missing), norm=norm, missing=missing)


def filled_count(client: Client) -> int:
    """How many applicable key fields of this card are filled (what `completeness_filled` stores)."""
    kind = ClientKind.PERSON if client.kind == ClientKind.PERSON else ClientKind.COMPANY
    return sum(1 for f in applicable_fields(kind) if f.filled(client))


def filled_expression() -> Combinable:
    """The same count in SQL over a client row (for set-based recounts)."""
    total: Any = Value(0)
    for key_field in KEY_FIELDS:
        condition = key_field.condition()
        if key_field.company_only:
            condition = Q(condition) & ~Q(kind=ClientKind.PERSON)
        total = total + Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())
    return total  # type: ignore[no-any-return]


def refresh_completeness(client_ids: Iterable[int] | None = None) -> int:
    """Recount the stored `completeness_filled` of these clients (all when None) in one UPDATE."""
    clients = Client.objects.all()
    if client_ids is not None:
        ids = {int(pk) for pk in client_ids if pk is not None}
        if not ids:
            return 0
        clients = clients.filter(pk__in=ids)
    return clients.update(completeness_filled=filled_expression())


def with_completeness(queryset: Q_, *, policy: ClientPolicy | None = None) -> Q_:
    """Annotate `completeness_percent` (the card's number) from the stored `completeness_filled`."""
    by_kind = norms(policy)
    person, company = by_kind[ClientKind.PERSON], by_kind[ClientKind.COMPANY]
    filled = F("completeness_filled")
    percent = Case(
        When(
            kind=ClientKind.PERSON,
            then=Least(Value(100), (filled * 100) / Value(person.target), output_field=IntegerField()),
        ),
        default=Least(Value(100), (filled * 100) / Value(company.target), output_field=IntegerField()),
        output_field=IntegerField(),
    )
    return queryset.annotate(completeness_percent=percent)  # type: ignore[return-value]


def completeness_condition(level: str, *, policy: ClientPolicy | None = None) -> Q:
    """Clients below the norm, within it (complete ones included), or complete (100 %), as a
    condition on the stored count."""
    by_kind = norms(policy)
    person, company = by_kind[ClientKind.PERSON], by_kind[ClientKind.COMPANY]
    if level == CompletenessLevel.COMPLETE:
        return Q(kind=ClientKind.PERSON, completeness_filled__gte=person.target) | (
            ~Q(kind=ClientKind.PERSON) & Q(completeness_filled__gte=company.target)
        )
    if level == CompletenessLevel.NORMAL:
        return Q(kind=ClientKind.PERSON, completeness_filled__gte=person.minimum) | (
            ~Q(kind=ClientKind.PERSON) & Q(completeness_filled__gte=company.minimum)
        )
    if level == CompletenessLevel.BELOW:
        return Q(kind=ClientKind.PERSON, completeness_filled__lt=person.minimum) | (
            ~Q(kind=ClientKind.PERSON) & Q(completeness_filled__lt=company.minimum)
        )
    return Q()


def filter_completeness(queryset: Q_, level: str, *, policy: ClientPolicy | None = None) -> Q_:
    """Clients below the norm, within it (complete ones included), or complete (100 %)."""
    return queryset.filter(completeness_condition(level, policy=policy))  # type: ignore[return-value]
