"""Forms of the client and contact pages: they parse what was typed; the services decide.

Values such as tax ids, phones and e-mails are handed to the services as typed; the services
normalise and check them and report problems per field (shown next to the field).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clientela.clients.choices import (
    INDUSTRY_SUGGESTIONS,
    ChurnReason,
    ClientKind,
    ContactRole,
    RevenueBand,
)
from clientela.clients.hooks import price_lists
from clientela.clients.models import Client, ClientPolicy, Contact
from clientela.clients.services.loyalty import client_price_list
from clientela.clients.services.rules import CLIENT_TEXT_FIELDS, CONTACT_POINT_LIMITS, CONTACT_TEXT_FIELDS
from clientela.core.validation import limit_widgets
from clientela.users.models import User


class DateInput(forms.DateInput):
    input_type = "date"


def _optional(choices: Any, label: Any) -> list[tuple[str, Any]]:
    return [("", label), *list(choices)]


def split_list(text: str) -> list[str]:
    """One value per line (commas and semicolons separate too)."""
    return [part.strip() for part in re.split(r"[\n,;]+", text or "") if part.strip()]


def _textarea(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


# --- Clients ---------------------------------------------------------------------------------------


class ClientForm(forms.Form):
    """The client card's fields, grouped as on the card. `values()` → data for the services."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ClientKind.choices)
    name = forms.CharField(label=_("Name"))
    legal_form = forms.CharField(
        label=_("Legal form"), required=False, help_text=_("e.g. SRL, Kft., Sdn. Bhd., Ltd")
    )
    tax_id = forms.CharField(label=_("Tax id"), required=False)
    registration_number = forms.CharField(label=_("Registration number"), required=False)
    industry = forms.CharField(
        label=_("Industry"),
        required=False,
        widget=forms.TextInput(attrs={"list": "industries"}),
    )
    employees = forms.IntegerField(label=_("Employees"), required=False, min_value=0)
    revenue_band = forms.ChoiceField(
        label=_("Annual revenue (EUR)"), required=False, choices=_optional(RevenueBand.choices, "—")
    )
    country = forms.CharField(
        label=_("Country"), required=False, help_text=_("Two letters, e.g. RO, HU, MY.")
    )
    region = forms.CharField(label=_("Region"), required=False)
    city = forms.CharField(label=_("City"), required=False)
    address = forms.CharField(label=_("Address"), required=False)
    postal_code = forms.CharField(label=_("Postal code"), required=False)
    website = forms.CharField(label=_("Website"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False)
    email = forms.CharField(label=_("E-mail"), required=False)
    other_phones = forms.CharField(
        label=_("Other phones"), required=False, widget=_textarea(), help_text=_("One per line.")
    )
    other_emails = forms.CharField(
        label=_("Other e-mails"), required=False, widget=_textarea(), help_text=_("One per line.")
    )
    headquarters = forms.IntegerField(
        label=_("Headquarters"),
        required=False,
        widget=forms.Select(attrs={"data-client-picker": "true"}),
        help_text=_("For a branch: its head office."),
    )
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"), required=False, min_value=0, max_value=365
    )
    payment_terms_note = forms.CharField(label=_("Payment terms"), required=False)
    credit_limit = forms.DecimalField(
        label=_("Credit limit"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    credit_currency = forms.CharField(label=_("Currency"), max_length=3, required=False)
    solvency_note = forms.CharField(label=_("Solvency note"), required=False, widget=_textarea())
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"), required=False, min_value=0, max_value=100, max_digits=5, decimal_places=2
    )
    price_list = forms.TypedChoiceField(
        label=_("Loyalty price list"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Overrides the default price list of its currency. Heads of sales and admins choose it."),
    )
    bonuses = forms.CharField(label=_("Bonuses"), required=False, widget=_textarea())
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=1000, help_text=_("Separated by commas.")
    )
    owner = forms.ModelChoiceField(
        label=_("Personal manager"), queryset=User.objects.none(), required=False, empty_label=_("Team queue")
    )

    GROUPS = [
        (_("Company"), ["kind", "name", "legal_form", "tax_id", "registration_number", "industry"]),
        (_("Size"), ["employees", "revenue_band"]),
        (_("Where"), ["country", "region", "city", "address", "postal_code"]),
        (_("How to reach"), ["phone", "email", "website", "other_phones", "other_emails"]),
        (_("Structure"), ["headquarters"]),
        (
            _("Terms and loyalty"),
            [
                "payment_terms_days",
                "payment_terms_note",
                "credit_limit",
                "credit_currency",
                "solvency_note",
                "discount_percent",
                "price_list",
                "bonuses",
            ],
        ),
        (_("Management"), ["owner", "tags"]),
    ]
    PLAIN = [
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
        "postal_code",
        "website",
        "phone",
        "email",
        "payment_terms_days",
        "payment_terms_note",
        "credit_limit",
        "credit_currency",
        "solvency_note",
        "discount_percent",
        "bonuses",
    ]

    def __init__(
        self,
        *args: Any,
        client: Client | None = None,
        owners: QuerySet[User] | None = None,
        hq_choice: Client | None = None,
        user: Any = None,
        **kwargs: Any,
    ) -> None:
        if client is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_from_client(client)
        super().__init__(*args, **kwargs)
        self.client = client
        limit_widgets(self.fields, {**CLIENT_TEXT_FIELDS, **CONTACT_POINT_LIMITS, "country": 2})
        if owners is None or client is not None:
            del self.fields["owner"]
        else:
            owner_field: Any = self.fields["owner"]
            owner_field.queryset = owners
        self._price_list_setup(kwargs.get("initial") or {}, user)
        hq = hq_choice or (client.headquarters if client is not None and client.headquarters_id else None)
        self.fields["headquarters"].widget.choices = [("", "—")] + ([(hq.pk, str(hq))] if hq else [])

    def _price_list_setup(self, initial: dict[str, Any], user: Any) -> None:
        """The loyalty price list is kept with the price lists (clients.extensions): offer the
        active lists; people who may not choose it see it read-only."""
        provider = price_lists.one()
        if provider is None:
            del self.fields["price_list"]
            return
        field: Any = self.fields["price_list"]
        choices = [("", "—"), *provider.choices()]
        current = initial.get("price_list")
        if current and current not in {pk for pk, _label in choices if pk != ""}:
            choices.append((current, initial.get("price_list_label") or str(current)))
        field.choices = choices
        if user is not None and not provider.can_assign(user):
            field.disabled = True

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [
            (title, [self[name] for name in names if name in self.fields]) for title, names in self.GROUPS
        ]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {name: data.get(name) for name in self.PLAIN}
        if "price_list" in self.fields and not self.fields["price_list"].disabled:
            values["price_list"] = data.get("price_list")
        values["other_phones"] = split_list(data.get("other_phones", ""))
        values["other_emails"] = split_list(data.get("other_emails", ""))
        return values

    def tag_names(self) -> list[str]:
        return [part.strip() for part in (self.cleaned_data.get("tags") or "").split(",") if part.strip()]

    def changes(self) -> dict[str, Any]:
        """Only what differs from the stored card (so an unchanged form writes nothing)."""
        assert self.client is not None
        initial = initial_from_client(self.client)
        values = self.values()
        changed = {}
        for name, value in values.items():
            before = initial.get(name)
            if name in ("other_phones", "other_emails"):
                if split_list(before or "") != value:
                    changed[name] = value
            elif _comparable(before) != _comparable(value):
                changed[name] = value
        return changed


def _comparable(value: Any) -> str:
    return "" if value is None else str(value).strip()


def initial_from_client(client: Client) -> dict[str, Any]:
    initial: dict[str, Any] = {name: getattr(client, name) for name in ClientForm.PLAIN}
    initial["phone"] = client.phone_raw or client.phone if client.phone else ""
    initial["other_phones"] = "\n".join(client.other_phones or [])
    initial["other_emails"] = "\n".join(client.other_emails or [])
    initial["headquarters"] = client.headquarters_id
    current = client_price_list(client)
    initial["price_list"], initial["price_list_label"] = current if current else (None, "")
    if client.pk:
        initial["tags"] = ", ".join(t.name for t in client.tags.all())
    return initial


class HandoverForm(forms.Form):
    to_user = forms.ModelChoiceField(label=_("New personal manager"), queryset=User.objects.none())
    note = forms.CharField(
        label=_("Note for the new manager"),
        required=False,
        max_length=5000,
        widget=_textarea(3),
        help_text=_("What they should know: promises made, open questions, the people to call first."),
    )

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["to_user"]
        field.queryset = people


class HandoverPortfolioForm(HandoverForm):
    """All clients of one manager to another (e.g. someone leaves the company)."""

    from_user = forms.ModelChoiceField(label=_("Clients of"), queryset=User.objects.none())
    field_order = ["from_user", "to_user", "note"]

    def __init__(self, *args: Any, people: QuerySet[User], sources: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, people=people, **kwargs)
        field: Any = self.fields["from_user"]
        field.queryset = sources

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("from_user") and data.get("from_user") == data.get("to_user"):
            self.add_error("to_user", _("Choose someone else."))
        return data


class LostForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why the client left"), choices=ChurnReason.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=_textarea(3))


# --- Contacts --------------------------------------------------------------------------------------


class ContactForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), required=False)
    last_name = forms.CharField(label=_("Last name"), required=False)
    position = forms.CharField(label=_("Position"), required=False)
    role = forms.ChoiceField(label=_("Role"), required=False, choices=_optional(ContactRole.choices, "—"))
    phone = forms.CharField(label=_("Phone"), required=False)
    email = forms.CharField(label=_("E-mail"), required=False)
    other_phones = forms.CharField(
        label=_("Other phones"), required=False, widget=_textarea(), help_text=_("One per line.")
    )
    other_emails = forms.CharField(
        label=_("Other e-mails"), required=False, widget=_textarea(), help_text=_("One per line.")
    )
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=DateInput)
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), required=False, choices=_optional(settings.LANGUAGES, "—")
    )
    consent = forms.BooleanField(label=_("Marketing consent"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=_textarea(3))

    PLAIN = [
        "first_name",
        "last_name",
        "position",
        "role",
        "phone",
        "email",
        "birthday",
        "preferred_language",
        "consent",
        "notes",
    ]

    def __init__(self, *args: Any, contact: Contact | None = None, **kwargs: Any) -> None:
        if contact is not None and "initial" not in kwargs:
            initial = {name: getattr(contact, name) for name in self.PLAIN}
            initial["phone"] = contact.phone_raw or contact.phone if contact.phone else ""
            initial["other_phones"] = "\n".join(contact.other_phones or [])
            initial["other_emails"] = "\n".join(contact.other_emails or [])
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.contact = contact
        limit_widgets(self.fields, {**CONTACT_TEXT_FIELDS, **CONTACT_POINT_LIMITS})

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {name: data.get(name) for name in self.PLAIN}
        if "price_list" in self.fields and not self.fields["price_list"].disabled:
            values["price_list"] = data.get("price_list")
        values["other_phones"] = split_list(data.get("other_phones", ""))
        values["other_emails"] = split_list(data.get("other_emails", ""))
        return values

    def changes(self) -> dict[str, Any]:
        assert self.contact is not None
        contact = self.contact
        values = self.values()
        changed: dict[str, Any] = {}
        for name, value in values.items():
            if name == "phone":
                if _comparable(value) not in (_comparable(contact.phone), _comparable(contact.phone_raw)):
                    changed[name] = value
            elif name in ("other_phones", "other_emails"):
                if list(getattr(contact, name) or []) != value:
                    changed[name] = value
            elif name in ("consent", "birthday"):
                if getattr(contact, name) != value:
                    changed[name] = value
            elif _comparable(getattr(contact, name)) != _comparable(value):
                changed[name] = value
        if changed.get("consent"):
            changed["consent_source"] = "manual"
        return changed


class ContactMoveForm(forms.Form):
    to_client = forms.IntegerField(
        label=_("Now works at"), widget=forms.Select(attrs={"data-client-picker": "true"})
    )
    on = forms.DateField(label=_("Since"), required=False, widget=DateInput, help_text=_("Empty: today."))
    position = forms.CharField(label=_("New position"), max_length=120, required=False)
    role = forms.ChoiceField(
        label=_("New role"), required=False, choices=_optional(ContactRole.choices, _("Keep the role"))
    )

    def __init__(self, *args: Any, choice: Client | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_client"].widget.choices = [("", "—")] + ([(choice.pk, str(choice))] if choice else [])


class PolicyForm(forms.ModelForm):
    class Meta:
        model = ClientPolicy
        fields = ["card_norm_min", "card_norm_target"]


INDUSTRIES = INDUSTRY_SUGGESTIONS
