"""Forms of the sales settings. Plain forms (not model forms): they parse, the services validate
the records and write, so the same rules hold for the pages and the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clientela.clients.models import Client
from clientela.deals.choices import DocumentKind, PipelineKind
from clientela.deals.forms import money_field
from clientela.deals.models import PriceList, Product, Stage


class PipelineForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=PipelineKind.choices)
    is_default = forms.BooleanField(label=_("Default pipeline for new deals"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    notify_head_on_stage_change = forms.BooleanField(
        label=_("Tell the head of sales when a deal changes stage"), required=False
    )
    requires_payment_schedule = forms.BooleanField(
        label=_("A deal is won only with a payment schedule covering its amount"), required=False
    )


class StageForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    probability = forms.IntegerField(label=_("Probability, %"), min_value=0, max_value=100, initial=10)
    is_won = forms.BooleanField(label=_("Won: closes the deal as a sale"), required=False)
    is_lost = forms.BooleanField(label=_("Lost: closes the deal, a reason is required"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_won") and data.get("is_lost"):
            self.add_error("is_lost", _("A stage is either won or lost, not both."))
        return data


class LostReasonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class ProductForm(forms.Form):
    code = forms.CharField(label=_("Code (SKU)"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200)
    unit = forms.CharField(label=_("Unit"), max_length=20, initial="pcs")
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class PriceListForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    currency = forms.CharField(
        label=_("Currency"), max_length=3, help_text=_("ISO 4217 code, e.g. EUR, RON, HUF, MYR.")
    )
    is_default = forms.BooleanField(label=_("Default list of its currency"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class PriceForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none())
    price = money_field(_("Price"), required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["product"]
        field.queryset = Product.objects.filter(is_active=True).order_by("name")


class ClientPriceListForm(forms.Form):
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.none())
    price_list = forms.ModelChoiceField(
        label=_("Loyalty price list"),
        queryset=PriceList.objects.none(),
        required=False,
        empty_label=_("None (default prices)"),
    )

    def __init__(self, *args: Any, clients: QuerySet[Client], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        client_field: Any = self.fields["client"]
        client_field.queryset = clients
        list_field: Any = self.fields["price_list"]
        list_field.queryset = PriceList.objects.filter(is_active=True).order_by("currency", "name")


class TemplateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    name = forms.CharField(label=_("Name"), max_length=120)
    body = forms.CharField(
        label=_("HTML body"),
        widget=forms.Textarea(attrs={"rows": 24, "class": "font-monospace", "spellcheck": "false"}),
        help_text=_(
            "Django template syntax. Variables: company, client, contacts, deal, document, lines, "
            "totals, labels."
        ),
    )
    is_default = forms.BooleanField(label=_("Default for its kind and language"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class CompanyForm(forms.Form):
    name = forms.CharField(label=_("Company name"), max_length=200, required=False)
    legal_name = forms.CharField(label=_("Legal name"), max_length=200, required=False)
    tax_id = forms.CharField(label=_("Tax id"), max_length=40, required=False)
    registration_number = forms.CharField(label=_("Registration number"), max_length=60, required=False)
    address = forms.CharField(label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    website = forms.CharField(label=_("Website"), max_length=200, required=False)
    bank_details = forms.CharField(
        label=_("Bank details"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    logo = forms.ImageField(label=_("Logo (PNG or JPEG, under 2 MB)"), required=False)
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    def clean_logo(self) -> Any:
        logo = self.cleaned_data.get("logo")
        if logo is not None and getattr(logo, "content_type", "") not in ("image/png", "image/jpeg", None):
            raise forms.ValidationError(_("Use a PNG or JPEG image."))
        return logo


class ObjectionForm(forms.Form):
    text = forms.CharField(label=_("Objection"), max_length=300)
    answer = forms.CharField(label=_("Recommended answer"), widget=forms.Textarea(attrs={"rows": 4}))
    products = forms.ModelMultipleChoiceField(
        label=_("Products"), queryset=Product.objects.none(), required=False
    )
    stages = forms.ModelMultipleChoiceField(label=_("Stages"), queryset=Stage.objects.none(), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        products: Any = self.fields["products"]
        products.queryset = Product.objects.filter(is_active=True).order_by("name")
        stages: Any = self.fields["stages"]
        stages.queryset = (
            Stage.objects.filter(is_active=True)
            .select_related("pipeline")
            .order_by("pipeline__position", "position")
        )
        stages.label_from_instance = lambda stage: f"{stage.pipeline} · {stage}"
