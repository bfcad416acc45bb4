"""Forms of the lead pages: they parse and normalise input; the services decide and write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.clients.choices import ContactRole
from clientela.clients.models import Client
from clientela.core.normalise import clean_text
from clientela.core.permissions import role_of
from clientela.core.roles import Role
from clientela.core.validation import limit_widgets
from clientela.deals.models import Pipeline
from clientela.leads.choices import Origin, QualificationItem, Source, Temperature
from clientela.leads.hooks import CONVERSION_REASONS
from clientela.leads.models import Lead, RefusalReason
from clientela.leads.rules import CONTACT_POINT_LIMITS, FULL_NAME_LIMIT, LEAD_TEXT_LIMITS, RAW_LEAD_LIMITS
from clientela.leads.services.convert import DEAL_TITLE_LIMIT, DealPlaceholder, deal_defaults
from clientela.users.models import Team, User
from clientela.users.selectors import users_visible_to


class DateInput(forms.DateInput):
    input_type = "date"


def _optional(choices: Any, label: Any) -> list[tuple[str, Any]]:
    return [("", label), *list(choices)]


class LeadEditForm(forms.Form):
    """Inline edit of the card's fields: raw values for `lead_edit`, which checks them by the
    lead's field rules (`leads.rules`); the limits only reach the browser here."""

    first_name = forms.CharField(label=_("First name"), required=False)
    last_name = forms.CharField(label=_("Last name"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False)
    email = forms.CharField(label=_("E-mail"), required=False)
    position = forms.CharField(label=_("Position"), required=False)
    company_name = forms.CharField(label=_("Company"), required=False)
    industry = forms.CharField(label=_("Industry"), required=False)
    country = forms.CharField(
        label=_("Country"), required=False, help_text=_("Two letters, e.g. RO, HU, MY.")
    )
    region = forms.CharField(label=_("Region"), required=False)
    city = forms.CharField(label=_("City"), required=False)
    product = forms.CharField(label=_("Interested in"), required=False)
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices)
    origin = forms.ChoiceField(label=_("Origin"), choices=_optional(Origin.choices, "—"), required=False)
    campaign = forms.CharField(label=_("Campaign"), required=False)
    temperature = forms.ChoiceField(
        label=_("Temperature"),
        required=False,
        choices=_optional(Temperature.choices, _("By the rules")),
        help_text=_("Choosing one sets it by hand; “By the rules” lets the rules decide again."),
    )
    consent = forms.BooleanField(label=_("Marketing consent"), required=False)

    EDITABLE = [
        "first_name",
        "last_name",
        "phone",
        "email",
        "position",
        "company_name",
        "industry",
        "country",
        "region",
        "city",
        "product",
        "source",
        "origin",
        "campaign",
        "temperature",
        "consent",
    ]

    def __init__(self, *args: Any, lead: Lead, **kwargs: Any) -> None:
        self.lead = lead
        initial = {name: getattr(lead, name) for name in self.EDITABLE}
        initial["phone"] = lead.phone or lead.phone_raw
        initial["email"] = lead.email or lead.email_raw
        initial["temperature"] = lead.temperature if lead.temperature_manual else ""
        kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        limit_widgets(self.fields, {**LEAD_TEXT_LIMITS, **CONTACT_POINT_LIMITS, "country": 2})


class QualificationForm(forms.Form):
    """The checklist: every item is answered (unchecked means “not yet”)."""

    def __init__(self, *args: Any, lead: Lead, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for value, label in QualificationItem.choices:
            self.fields[value] = forms.BooleanField(
                label=label, required=False, initial=bool((lead.qualification or {}).get(value))
            )

    def answers(self) -> dict[str, bool]:
        return {value: bool(self.cleaned_data.get(value)) for value in QualificationItem.values}


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("What happened? Ctrl+Enter saves.")}),
    )


def owner_candidates(viewer: Any, team: Team | None) -> QuerySet[User]:
    """People who may own a lead of `team`, among those the viewer sees."""
    people = users_visible_to(viewer).filter(is_active=True, role__in=[Role.MANAGER, Role.HEAD, Role.ADMIN])
    if team is not None and role_of(viewer) != Role.ADMIN:
        people = people.filter(team=team)
    elif team is not None:
        people = people.filter(team=team) | people.filter(role=Role.ADMIN)
    return people.order_by("first_name", "last_name", "username")


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=_("New owner"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Team queue (nobody)"),
    )
    reason = forms.CharField(label=_("Why (optional)"), max_length=200, required=False)

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner_field: Any = self.fields["owner"]
        owner_field.queryset = owners


class ConvertForm(forms.Form):
    client = forms.ModelChoiceField(
        label=_("Existing client"),
        queryset=Client.objects.none(),
        required=False,
        widget=forms.RadioSelect,
    )
    client_name = forms.CharField(
        label=_("Or a new client named"),
        required=False,
        help_text=_("Leave the existing client empty to create this one."),
    )
    client_owner = forms.ModelChoiceField(
        label=_("Personal manager of the client"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Same as the lead's owner"),
    )
    contact_role = forms.ChoiceField(
        label=_("Role of the contact"), choices=_optional(ContactRole.choices, "—"), required=False
    )
    create_deal = forms.BooleanField(
        label=_("Start a deal too"),
        required=False,
        help_text=_("A deal for the client's personal manager, linked to this lead and the new contact."),
    )
    deal_pipeline = forms.ModelChoiceField(
        label=_("Pipeline"),
        queryset=Pipeline.objects.none(),
        required=False,
        empty_label=_("Default pipeline"),
    )
    deal_title = forms.CharField(
        label=_("Deal title"),
        required=False,
        help_text=_("Empty: what the lead is interested in, or the client's name."),
    )
    deal_amount = forms.CharField(label=_("Amount (optional)"), max_length=30, required=False)
    deal_currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        required=False,
        help_text=_("Three letters, e.g. EUR, RON, HUF, MYR. Empty: the client's country's currency."),
    )
    deal_expected_close_date = forms.DateField(
        label=_("Expected close date (optional)"), required=False, widget=DateInput
    )

    DEAL_FIELDS = ("deal_pipeline", "deal_title", "deal_amount", "deal_currency", "deal_expected_close_date")

    @classmethod
    def initial_for(cls, lead: Lead) -> dict[str, Any]:
        """A fresh form: a new client named after the company (or the person), and a deal
        ticked with the lead's interest as its title and its country's currency."""
        return {
            "client_name": lead.company_name or lead.full_name,
            "create_deal": True,
            **deal_defaults(lead),
        }

    def __init__(self, *args: Any, clients: QuerySet[Client], owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # lead_convert checks both (the client's name, the deal's title); the browser is told.
        limit_widgets(self.fields, {"client_name": FULL_NAME_LIMIT, "deal_title": DEAL_TITLE_LIMIT})
        client_field: Any = self.fields["client"]
        client_field.queryset = clients
        owner_field: Any = self.fields["client_owner"]
        owner_field.queryset = owners
        pipeline_field: Any = self.fields["deal_pipeline"]
        pipeline_field.queryset = Pipeline.objects.filter(is_active=True).order_by(
            "-is_default", "position", "name"
        )
        # Why the client came (optional), when an app above keeps the reasons.
        reasons = CONVERSION_REASONS.one()
        if reasons is not None:
            self.fields["loyalty_reasons"] = forms.MultipleChoiceField(
                label=_("Why did they choose us?"),
                choices=reasons.choices(),
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("client") and not clean_text(data.get("client_name", "")):
            self.add_error("client_name", _("Choose an existing client or name a new one."))
        return data

    def deal_placeholder(self) -> DealPlaceholder | None:
        """The deal part for `lead_convert` (None unless "start a deal" is ticked)."""
        data = self.cleaned_data
        if not data.get("create_deal"):
            return None
        return DealPlaceholder(
            pipeline=data.get("deal_pipeline"),
            title=clean_text(data.get("deal_title", "")),
            amount=clean_text(data.get("deal_amount", "")) or None,
            currency=clean_text(data.get("deal_currency", "")).upper(),
            expected_close_date=data.get("deal_expected_close_date"),
        )


def active_reasons() -> QuerySet[RefusalReason]:
    return RefusalReason.objects.filter(is_active=True).order_by("position", "name")


class RefuseForm(forms.Form):
    reason = forms.ModelChoiceField(label=_("Reason"), queryset=RefusalReason.objects.none())
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    farewell = forms.BooleanField(
        label=_("Send a farewell letter with a one-question survey"), required=False
    )
    postpone_until = forms.DateField(
        label=_("Re-contact on (optional)"),
        required=False,
        widget=DateInput,
        help_text=_("The lead comes back to its owner's work list on this day."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reason_field: Any = self.fields["reason"]
        reason_field.queryset = active_reasons()


class PostponeForm(forms.Form):
    until = forms.DateField(label=_("Re-contact on"), widget=DateInput)
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["until"].initial = timezone.localdate() + dt.timedelta(days=30)


class ManualLeadForm(forms.Form):
    """“New lead”: a name and a phone or an e-mail are enough; the pipeline does the rest."""

    name = forms.CharField(
        label=_("Name"),
        required=False,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    phone = forms.CharField(label=_("Phone"), required=False)
    email = forms.CharField(label=_("E-mail"), required=False)
    company = forms.CharField(label=_("Company"), required=False)
    position = forms.CharField(label=_("Position"), required=False)
    interest = forms.CharField(label=_("Interested in"), required=False)
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices, initial=Source.MANUAL)
    campaign = forms.CharField(label=_("Campaign"), required=False)
    message = forms.CharField(
        label=_("Note"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    # Set from the referring client's card ("a lead they recommended"): one of the viewer's clients.
    referred_by_client = forms.ModelChoiceField(
        label=_("Referred by client"),
        queryset=Client.objects.none(),
        required=False,
        widget=forms.HiddenInput,
    )
    assign_to_me = forms.BooleanField(label=_("Assign to me"), required=False, initial=True)

    def __init__(
        self, *args: Any, teams: QuerySet[Team] | None, may_own: bool, viewer: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if teams is None:
            del self.fields["team"]
        else:
            team_field: Any = self.fields["team"]
            team_field.queryset = teams
        if not may_own:
            del self.fields["assign_to_me"]
        referrer_field: Any = self.fields["referred_by_client"]
        referrer_field.queryset = (
            Client.objects.visible_to(viewer) if viewer is not None else Client.objects.none()
        )
        limit_widgets(self.fields, {**RAW_LEAD_LIMITS, "name": FULL_NAME_LIMIT})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(clean_text(data.get(name, "")) for name in ("name", "phone", "email", "company")):
            self.add_error("name", _("Give at least a name and a phone or an e-mail."))
        return data


class InterestFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=_optional(Source.choices, _("Any source"))
    )
    upgraded = forms.ChoiceField(
        label=_("Upgraded"),
        required=False,
        choices=[("", _("All")), ("no", _("Not yet a lead")), ("yes", _("Became a lead"))],
    )
    # The records behind a report's number (the lifecycle funnel links here with the period).
    created_from = forms.DateField(label=_("Created from"), required=False)
    created_to = forms.DateField(label=_("Created to"), required=False)


class InterestUpgradeForm(forms.Form):
    """Who appeared behind an interest: raw values for `interest_upgrade`, which checks them."""

    first_name = forms.CharField(label=_("First name"), required=False)
    last_name = forms.CharField(label=_("Last name"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False)
    email = forms.CharField(label=_("E-mail"), required=False)
    position = forms.CharField(label=_("Position"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_widgets(self.fields, {**LEAD_TEXT_LIMITS, **CONTACT_POINT_LIMITS})


class BulkForm(forms.Form):
    ACTIONS = [("assign", _("Assign")), ("refuse", _("Refuse"))]

    action = forms.ChoiceField(choices=ACTIONS)
    owner = forms.CharField(required=False)
    reason = forms.ModelChoiceField(queryset=RefusalReason.objects.none(), required=False)
    note = forms.CharField(max_length=2000, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reason_field: Any = self.fields["reason"]
        reason_field.queryset = active_reasons()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw_ids = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        try:
            data["ids"] = sorted({int(value) for value in raw_ids})
        except ValueError:
            data["ids"] = []
        if not data["ids"]:
            self.add_error(None, _("Select at least one lead."))
        if data.get("action") == "refuse" and not data.get("reason"):
            self.add_error("reason", _("Choose a reason."))
        return data
