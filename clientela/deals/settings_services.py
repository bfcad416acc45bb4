"""Writes on the sales configuration: pipelines and stages, lost reasons, products and price
lists, document templates, our company profile and the objections library. Admins configure
(capability `manage_settings`); heads of sales also curate the objections library."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from clientela.clients.models import Client
from clientela.core.audit import audit_create, audit_event, model_update
from clientela.core.errors import BusinessError, ConflictError, validation_messages
from clientela.core.permissions import require
from clientela.core.validation import too_long
from clientela.deals.choices import DealStatus
from clientela.deals.documents.pdf import MAX_LOGO_BYTES, check_template_body
from clientela.deals.models import (
    ClientPriceList,
    CompanyProfile,
    DocumentTemplate,
    LostReason,
    Objection,
    Pipeline,
    PriceList,
    PriceListItem,
    Product,
    Stage,
)
from clientela.deals.money import clean_currency, invalid, parse_amount
from clientela.users.models import User

M = TypeVar("M", bound=models.Model)


def _clean(instance: models.Model) -> None:
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise BusinessError(
            _("Some fields are not valid."), errors=validation_messages(exc), status=422
        ) from exc


def _create(by: User, instance: M, fields: list[str]) -> M:
    if hasattr(instance, "created_by_id"):
        instance.created_by = by  # type: ignore[attr-defined]
        instance.updated_by = by  # type: ignore[attr-defined]
    _clean(instance)
    instance.save()
    audit_create(actor=by, instance=instance, fields=fields)
    return instance


def _update(by: User, instance: M, data: dict[str, Any]) -> M:
    try:
        instance, _changes = model_update(instance=instance, data=data, actor=by)
    except ValidationError as exc:
        raise BusinessError(
            _("Some fields are not valid."), errors=validation_messages(exc), status=422
        ) from exc
    return instance


def _text(data: dict[str, Any], name: str, limit: int, *, required: bool = False) -> None:
    if name not in data:
        return
    value = " ".join(str(data[name] or "").split())
    if required and not value:
        raise invalid(name, _("This field is required."))
    if len(value) > limit:
        raise invalid(name, too_long(limit))
    data[name] = value


def _unique_code(model: type[models.Model], name: str, field: str = "code") -> str:
    base = slugify(name)[:32] or "item"
    code, suffix = base, 2
    while model._default_manager.filter(**{field: code}).exists():
        code = f"{base}-{suffix}"
        suffix += 1
    return code


# --- Pipelines and stages ----------------------------------------------------------------------

PIPELINE_FIELDS = [
    "name",
    "kind",
    "is_default",
    "is_active",
    "position",
    "notify_head_on_stage_change",
    "requires_payment_schedule",
]
STAGE_FIELDS = ["pipeline", "name", "position", "probability", "is_won", "is_lost", "is_active"]


def _take_default(pipeline: Pipeline | None) -> None:
    others = Pipeline.objects.filter(is_default=True)
    if pipeline is not None and pipeline.pk:
        others = others.exclude(pk=pipeline.pk)
    others.update(is_default=False)


@transaction.atomic
def pipeline_create(
    *, by: User, data: dict[str, Any], stages: list[dict[str, Any]] | None = None
) -> Pipeline:
    """A new pipeline with its stages (default: one open stage, won and lost)."""
    require(by, "manage_settings")
    data = dict(data)
    _text(data, "name", 120, required=True)
    if data.get("is_default"):
        _take_default(None)
    if "position" not in data:
        data["position"] = (Pipeline.objects.aggregate(top=Max("position"))["top"] or 0) + 1
    pipeline = _create(by, Pipeline(**data), PIPELINE_FIELDS)
    rows = stages or [
        {"name": _("New"), "probability": 10},
        {"name": _("Won"), "probability": 100, "is_won": True},
        {"name": _("Lost"), "probability": 0, "is_lost": True},
    ]
    for position, row in enumerate(rows):
        stage_create(by=by, pipeline=pipeline, data={"position": position, **row})
    if not pipeline.stages.filter(is_won=False, is_lost=False).exists():
        raise invalid("stages", _("A pipeline needs at least one open stage."))
    return pipeline


@transaction.atomic
def pipeline_update(*, by: User, pipeline: Pipeline, data: dict[str, Any]) -> Pipeline:
    require(by, "manage_settings")
    data = dict(data)
    _text(data, "name", 120, required=True)
    if pipeline.is_default and (data.get("is_default") is False or data.get("is_active") is False):
        field = "is_default" if data.get("is_default") is False else "is_active"
        raise invalid(field, _("Make another pipeline the default first."))
    if data.get("is_default") and not pipeline.is_default:
        if not data.get("is_active", pipeline.is_active):
            raise invalid("is_default", _("A switched-off pipeline cannot be the default."))
        _take_default(pipeline)
    return _update(by, pipeline, data)


def _check_stage_flags(stage: Stage, data: dict[str, Any]) -> None:
    won, lost = data.get("is_won", stage.is_won), data.get("is_lost", stage.is_lost)
    if won and lost:
        raise invalid("is_lost", _("A stage is either won or lost, not both."))
    flags_change = won != stage.is_won or lost != stage.is_lost
    if stage.pk and flags_change and stage.deals.exists():
        raise ConflictError(
            _("Deals are in this stage; move them before changing whether it closes deals."),
            errors={"is_won": [_("Deals are in this stage.")]},
        )
    if stage.pk and data.get("is_active") is False and stage.is_active:
        open_deals = stage.deals.filter(status=DealStatus.OPEN).count()
        if open_deals:
            raise ConflictError(
                _("%(count)s open deals are in this stage; move them first.") % {"count": open_deals},
                errors={"is_active": [_("Open deals are in this stage.")]},
            )
        others = stage.pipeline.stages.filter(is_active=True, is_won=False, is_lost=False).exclude(
            pk=stage.pk
        )
        if not (stage.is_won or stage.is_lost) and not others.exists():
            raise invalid("is_active", _("A pipeline needs at least one open stage."))


@transaction.atomic
def stage_create(*, by: User, pipeline: Pipeline, data: dict[str, Any]) -> Stage:
    require(by, "manage_settings")
    data = dict(data)
    _text(data, "name", 120, required=True)
    if "position" not in data:
        data["position"] = (pipeline.stages.aggregate(top=Max("position"))["top"] or 0) + 1
    stage = Stage(pipeline=pipeline, **data)
    _check_stage_flags(Stage(pipeline=pipeline), data)
    return _create(by, stage, STAGE_FIELDS)


@transaction.atomic
def stage_update(*, by: User, stage: Stage, data: dict[str, Any]) -> Stage:
    require(by, "manage_settings")
    data = dict(data)
    _text(data, "name", 120, required=True)
    _check_stage_flags(stage, data)
    return _update(by, stage, data)


@transaction.atomic
def stage_move(*, by: User, stage: Stage, step: int) -> Stage:
    """Swap a stage with its neighbour (step −1 earlier, +1 later)."""
    require(by, "manage_settings")
    stages = list(stage.pipeline.stages.order_by("position", "id"))
    index = next(i for i, item in enumerate(stages) if item.pk == stage.pk)
    other_index = index + (1 if step > 0 else -1)
    if not 0 <= other_index < len(stages):
        return stage
    stages[index], stages[other_index] = stages[other_index], stages[index]
    for position, item in enumerate(stages):
        if item.position != position:
            Stage.objects.filter(pk=item.pk).update(position=position)
    audit_event(
        actor=by, instance=stage.pipeline, event="stages_reordered", changes={"order": [s.pk for s in stages]}
    )
    stage.refresh_from_db()
    return stage


# --- Lost reasons ------------------------------------------------------------------------------


@transaction.atomic
def lost_reason_create(*, by: User, data: dict[str, Any]) -> LostReason:
    require(by, "manage_settings")
    data = dict(data)
    _text(data, "name", 120, required=True)
    data.setdefault("code", _unique_code(LostReason, data["name"]))
    data.setdefault("position", (LostReason.objects.aggregate(top=Max("position"))["top"] or 0) + 1)
    return _create(by, LostReason(**data), ["code", "name", "position", "is_active"])


@transaction.atomic
def lost_reason_update(*, by: User, reason: LostReason, data: dict[str, Any]) -> LostReason:
    require(by, "manage_settings")
    data = dict(data)
    _text(data, "name", 120, required=True)
    data.pop("code", None)  # the code is how the API names the reason; it never changes
    return _update(by, reason, data)


# --- Products and price lists ------------------------------------------------------------------


@transaction.atomic
def product_create(*, by: User, data: dict[str, Any]) -> Product:
    require(by, "manage_settings")
    data = dict(data)
    _text(data, "code", 40, required=True)
    _text(data, "name", 200, required=True)
    _text(data, "unit", 20)
    return _create(by, Product(**data), ["code", "name", "unit", "is_active"])


@transaction.atomic
def product_update(*, by: User, product: Product, data: dict[str, Any]) -> Product:
    require(by, "manage_settings")
    data = dict(data)
    _text(data, "code", 40, required=True)
    _text(data, "name", 200, required=True)
    _text(data, "unit", 20)
    return _update(by, product, data)


@transaction.atomic
def price_list_create(*, by: User, data: dict[str, Any]) -> PriceList:
    require(by, "manage_settings")
    data = dict(data)
    _text(data, "name", 120, required=True)
    data["currency"] = clean_currency(data.get("currency"))
    if data.get("is_default"):
        PriceList.objects.filter(currency=data["currency"], is_default=True).update(is_default=False)
    return _create(by, PriceList(**data), ["name", "currency", "is_default", "is_active"])


@transaction.atomic
def price_list_update(*, by: User, price_list: PriceList, data: dict[str, Any]) -> PriceList:
    require(by, "manage_settings")
    data = dict(data)
    _text(data, "name", 120, required=True)
    if "currency" in data:
        data["currency"] = clean_currency(data["currency"])
        if data["currency"] != price_list.currency and price_list.items.exists():
            raise invalid("currency", _("The list has prices; make a new list for another currency."))
    currency = data.get("currency", price_list.currency)
    if data.get("is_default") and not price_list.is_default:
        PriceList.objects.filter(currency=currency, is_default=True).exclude(pk=price_list.pk).update(
            is_default=False
        )
    return _update(by, price_list, data)


@transaction.atomic
def price_set(*, by: User, price_list: PriceList, product: Product, price: Any) -> PriceListItem:
    require(by, "manage_settings")
    value = parse_amount(price, field="price")
    item = PriceListItem.objects.filter(price_list=price_list, product=product).first()
    if item is None:
        item = PriceListItem.objects.create(price_list=price_list, product=product, price=value)
        audit_event(
            actor=by,
            instance=price_list,
            event="price_set",
            changes={"product": product.pk, "price": [None, value]},
        )
    elif item.price != value:
        old = item.price
        item.price = value
        item.save(update_fields=["price"])
        audit_event(
            actor=by,
            instance=price_list,
            event="price_set",
            changes={"product": product.pk, "price": [old, value]},
        )
    return item


@transaction.atomic
def price_remove(*, by: User, item: PriceListItem) -> None:
    require(by, "manage_settings")
    audit_event(
        actor=by,
        instance=item.price_list,
        event="price_removed",
        changes={"product": item.product_id, "price": [item.price, None]},
    )
    item.delete()


@transaction.atomic
def client_price_list_set(
    *, by: User, client: Client, price_list: PriceList | None, check_permission: bool = True
) -> ClientPriceList | None:
    """Give a client a loyalty price list (None removes it). Heads of sales and admins decide.

    This link is the one place a client's price list is kept (the client form, card, API and
    export read and write it through `clients.extensions`); `check_permission=False` is for
    the demo and imports acting as the system."""
    if check_permission:
        require(by, "view_team_settings")
        if not Client.objects.visible_to(by).filter(pk=client.pk).exists():
            raise invalid("client", _("Choose one of your clients."))
    link = ClientPriceList.objects.filter(client=client).first()
    old = link.price_list_id if link else None
    if price_list is None:
        if link is not None:
            link.delete()
            audit_event(actor=by, instance=client, event="price_list", changes={"price_list": [old, None]})
        return None
    if not price_list.is_active:
        raise invalid("price_list", _("This price list is switched off."))
    if link is None:
        link = ClientPriceList.objects.create(client=client, price_list=price_list)
    elif link.price_list_id != price_list.pk:
        link.price_list = price_list
        link.save(update_fields=["price_list", "updated_at"])
    if old != price_list.pk:
        audit_event(
            actor=by, instance=client, event="price_list", changes={"price_list": [old, price_list.pk]}
        )
    return link


# --- Document templates and the company profile ------------------------------------------------


@transaction.atomic
def template_create(*, by: User, data: dict[str, Any]) -> DocumentTemplate:
    require(by, "manage_settings")
    data = dict(data)
    _text(data, "name", 120, required=True)
    check_template_body(data.get("body", ""))
    if data.get("is_default"):
        DocumentTemplate.objects.filter(
            kind=data.get("kind"), language=data.get("language"), is_default=True
        ).update(is_default=False)
    return _create(by, DocumentTemplate(**data), ["kind", "language", "name", "is_default", "is_active"])


@transaction.atomic
def template_update(*, by: User, template: DocumentTemplate, data: dict[str, Any]) -> DocumentTemplate:
    require(by, "manage_settings")
    data = dict(data)
    _text(data, "name", 120, required=True)
    if "body" in data:
        check_template_body(data["body"])
    kind, language = data.get("kind", template.kind), data.get("language", template.language)
    if data.get("is_default", template.is_default):
        DocumentTemplate.objects.filter(kind=kind, language=language, is_default=True).exclude(
            pk=template.pk
        ).update(is_default=False)
    return _update(by, template, data)


def company_profile() -> CompanyProfile:
    profile = CompanyProfile.objects.order_by("pk").first()
    return profile if profile is not None else CompanyProfile.objects.create()


@transaction.atomic
def company_update(
    *, by: User, data: dict[str, Any], logo: Any = None, remove_logo: bool = False
) -> CompanyProfile:
    require(by, "manage_settings")
    profile = company_profile()
    data = dict(data)
    for name, limit in (
        ("name", 200),
        ("legal_name", 200),
        ("tax_id", 40),
        ("registration_number", 60),
        ("phone", 40),
        ("website", 200),
    ):
        _text(data, name, limit)
    profile = _update(by, profile, data)
    if logo is not None:
        if logo.size > MAX_LOGO_BYTES:
            raise invalid("logo", _("The logo must be smaller than 2 MB."))
        profile.logo.save(logo.name, logo, save=True)
        audit_event(actor=by, instance=profile, event="logo", changes={"logo": profile.logo.name})
    elif remove_logo and profile.logo:
        profile.logo.delete(save=True)
        audit_event(actor=by, instance=profile, event="logo", changes={"logo": None})
    return profile


# --- Objections library ------------------------------------------------------------------------


def _objection_tags(objection: Objection, products: list[Product] | None, stages: list[Stage] | None) -> None:
    if products is not None:
        objection.products.set(products)
    if stages is not None:
        objection.stages.set(stages)


@transaction.atomic
def objection_create(
    *,
    by: User,
    data: dict[str, Any],
    products: list[Product] | None = None,
    stages: list[Stage] | None = None,
) -> Objection:
    require(by, "view_team_settings")
    data = dict(data)
    _text(data, "text", 300, required=True)
    if not str(data.get("answer") or "").strip():
        raise invalid("answer", _("Write the recommended answer."))
    objection = _create(by, Objection(**data), ["text", "answer", "is_active"])
    _objection_tags(objection, products, stages)
    return objection


@transaction.atomic
def objection_update(
    *,
    by: User,
    objection: Objection,
    data: dict[str, Any],
    products: list[Product] | None = None,
    stages: list[Stage] | None = None,
) -> Objection:
    require(by, "view_team_settings")
    data = dict(data)
    _text(data, "text", 300, required=True)
    if "answer" in data and not str(data["answer"] or "").strip():
        raise invalid("answer", _("Write the recommended answer."))
    objection = _update(by, objection, data)
    before = (
        set(objection.products.values_list("pk", flat=True)),
        set(objection.stages.values_list("pk", flat=True)),
    )
    _objection_tags(objection, products, stages)
    after = (
        set(objection.products.values_list("pk", flat=True)),
        set(objection.stages.values_list("pk", flat=True)),
    )
    if before != after:
        audit_event(
            actor=by,
            instance=objection,
            event="tags",
            changes={
                "products": [sorted(before[0]), sorted(after[0])],
                "stages": [sorted(before[1]), sorted(after[1])],
            },
        )
    return objection
