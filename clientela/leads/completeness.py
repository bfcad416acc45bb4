"""Lead card completeness: how many of a lead card's key fields are filled, against the norm.

SPEC §2: a normal lead card has 3–5 filled fields (name, phone or e-mail, interest, company,
source). The fields counted (each 1 when filled, so a card counts 0–8):

    name (first or last name) · company · e-mail · phone · position · industry · country ·
    interested in (product)

The source is not counted: every lead has one (it defaults to "other"). A card with at least
`NORM_MIN` (3) counted fields is within the norm, with `NORM_TARGET` (5) or more it is complete.
The count is an SQL expression (`filled_expression`) so lists and reports filter, group and
average it in the database; `filled_count` is the same count for one lead in Python.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from clientela.leads.models import Lead

NORM_MIN = 3
NORM_TARGET = 5

# key → (label, the condition that it is filled)
KEY_FIELDS: dict[str, tuple[Any, Q]] = {
    "name": (_("Name"), ~Q(first_name="") | ~Q(last_name="")),
    "company": (_("Company"), ~Q(company_name="")),
    "email": (_("E-mail"), ~Q(email="")),
    "phone": (_("Phone"), ~Q(phone="")),
    "position": (_("Position"), ~Q(position="")),
    "industry": (_("Industry"), ~Q(industry="")),
    "country": (_("Country"), ~Q(country="")),
    "product": (_("Interested in"), ~Q(product="")),
}
FIELD_COUNT = len(KEY_FIELDS)
_ATTRIBUTES = {
    "name": ("first_name", "last_name"),
    "company": ("company_name",),
    "email": ("email",),
    "phone": ("phone",),
    "position": ("position",),
    "industry": ("industry",),
    "country": ("country",),
    "product": ("product",),
}


def filled_expression() -> Any:
    """The number of filled key fields of a lead row, in SQL."""
    total: Any = Value(0)
    for _label, condition in KEY_FIELDS.values():
        total = total + Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())
    return total


def filled_count(lead: Lead) -> int:
    return sum(1 for names in _ATTRIBUTES.values() if any(getattr(lead, name) for name in names))


def missing_fields(lead: Lead) -> list[Any]:
    return [
        KEY_FIELDS[key][0] for key, names in _ATTRIBUTES.items() if not any(getattr(lead, n) for n in names)
    ]


def filter_completeness(leads: QuerySet[Lead], level: str) -> QuerySet[Lead]:
    """Leads below the norm (`below`), within it (`normal`, complete ones included) or complete."""
    leads = leads.alias(filled_fields=filled_expression())
    if level == "below":
        return leads.filter(filled_fields__lt=NORM_MIN)
    if level == "normal":
        return leads.filter(filled_fields__gte=NORM_MIN)
    if level == "complete":
        return leads.filter(filled_fields__gte=NORM_TARGET)
    return leads
