"""Sales settings pages: pipelines and stages, lost reasons, products and price lists, loyalty
price lists of clients, document templates (with a PDF preview), our company profile, and the
objections library. Admins change everything; heads of sales look, and curate objections.

Over 600 lines: the settings pages are a dozen small CRUD forms over one settings service;
they move to the generic list/edit views when core has them, not split by hand before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientela.clients.models import Client
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.forms import add_business_error
from clientela.core.http import AuthedRequest
from clientela.core.permissions import user_can
from clientela.deals import settings_services as services
from clientela.deals.choices import DocumentKind
from clientela.deals.documents.pdf import document_labels, html_to_pdf, render_document
from clientela.deals.models import (
    ClientPriceList,
    DocumentTemplate,
    LostReason,
    Objection,
    Pipeline,
    PriceList,
    PriceListItem,
    Product,
    Stage,
)
from clientela.deals.settings_forms import (
    ClientPriceListForm,
    CompanyForm,
    LostReasonForm,
    ObjectionForm,
    PipelineForm,
    PriceForm,
    PriceListForm,
    ProductForm,
    StageForm,
    TemplateForm,
)


def _require_view(request: AuthedRequest) -> None:
    if not user_can(request.user, "view_team_settings"):
        raise PermissionDenied


def _require_manage(request: AuthedRequest) -> None:
    if not user_can(request.user, "manage_settings"):
        raise PermissionDenied


def _call(form: Form, service: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return service(**kwargs)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except BusinessError as exc:
        add_business_error(form, exc)
        return None


def _form_page(
    request: AuthedRequest,
    form: Form,
    title: str,
    back_url: str,
    tab: str,
    *,
    multipart: bool = False,
    extra: Any = None,
) -> HttpResponse:
    status = 422 if form.is_bound and form.errors else 200
    context = {
        "form": form,
        "title": title,
        "back_url": back_url,
        "tab": tab,
        "multipart": multipart,
        "extra": extra,
    }
    return render(request, "deals/settings/form.html", context, status=status)


def _base_context(request: AuthedRequest, tab: str) -> dict[str, Any]:
    return {"tab": tab, "can_manage": user_can(request.user, "manage_settings")}


# --- pipelines and stages --------------------------------------------------------------------


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    _require_view(request)
    pipelines = Pipeline.objects.prefetch_related(
        Prefetch(
            "stages", queryset=Stage.objects.annotate(deal_count=Count("deals")).order_by("position", "id")
        )
    ).order_by("-is_active", "position", "name")
    return render(
        request, "deals/settings/index.html", {**_base_context(request, "pipelines"), "pipelines": pipelines}
    )


def _pipeline_data(form: PipelineForm) -> dict[str, Any]:
    return dict(form.cleaned_data)


@login_required
def pipeline_form(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    _require_manage(request)
    pipeline = get_object_or_404(Pipeline, pk=pk) if pk is not None else None
    initial = (
        {
            "name": pipeline.name,
            "kind": pipeline.kind,
            "is_default": pipeline.is_default,
            "is_active": pipeline.is_active,
            "notify_head_on_stage_change": pipeline.notify_head_on_stage_change,
            "requires_payment_schedule": pipeline.requires_payment_schedule,
        }
        if pipeline
        else None
    )
    form = PipelineForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if pipeline is None:
            saved = _call(form, services.pipeline_create, by=request.user, data=_pipeline_data(form))
        else:
            saved = _call(
                form, services.pipeline_update, by=request.user, pipeline=pipeline, data=_pipeline_data(form)
            )
        if saved is not None:
            messages.success(request, _("Pipeline “%(name)s” saved.") % {"name": saved})
            return redirect("deals:settings")
    title = str(pipeline) if pipeline else _("New pipeline")
    return _form_page(request, form, title, reverse("deals:settings"), "pipelines")


@login_required
def stage_form(request: AuthedRequest, pk: int | None = None, pipeline_id: int | None = None) -> HttpResponse:
    _require_manage(request)
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk) if pk is not None else None
    pipeline = stage.pipeline if stage else get_object_or_404(Pipeline, pk=pipeline_id)
    initial = (
        {
            "name": stage.label,
            "probability": stage.probability,
            "is_won": stage.is_won,
            "is_lost": stage.is_lost,
            "is_active": stage.is_active,
        }
        if stage
        else None
    )
    form = StageForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if stage is None:
            saved = _call(form, services.stage_create, by=request.user, pipeline=pipeline, data=data)
        else:
            if data["name"] == stage.label:
                data.pop("name")  # unchanged: a built-in stage keeps its translated label
            saved = _call(form, services.stage_update, by=request.user, stage=stage, data=data)
        if saved is not None:
            messages.success(request, _("Stage “%(name)s” saved.") % {"name": saved})
            return redirect("deals:settings")
    title = f"{pipeline} · {stage}" if stage else _("New stage of %(pipeline)s") % {"pipeline": pipeline}
    return _form_page(request, form, title, reverse("deals:settings"), "pipelines")


@login_required
@require_POST
def stage_move(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_manage(request)
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    services.stage_move(by=request.user, stage=stage, step=-1 if request.POST.get("direction") == "up" else 1)
    return redirect("deals:settings")


# --- lost reasons ----------------------------------------------------------------------------


@login_required
def reason_list(request: AuthedRequest) -> HttpResponse:
    _require_view(request)
    reasons = LostReason.objects.annotate(used=Count("deal")).order_by("-is_active", "position", "name")
    return render(
        request, "deals/settings/reason_list.html", {**_base_context(request, "reasons"), "reasons": reasons}
    )


@login_required
def reason_form(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    _require_manage(request)
    reason = get_object_or_404(LostReason, pk=pk) if pk is not None else None
    form = LostReasonForm(
        request.POST or None, initial={"name": str(reason), "is_active": reason.is_active} if reason else None
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if reason is None:
            saved = _call(form, services.lost_reason_create, by=request.user, data=data)
        else:
            if data["name"] == str(reason):
                data.pop("name")
            saved = _call(form, services.lost_reason_update, by=request.user, reason=reason, data=data)
        if saved is not None:
            messages.success(request, _("Reason “%(name)s” saved.") % {"name": saved})
            return redirect("deals:reason_list")
    return _form_page(
        request,
        form,
        str(reason) if reason else _("New lost reason"),
        reverse("deals:reason_list"),
        "reasons",
    )


# --- products and price lists ----------------------------------------------------------------


@login_required
def product_list(request: AuthedRequest) -> HttpResponse:
    _require_view(request)
    products = Product.objects.annotate(price_count=Count("prices")).order_by("-is_active", "name")
    return render(
        request,
        "deals/settings/product_list.html",
        {**_base_context(request, "products"), "products": products},
    )


@login_required
def product_form(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    _require_manage(request)
    product = get_object_or_404(Product, pk=pk) if pk is not None else None
    initial = (
        {
            "code": product.code,
            "name": product.name,
            "unit": product.unit,
            "description": product.description,
            "is_active": product.is_active,
        }
        if product
        else None
    )
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if product is None:
            saved = _call(form, services.product_create, by=request.user, data=data)
        else:
            saved = _call(form, services.product_update, by=request.user, product=product, data=data)
        if saved is not None:
            messages.success(request, _("Product “%(name)s” saved.") % {"name": saved})
            return redirect("deals:product_list")
    return _form_page(
        request,
        form,
        str(product) if product else _("New product"),
        reverse("deals:product_list"),
        "products",
    )


@login_required
def price_list_list(request: AuthedRequest) -> HttpResponse:
    _require_view(request)
    price_lists = PriceList.objects.annotate(
        item_count=Count("items", distinct=True), client_count=Count("clients", distinct=True)
    )
    return render(
        request,
        "deals/settings/price_list_list.html",
        {**_base_context(request, "prices"), "price_lists": price_lists.order_by("currency", "name")},
    )


@login_required
def price_list_form(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    _require_manage(request)
    price_list = get_object_or_404(PriceList, pk=pk) if pk is not None else None
    initial = (
        {
            "name": price_list.name,
            "currency": price_list.currency,
            "is_default": price_list.is_default,
            "is_active": price_list.is_active,
        }
        if price_list
        else None
    )
    form = PriceListForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if price_list is None:
            saved = _call(form, services.price_list_create, by=request.user, data=data)
        else:
            saved = _call(form, services.price_list_update, by=request.user, price_list=price_list, data=data)
        if saved is not None:
            messages.success(request, _("Price list “%(name)s” saved.") % {"name": saved})
            return redirect("deals:price_list_detail", pk=saved.pk)
    return _form_page(
        request,
        form,
        str(price_list) if price_list else _("New price list"),
        reverse("deals:price_list_list"),
        "prices",
    )


@login_required
def price_list_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_view(request)
    price_list = get_object_or_404(PriceList, pk=pk)
    items = (
        PriceListItem.objects.filter(price_list=price_list)
        .select_related("product")
        .order_by("product__name")
    )
    return render(
        request,
        "deals/settings/price_list_detail.html",
        {
            **_base_context(request, "prices"),
            "price_list": price_list,
            "items": items,
            "price_form": PriceForm(),
        },
    )


@login_required
@require_POST
def price_set(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_manage(request)
    price_list = get_object_or_404(PriceList, pk=pk)
    form = PriceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        if _call(
            form,
            services.price_set,
            by=request.user,
            price_list=price_list,
            product=data["product"],
            price=data["price"],
        ):
            messages.success(request, _("Price saved."))
            return redirect("deals:price_list_detail", pk=pk)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
    return redirect("deals:price_list_detail", pk=pk)


@login_required
@require_POST
def price_remove(request: AuthedRequest, item_id: int) -> HttpResponse:
    _require_manage(request)
    item = get_object_or_404(PriceListItem.objects.select_related("price_list"), pk=item_id)
    services.price_remove(by=request.user, item=item)
    messages.success(request, _("Price removed."))
    return redirect("deals:price_list_detail", pk=item.price_list_id)


@login_required
def client_price_lists(request: AuthedRequest) -> HttpResponse:
    """Which clients have a loyalty price list; heads and admins give or remove one."""
    _require_view(request)
    clients = Client.objects.visible_to(request.user).filter(is_archived=False).order_by("name")
    form = ClientPriceListForm(request.POST or None, clients=clients)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.client_price_list_set(
                by=request.user, client=data["client"], price_list=data["price_list"]
            )
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from exc
        except BusinessError as exc:
            add_business_error(form, exc)
        else:
            messages.success(request, _("Loyalty price list saved."))
            return redirect("deals:client_price_lists")
    links = (
        ClientPriceList.objects.filter(client__in=clients)
        .select_related("client", "price_list")
        .order_by("client__name")
    )
    status = 422 if form.is_bound and form.errors else 200
    return render(
        request,
        "deals/settings/client_price_lists.html",
        {**_base_context(request, "prices"), "links": links, "form": form},
        status=status,
    )


# --- document templates and company ----------------------------------------------------------


@login_required
def template_list(request: AuthedRequest) -> HttpResponse:
    _require_view(request)
    templates = DocumentTemplate.objects.order_by("kind", "language", "-is_default", "name")
    return render(
        request,
        "deals/settings/template_list.html",
        {**_base_context(request, "templates"), "templates": templates},
    )


@login_required
def template_form(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    _require_manage(request)
    template = get_object_or_404(DocumentTemplate, pk=pk) if pk is not None else None
    initial: dict[str, Any] | None
    if template is not None:
        initial = {
            "kind": template.kind,
            "language": template.language,
            "name": template.name,
            "body": template.body,
            "is_default": template.is_default,
            "is_active": template.is_active,
        }
    else:
        source = DocumentTemplate.objects.filter(kind=DocumentKind.PROPOSAL, is_default=True).first()
        initial = {"kind": DocumentKind.PROPOSAL, "language": "en", "body": source.body if source else ""}
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if template is None:
            saved = _call(form, services.template_create, by=request.user, data=data)
        else:
            saved = _call(form, services.template_update, by=request.user, template=template, data=data)
        if saved is not None:
            messages.success(request, _("Template “%(name)s” saved.") % {"name": saved})
            return redirect("deals:template_list")
    preview = reverse("deals:template_preview", args=[template.pk]) if template else ""
    return _form_page(
        request,
        form,
        str(template) if template else _("New document template"),
        reverse("deals:template_list"),
        "templates",
        extra={"preview_url": preview},
    )


SAMPLE_CONTEXT: dict[str, Any] = {
    "company": {
        "name": "Northwind Trading",
        "legal_name": "Northwind Trading SRL",
        "tax_id": "RO12345678",
        "address": "Str. Exemplu 1, București",
        "bank_details": "IBAN RO49 AAAA 1B31 0075 9384 0000",
        "logo": "",
    },
    "client": {
        "name": "Ștefan & Морозов",
        "legal_form": "SRL",
        "tax_id": "RO87654321",
        "registration_number": "J40/1234/2020",
        "address": "Cluj-Napoca",
    },
    "contacts": [{"name": "Zsófia Kovács", "position": "CFO"}],
    "deal": {
        "title": "Sample deal",
        "owner": "Ana Dumitru",
        "owner_email": "ana@example.com",
        "owner_phone": "+40 721 000 000",
        "currency": "RON",
    },
    "lines": [
        {
            "n": 1,
            "code": "TR-01",
            "name": "Traducere tehnică",
            "quantity": "10",
            "unit": "pg",
            "unit_price": "120.00",
            "discount": "",
            "total": "1\u00a0200.00",
        },
        {
            "n": 2,
            "code": "AU-02",
            "name": "Аудит",
            "quantity": "1",
            "unit": "pcs",
            "unit_price": "3\u00a0000.00",
            "discount": "10%",
            "total": "2\u00a0700.00",
        },
    ],
    "totals": {
        "gross": "4\u00a0200.00 RON",
        "discount": "300.00 RON",
        "net": "3\u00a0900.00 RON",
        "has_discount": True,
    },
}


@login_required
def template_preview(request: AuthedRequest, pk: int) -> HttpResponse:
    """The template rendered with sample data, as a PDF, so admins see their edits."""
    _require_manage(request)
    template = get_object_or_404(DocumentTemplate, pk=pk)
    context = {
        **SAMPLE_CONTEXT,
        "document": {
            "number": "P-2026-0001",
            "version": 1,
            "kind": template.kind,
            "title": "",
            "language": template.language,
            "date": "2026-01-15",
            "valid_until": "2026-01-29",
        },
    }
    with translation.override(template.language):
        context["labels"] = document_labels(template.kind)
    try:
        pdf = html_to_pdf(render_document(template, context))
    except BusinessError as exc:
        messages.error(request, str(next(iter(exc.errors.values()), [exc.message])[0]))
        return redirect("deals:template_edit", pk=pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="preview-{template.kind}.pdf"'
    return response


@login_required
def company_form(request: AuthedRequest) -> HttpResponse:
    _require_manage(request)
    profile = services.company_profile()
    fields = [
        "name",
        "legal_name",
        "tax_id",
        "registration_number",
        "address",
        "email",
        "phone",
        "website",
        "bank_details",
    ]
    form = CompanyForm(
        request.POST or None, request.FILES or None, initial={name: getattr(profile, name) for name in fields}
    )
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in fields}
        saved = _call(
            form,
            services.company_update,
            by=request.user,
            data=data,
            logo=form.cleaned_data.get("logo"),
            remove_logo=form.cleaned_data.get("remove_logo", False),
        )
        if saved is not None:
            messages.success(request, _("Company profile saved."))
            return redirect("deals:company")
    return _form_page(
        request,
        form,
        _("Our company on documents"),
        reverse("deals:settings"),
        "company",
        multipart=True,
        extra={"logo": profile.logo},
    )


# --- objections ------------------------------------------------------------------------------


@login_required
def objection_list(request: AuthedRequest) -> HttpResponse:
    _require_view(request)
    objections = (
        Objection.objects.annotate(raised_count=Count("raised", distinct=True))
        .prefetch_related("products", Prefetch("stages", queryset=Stage.objects.select_related("pipeline")))
        .order_by("-is_active", "text")
    )
    context = {**_base_context(request, "objections"), "objections": objections, "can_curate": True}
    return render(request, "deals/settings/objection_list.html", context)


@login_required
def objection_form(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    _require_view(request)
    objection = get_object_or_404(Objection, pk=pk) if pk is not None else None
    initial = (
        {
            "text": objection.text,
            "answer": objection.answer,
            "products": list(objection.products.all()),
            "stages": list(objection.stages.all()),
            "is_active": objection.is_active,
        }
        if objection
        else None
    )
    form = ObjectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        products, stages = list(data.pop("products")), list(data.pop("stages"))
        if objection is None:
            saved = _call(
                form, services.objection_create, by=request.user, data=data, products=products, stages=stages
            )
        else:
            saved = _call(
                form,
                services.objection_update,
                by=request.user,
                objection=objection,
                data=data,
                products=products,
                stages=stages,
            )
        if saved is not None:
            messages.success(request, _("Objection saved."))
            return redirect("deals:objection_list")
    return _form_page(
        request,
        form,
        str(objection) if objection else _("New objection"),
        reverse("deals:objection_list"),
        "objections",
    )
