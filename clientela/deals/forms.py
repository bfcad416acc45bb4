"""Forms of the deal pages. They parse input; money is parsed by the services (`money.py`), so a
bad amount gets the same message on a page as in the API, next to its field."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clientela.clients.models import Client, Contact
from clientela.deals.board.services import ScheduledPayment
from clientela.deals.choices import DocumentKind, PaymentKind
from clientela.deals.models import Deal, DocumentTemplate, LostReason, Objection, Pipeline, Product, Stage
from clientela.users.models import User

# Rows of the payment schedule the win form offers.
SCHEDULE_ROWS = 4


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MoneyInput(forms.TextInput):
    """Amounts are typed as text ("1 250.50") and parsed exactly — never through a float."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})


def money_field(label: Any, *, required: bool = False, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=32, widget=MoneyInput, help_text=help_text
    )


class StageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.pipeline} · {obj}" if getattr(self, "with_pipeline", False) else str(obj)


class DealForm(forms.Form):
    """Create or edit a deal. The client and owner lists are what the user may see."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.none())
    contacts = forms.ModelMultipleChoiceField(
        label=_("Contacts involved"), queryset=Contact.objects.none(), required=False
    )
    pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=Pipeline.objects.none(), empty_label=None)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    amount = money_field(_("Amount"), help_text=_("Leave empty to use the sum of the products you add."))
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        required=False,
        help_text=_("ISO 4217 code, e.g. EUR, RON, HUF, MYR."),
    )
    expected_close_date = forms.DateField(label=_("Expected close date"), required=False, widget=DateInput)
    next_step_date = forms.DateField(label=_("Next step on"), required=False, widget=DateInput)
    next_step_subject = forms.CharField(label=_("Next step"), max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        clients: QuerySet[Client],
        owners: list[User] | None,
        pipelines: QuerySet[Pipeline],
        deal: Deal | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.deal = deal
        client_field: Any = self.fields["client"]
        client_field.queryset = clients
        pipeline_field: Any = self.fields["pipeline"]
        pipeline_field.queryset = pipelines
        owner_field: Any = self.fields["owner"]
        if owners is None:
            del self.fields["owner"]
        else:
            owner_field.queryset = User.objects.filter(pk__in=[u.pk for u in owners])
            owner_field.empty_label = _("Unassigned")
        client_id = self.data.get("client") if self.is_bound else self.initial.get("client")
        client_pk = getattr(client_id, "pk", client_id)
        contacts_field: Any = self.fields["contacts"]
        if client_pk and str(client_pk).isdigit():
            contacts_field.queryset = Contact.objects.filter(client_id=int(client_pk)).order_by(
                "last_name", "first_name"
            )
        if deal is not None:
            del self.fields["pipeline"]
            if deal.lines.exists():
                self.fields["amount"].disabled = True
                self.fields["amount"].help_text = _("The sum of the deal's products.")
        else:
            del self.fields["version"]

    def values(self) -> dict[str, Any]:
        """Cleaned values as `deal_update` takes them (only what changed)."""
        data = self.cleaned_data
        values: dict[str, Any] = {}
        deal = self.deal
        for name in (
            "title",
            "client",
            "currency",
            "expected_close_date",
            "next_step_date",
            "next_step_subject",
            "owner",
        ):
            if name in self.fields and (deal is None or getattr(deal, name) != data.get(name)):
                values[name] = data.get(name)
        if "amount" in self.fields and not self.fields["amount"].disabled:
            text = (data.get("amount") or "").strip()
            if deal is None or text != f"{deal.amount}":
                values["amount"] = text or "0"
        values["contacts"] = list(data.get("contacts") or [])
        if deal is not None and "currency" in values and not values["currency"]:
            del values["currency"]
        return values


class MoveForm(forms.Form):
    """Move a deal to a stage, with what the target needs: a reason (lost), the amount and a
    payment schedule (won)."""

    stage = StageChoiceField(label=_("Stage"), queryset=Stage.objects.none(), empty_label=None)
    lost_reason = forms.ModelChoiceField(
        label=_("Why was it lost?"), queryset=LostReason.objects.none(), required=False
    )
    lost_note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    amount = money_field(_("Amount"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Carries the schedule's errors next to the schedule (the rows are due_N / pay_N).
    payments = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, deal: Deal, stages: QuerySet[Stage], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deal = deal
        stage_field: Any = self.fields["stage"]
        stage_field.queryset = stages
        stage_field.with_pipeline = stages.exclude(pipeline=deal.pipeline_id).exists()
        reason_field: Any = self.fields["lost_reason"]
        reason_field.queryset = LostReason.objects.filter(is_active=True).order_by("position", "name")
        reason_field.empty_label = _("Choose a reason.")
        for index in range(SCHEDULE_ROWS):
            self.fields[f"due_{index}"] = forms.DateField(
                label=_("Due date"), required=False, widget=DateInput
            )
            self.fields[f"pay_{index}"] = money_field(_("Amount"))
        if deal.lines.exists():
            del self.fields["amount"]

    def schedule_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"due_{index}"], self[f"pay_{index}"]) for index in range(SCHEDULE_ROWS)]

    def schedule(self) -> list[ScheduledPayment]:
        rows = []
        for index in range(SCHEDULE_ROWS):
            due = self.cleaned_data.get(f"due_{index}")
            amount = (self.cleaned_data.get(f"pay_{index}") or "").strip()
            if due or amount:
                if not due:
                    self.add_error(f"due_{index}", _("Enter the due date."))
                    continue
                if not amount:
                    self.add_error(f"pay_{index}", _("Enter the amount."))
                    continue
                rows.append(ScheduledPayment(due_date=due, amount=amount))
        return rows


class LineForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    name = forms.CharField(label=_("Description"), max_length=200, required=False)
    quantity = money_field(_("Quantity"), required=True)
    unit_price = money_field(_("Unit price"), help_text=_("Empty: from the client's price list."))
    discount_percent = money_field(_("Discount, %"), help_text=_("Empty: the client's loyalty discount."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product_field: Any = self.fields["product"]
        product_field.queryset = Product.objects.filter(is_active=True).order_by("name")
        self.fields["quantity"].initial = "1"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("product") and not (data.get("name") or "").strip():
            self.add_error("product", _("Choose a product or describe the line."))
        return data


class PaymentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PaymentKind.choices)
    amount = money_field(_("Amount"), required=True)
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput)
    paid_on = forms.DateField(label=_("Paid on"), required=False, widget=DateInput)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ObjectionRecordForm(forms.Form):
    objection = forms.ModelChoiceField(label=_("Objection"), queryset=Objection.objects.none())
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, objections: QuerySet[Objection], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["objection"]
        field.queryset = objections


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=DocumentKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=DateInput,
        help_text=_("Proposals: 14 days unless you say otherwise."),
    )
    template = forms.ModelChoiceField(
        label=_("Template"),
        queryset=DocumentTemplate.objects.none(),
        required=False,
        empty_label=_("The default one"),
    )

    # Names this form's request: the same form sent twice (a double click) prepares one document.
    request_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, deal: Deal | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["template"]
        field.queryset = DocumentTemplate.objects.filter(is_active=True).order_by("kind", "language", "name")
        if not self.is_bound:
            self.initial.setdefault("request_key", uuid.uuid4().hex)
        # A deal without products: the form asks for its first line here (a document lists the
        # deal's lines), prefilled from the deal's amount.
        self.needs_line = deal is not None and not deal.lines.exists()
        if self.needs_line and deal is not None:
            product_field: Any = forms.ModelChoiceField(
                label=_("Product"), queryset=Product.objects.none(), required=False
            )
            product_field.queryset = Product.objects.filter(is_active=True).order_by("name")
            self.fields["line_product"] = product_field
            self.fields["line_name"] = forms.CharField(label=_("Description"), max_length=200, required=False)
            self.fields["line_quantity"] = money_field(_("Quantity"), required=True)
            self.fields["line_unit_price"] = money_field(
                _("Unit price"), help_text=_("Empty: from the client's price list.")
            )
            if not self.is_bound:
                self.initial.setdefault("line_name", deal.title)
                self.initial.setdefault("line_quantity", "1")
                if deal.amount:
                    self.initial.setdefault("line_unit_price", f"{deal.amount:.2f}")

    def line_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("line_product", "line_name", "line_quantity", "line_unit_price")]

    def other_fields(self) -> list[forms.BoundField]:
        return [field for field in self.visible_fields() if not field.name.startswith("line_")]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.needs_line and not data.get("line_product") and not (data.get("line_name") or "").strip():
            self.add_error("line_name", _("Choose a product or describe the line."))
        return data

    def first_line(self) -> dict[str, Any] | None:
        if not self.needs_line:
            return None
        data = self.cleaned_data
        return {
            "product": data.get("line_product"),
            "name": data.get("line_name") or "",
            "quantity": data.get("line_quantity"),
            "unit_price": data.get("line_unit_price"),
        }


class SendForm(forms.Form):
    to = forms.EmailField(label=_("Sent to (e-mail)"), required=False)
    confirm_early = forms.BooleanField(label=_("Send it anyway, sooner than the minimum"), required=False)
