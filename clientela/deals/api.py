"""API: deals (list, create, read, edit with optimistic locking, move/win/lose, lines,
objections, stage history), pipelines, products, proposals and other documents (with their PDF),
payments and overdue receivables.

Every list answers `{"count", "items"}` with `limit`/`offset`, scoped like the pages: a deal
the caller cannot see is 404. Amounts are exact decimals: send them as strings ("1250.50") or
integers — floats are refused — and read them back as strings. Marketers see deals without
amounts (`amount` and prices are null) and no documents or payments. Editing a deal needs the
`version` you read: if someone changed the deal since, the answer is 409 and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import field_validator

from clientela.clients.models import Client, Contact
from clientela.core.errors import BusinessError
from clientela.core.pagination import Page, PageParams, paginate
from clientela.core.permissions import require
from clientela.deals import selectors, services
from clientela.deals import settings_services as config
from clientela.deals.choices import DealStatus, DocumentKind, DocumentStatus, PaymentKind, PipelineKind
from clientela.deals.models import (
    Deal,
    DealLine,
    DealStageChange,
    Document,
    DocumentTemplate,
    DocumentVersion,
    LostReason,
    Objection,
    Payment,
    Pipeline,
    PriceListItem,
    Product,
    Stage,
)
from clientela.deals.money import invalid
from clientela.leads.models import Lead
from clientela.users.models import User
from clientela.users.selectors import users_visible_to

router = Router(tags=["deals"])


def _choice(value: str, allowed: list[str]) -> str:
    value = (value or "").strip()
    if value and value not in allowed:
        raise ValueError(_("Choose one of: %s.") % ", ".join(allowed))
    return value


def _cents(value: Any) -> Decimal:
    """Sums computed in SQL come back without their scale on SQLite (300 instead of 300.00)."""
    return Decimal(value or 0).quantize(Decimal("0.01"))


def _shows_amounts(context: Any) -> bool:
    request = (context or {}).get("request")
    return request is not None and selectors.can_see_amounts(request.user)


# --- Output -------------------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


def _ref(obj: Any) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": str(obj)} if obj is not None else None


class StageOut(Schema):
    id: int
    name: str
    code: str
    position: int
    probability: int
    is_won: bool
    is_lost: bool
    is_active: bool

    @staticmethod
    def resolve_name(obj: Stage) -> str:
        return obj.label


class PipelineOut(Schema):
    id: int
    name: str
    code: str
    kind: str
    is_default: bool
    is_active: bool
    notify_head_on_stage_change: bool
    requires_payment_schedule: bool
    stages: list[StageOut]

    @staticmethod
    def resolve_name(obj: Pipeline) -> str:
        return obj.label

    @staticmethod
    def resolve_stages(obj: Pipeline) -> list[Stage]:
        return list(obj.stages.all())


class LineOut(Schema):
    id: int
    product: Ref | None
    product_code: str
    name: str
    quantity: Decimal
    unit: str
    unit_price: Decimal | None
    discount_percent: Decimal
    total: Decimal | None

    @staticmethod
    def resolve_product(obj: DealLine) -> dict[str, Any] | None:
        return _ref(obj.product) if obj.product_id else None

    @staticmethod
    def resolve_product_code(obj: DealLine) -> str:
        return obj.product.code if obj.product_id and obj.product else ""

    @staticmethod
    def resolve_unit_price(obj: DealLine, context: Any) -> Decimal | None:
        return obj.unit_price if _shows_amounts(context) else None

    @staticmethod
    def resolve_total(obj: DealLine, context: Any) -> Decimal | None:
        return obj.total if _shows_amounts(context) else None


class DealOut(Schema):
    id: int
    title: str
    client: Ref
    contacts: list[Ref]
    owner: Ref | None
    team: Ref | None
    pipeline: Ref
    stage: Ref
    status: str
    amount: Decimal | None
    currency: str
    expected_close_date: dt.date | None
    next_step_date: dt.date | None
    next_step_subject: str
    next_step_overdue: bool
    source_lead_id: int | None
    stage_entered_at: dt.datetime
    days_in_stage: int
    closed_at: dt.datetime | None
    lost_reason: str | None
    lost_note: str
    overdue_amount: Decimal | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_client(obj: Deal) -> dict[str, Any] | None:
        return _ref(obj.client)

    @staticmethod
    def resolve_contacts(obj: Deal) -> list[dict[str, Any]]:
        return [{"id": c.pk, "name": str(c)} for c in obj.contacts.all()]

    @staticmethod
    def resolve_owner(obj: Deal) -> dict[str, Any] | None:
        return _ref(obj.owner) if obj.owner_id else None

    @staticmethod
    def resolve_team(obj: Deal) -> dict[str, Any] | None:
        return _ref(obj.team) if obj.team_id else None

    @staticmethod
    def resolve_pipeline(obj: Deal) -> dict[str, Any] | None:
        return _ref(obj.pipeline)

    @staticmethod
    def resolve_stage(obj: Deal) -> dict[str, Any] | None:
        return _ref(obj.stage)

    @staticmethod
    def resolve_amount(obj: Deal, context: Any) -> Decimal | None:
        return obj.amount if _shows_amounts(context) else None

    @staticmethod
    def resolve_lost_reason(obj: Deal) -> str | None:
        return obj.lost_reason.code if obj.lost_reason_id and obj.lost_reason else None

    @staticmethod
    def resolve_overdue_amount(obj: Deal, context: Any) -> Decimal | None:
        if not _shows_amounts(context):
            return None
        value = getattr(obj, "overdue_amount", None)
        return _cents(value if value is not None else selectors.deal_receivables(obj)["overdue_amount"])


class DealDetailOut(DealOut):
    lines: list[LineOut]

    @staticmethod
    def resolve_lines(obj: Deal) -> list[DealLine]:
        return list(obj.lines.all())


class StageChangeOut(Schema):
    id: int
    at: dt.datetime
    from_stage: Ref | None
    to_stage: Ref
    by: Ref | None
    seconds_in_previous: int | None

    @staticmethod
    def resolve_from_stage(obj: DealStageChange) -> dict[str, Any] | None:
        return _ref(obj.from_stage) if obj.from_stage_id else None

    @staticmethod
    def resolve_to_stage(obj: DealStageChange) -> dict[str, Any] | None:
        return _ref(obj.to_stage)

    @staticmethod
    def resolve_by(obj: DealStageChange) -> dict[str, Any] | None:
        return _ref(obj.by) if obj.by_id else None


# --- Deals: list and read -----------------------------------------------------------------------


class DealQuery(PageParams):
    q: str = ""
    pipeline: int | None = None
    stage: int | None = None
    status: str = ""
    owner: int | None = None
    unassigned: bool = False
    team: int | None = None
    client: int | None = None
    overdue_receivables: bool = False
    next_step_overdue: bool = False
    ordering: str = "-created"

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        return _choice(value, list(DealStatus.values))

    @field_validator("ordering")
    @classmethod
    def _ordering(cls, value: str) -> str:
        return _choice(value, list(selectors.DEAL_ORDERINGS)) or "-created"

    def filters(self) -> selectors.DealFilters:
        return selectors.DealFilters(
            q=self.q.strip(),
            pipeline=self.pipeline,
            stage=self.stage,
            status=self.status,
            owner=self.owner,
            unassigned=self.unassigned,
            team=self.team,
            client=self.client,
            overdue_receivables=self.overdue_receivables,
            next_step_overdue=self.next_step_overdue,
            ordering=self.ordering,
        )


def _with_related(deals: QuerySet[Deal]) -> QuerySet[Deal]:
    return deals.prefetch_related("contacts")


@router.get("/deals", response=Page[DealOut], summary="Deals visible to you")
def list_deals(request: HttpRequest, query: Query[DealQuery]) -> dict[str, Any]:
    """Filter by pipeline, stage, status (open/won/lost), owner (or `unassigned=true`), team,
    client, overdue receivables and overdue next steps; `q` searches the title and the client's
    name (or a deal number). `ordering`: -created, created, -amount, amount, title, close,
    next_step, stage, -updated."""
    deals = selectors.deal_list(viewer=request.user, filters=query.filters())
    page = paginate(_with_related(deals), query)
    if selectors.can_see_amounts(request.user):
        selectors.attach_overdue(page["items"])
    return page


def _deal(request: HttpRequest, deal_id: int) -> Deal:
    return selectors.deal_get(viewer=request.user, pk=deal_id)


@router.get("/deals/{deal_id}", response=DealDetailOut, summary="One deal with its lines")
def get_deal(request: HttpRequest, deal_id: int) -> Deal:
    return _deal(request, deal_id)


@router.get(
    "/deals/{deal_id}/stage-history", response=list[StageChangeOut], summary="A deal's moves between stages"
)
def deal_stage_history(request: HttpRequest, deal_id: int) -> list[DealStageChange]:
    """Each move with the time spent in the stage it left (`seconds_in_previous`)."""
    return selectors.stage_history(_deal(request, deal_id))


# --- Deals: writes ------------------------------------------------------------------------------


class LineIn(Schema):
    product: int | None = None
    name: str = ""
    quantity: Any = 1
    unit_price: Any = None
    discount_percent: Any = 0


class DealCreateIn(Schema):
    client: int
    title: str = ""
    pipeline: int | None = None
    stage: int | None = None
    owner: int | None = None
    amount: Any = None
    currency: str = ""
    expected_close_date: dt.date | None = None
    next_step_date: dt.date | None = None
    next_step_subject: str = ""
    contacts: list[int] = []
    source_lead: int | None = None
    lines: list[LineIn] = []


def _client(request: HttpRequest, client_id: int | None, field: str = "client") -> Client:
    client = Client.objects.visible_to(request.user).filter(pk=client_id).first() if client_id else None
    if client is None:
        raise invalid(field, _("No such client."))
    return client


def _contacts(client: Client, ids: list[int]) -> list[Contact]:
    contacts = list(Contact.objects.filter(client=client, pk__in=ids))
    if len(contacts) != len(set(ids)):
        raise invalid("contacts", _("Choose contacts of this client."))
    return contacts


def _owner(request: HttpRequest, owner_id: int | None) -> User | None:
    if owner_id is None:
        return None
    owner = users_visible_to(request.user).filter(pk=owner_id).first()
    if owner is None:
        raise invalid("owner", _("Choose an active sales manager."))
    return owner


def _pipeline(pipeline_id: int | None) -> Pipeline | None:
    if pipeline_id is None:
        return None
    pipeline = Pipeline.objects.filter(pk=pipeline_id).first()
    if pipeline is None:
        raise invalid("pipeline", _("No such pipeline."))
    return pipeline


def _stage(stage_id: int | None, field: str = "stage") -> Stage | None:
    if stage_id is None:
        return None
    stage = Stage.objects.select_related("pipeline").filter(pk=stage_id).first()
    if stage is None:
        raise invalid(field, _("No such stage."))
    return stage


def _product(product_id: int | None, field: str = "product") -> Product | None:
    if product_id is None:
        return None
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise invalid(field, _("No such product."))
    return product


def _prefixed(exc: BusinessError, prefix: str) -> BusinessError:
    errors = {f"{prefix}.{field}": messages for field, messages in exc.errors.items()}
    return BusinessError(exc.message, errors=errors, status=exc.status)


@router.post("/deals", response={201: DealDetailOut}, summary="Start a deal")
def create_deal(request: HttpRequest, payload: DealCreateIn) -> Status[Deal]:
    """Starts in the first open stage of `pipeline` (the default one if not given), or in
    `stage`. `lines` are added in the same transaction: a bad line writes nothing."""
    require(request.user, "work_records")
    client = _client(request, payload.client)
    contacts = _contacts(client, payload.contacts)
    lead = None
    if payload.source_lead is not None:
        lead = Lead.objects.visible_to(request.user).filter(pk=payload.source_lead).first()
        if lead is None:
            raise invalid("source_lead", _("No such lead."))
    pipeline, stage = _pipeline(payload.pipeline), _stage(payload.stage)
    if stage is not None and pipeline is None:
        pipeline = stage.pipeline
    with transaction.atomic():
        deal = services.deal_create(
            by=request.user,
            client=client,
            title=payload.title,
            pipeline=pipeline,
            stage=stage,
            owner=_owner(request, payload.owner),
            amount=payload.amount,
            currency=payload.currency,
            expected_close_date=payload.expected_close_date,
            next_step_date=payload.next_step_date,
            next_step_subject=payload.next_step_subject,
            contacts=contacts,
            source_lead=lead,
        )
        for index, line in enumerate(payload.lines):
            try:
                services.line_add(
                    by=request.user,
                    deal=deal,
                    product=_product(line.product),
                    name=line.name,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    discount_percent=line.discount_percent,
                )
            except BusinessError as exc:
                raise _prefixed(exc, f"lines.{index}") from exc
    return Status(201, _deal(request, deal.pk))


class DealPatchIn(Schema):
    version: int
    title: str | None = None
    client: int | None = None
    contacts: list[int] | None = None
    owner: int | None = None
    amount: Any = None
    currency: str | None = None
    expected_close_date: dt.date | None = None
    next_step_date: dt.date | None = None
    next_step_subject: str | None = None


@router.patch("/deals/{deal_id}", response=DealDetailOut, summary="Change a deal's fields")
def update_deal(request: HttpRequest, deal_id: int, payload: DealPatchIn) -> Deal:
    """Only the fields sent change. `version` (required) is the one you read; when the deal
    changed since, the answer is 409 and nothing is written. Stage changes go through `/move`."""
    deal = _deal(request, deal_id)
    sent = payload.model_dump(exclude_unset=True)
    version = sent.pop("version")
    data: dict[str, Any] = {}
    for name, value in sent.items():
        if name == "client":
            data["client"] = _client(request, value)
        elif name == "contacts":
            data["contacts"] = _contacts(data.get("client", deal.client), value or [])
        elif name == "owner":
            data["owner"] = _owner(request, value)
        elif name in ("title", "next_step_subject", "currency") and value is None:
            raise invalid(name, _("This field cannot be null."))
        else:
            data[name] = value
    services.deal_update(by=request.user, deal=deal, data=data, version=version)
    return _deal(request, deal_id)


class ScheduleIn(Schema):
    due_date: dt.date
    amount: Any


class MoveIn(Schema):
    stage: int
    version: int | None = None
    lost_reason: str = ""
    lost_note: str = ""
    amount: Any = None
    payments: list[ScheduleIn] = []


def _reason(code: str, field: str) -> LostReason | None:
    code = (code or "").strip()
    if not code:
        return None
    reason = LostReason.objects.filter(code=code).first()
    if reason is None:
        codes = LostReason.objects.filter(is_active=True).values_list("code", flat=True)
        raise invalid(field, _("Choose one of: %s.") % ", ".join(codes))
    return reason


def _schedule(rows: list[ScheduleIn]) -> list[services.ScheduledPayment]:
    return [services.ScheduledPayment(due_date=row.due_date, amount=row.amount) for row in rows]


@router.post("/deals/{deal_id}/move", response=DealDetailOut, summary="Move a deal to a stage")
def move_deal(request: HttpRequest, deal_id: int, payload: MoveIn) -> Deal:
    """Moving to a lost stage needs `lost_reason` (a code: price, competitor, no_budget, timing,
    no_decision, quality, staff_attitude, other or one configured); to a won stage an amount
    above zero (`amount`, when the deal has no lines) and, where the pipeline asks, `payments`
    adding up to it. A missing requirement is 422 naming the field, and nothing changes."""
    deal = _deal(request, deal_id)
    require(request.user, "work_records")
    stage = _stage(payload.stage)
    assert stage is not None
    services.deal_move(
        by=request.user,
        deal=deal,
        stage=stage,
        version=payload.version,
        lost_reason=_reason(payload.lost_reason, "lost_reason"),
        lost_note=payload.lost_note,
        amount=payload.amount,
        payments=_schedule(payload.payments),
    )
    return _deal(request, deal_id)


class WinIn(Schema):
    version: int | None = None
    amount: Any = None
    payments: list[ScheduleIn] = []


@router.post("/deals/{deal_id}/win", response=DealDetailOut, summary="Close a deal as won")
def win_deal(request: HttpRequest, deal_id: int, payload: WinIn) -> Deal:
    deal = _deal(request, deal_id)
    require(request.user, "work_records")
    services.deal_win(
        by=request.user,
        deal=deal,
        version=payload.version,
        amount=payload.amount,
        payments=_schedule(payload.payments),
    )
    return _deal(request, deal_id)


class LoseIn(Schema):
    reason: str = ""
    note: str = ""
    version: int | None = None


@router.post("/deals/{deal_id}/lose", response=DealDetailOut, summary="Close a deal as lost")
def lose_deal(request: HttpRequest, deal_id: int, payload: LoseIn) -> Deal:
    """`reason` is required: a lost-reason code."""
    deal = _deal(request, deal_id)
    require(request.user, "work_records")
    try:
        services.deal_lose(
            by=request.user,
            deal=deal,
            reason=_reason(payload.reason, "reason"),
            note=payload.note,
            version=payload.version,
        )
    except BusinessError as exc:
        if "lost_reason" in exc.errors:
            exc.errors["reason"] = exc.errors.pop("lost_reason")
        raise
    return _deal(request, deal_id)


class LineCreateIn(LineIn):
    version: int | None = None


@router.post("/deals/{deal_id}/lines", response={201: DealDetailOut}, summary="Add a product line")
def add_line(request: HttpRequest, deal_id: int, payload: LineCreateIn) -> Status[Deal]:
    """Without `unit_price` the client's loyalty price list (or the default list of the deal's
    currency) gives the price. The deal's amount becomes the sum of its lines."""
    deal = _deal(request, deal_id)
    services.line_add(
        by=request.user,
        deal=deal,
        product=_product(payload.product),
        name=payload.name,
        quantity=payload.quantity,
        unit_price=payload.unit_price,
        discount_percent=payload.discount_percent,
        version=payload.version,
    )
    return Status(201, _deal(request, deal_id))


@router.delete("/deals/{deal_id}/lines/{line_id}", response=DealDetailOut, summary="Remove a product line")
def remove_line(request: HttpRequest, deal_id: int, line_id: int, version: int | None = None) -> Deal:
    deal = _deal(request, deal_id)
    line = DealLine.objects.filter(pk=line_id, deal=deal).select_related("deal").first()
    if line is None:
        raise Http404
    services.line_remove(by=request.user, line=line, version=version)
    return _deal(request, deal_id)


class ObjectionIn(Schema):
    objection: int
    note: str = ""


class RaisedOut(Schema):
    id: int
    objection: Ref
    stage: Ref
    at: dt.datetime
    note: str

    @staticmethod
    def resolve_objection(obj: Any) -> dict[str, Any] | None:
        return _ref(obj.objection)

    @staticmethod
    def resolve_stage(obj: Any) -> dict[str, Any] | None:
        return _ref(obj.stage)


@router.post("/deals/{deal_id}/objections", response={201: RaisedOut}, summary="Record an objection raised")
def raise_objection(request: HttpRequest, deal_id: int, payload: ObjectionIn) -> Status[Any]:
    deal = _deal(request, deal_id)
    objection = Objection.objects.filter(pk=payload.objection).first()
    if objection is None:
        raise invalid("objection", _("No such objection."))
    return Status(
        201, services.objection_record(by=request.user, deal=deal, objection=objection, note=payload.note)
    )


# --- Pipelines ----------------------------------------------------------------------------------


def _pipelines() -> QuerySet[Pipeline]:
    return Pipeline.objects.prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("position", "id"))
    )


class PipelineQuery(PageParams):
    active: bool | None = True


@router.get("/pipelines", response=Page[PipelineOut], summary="Pipelines and their stages")
def list_pipelines(request: HttpRequest, query: Query[PipelineQuery]) -> dict[str, Any]:
    pipelines = _pipelines().order_by("-is_default", "position", "name")
    if query.active is not None:
        pipelines = pipelines.filter(is_active=query.active)
    return paginate(pipelines, query)


@router.get("/pipelines/{pipeline_id}", response=PipelineOut, summary="One pipeline")
def get_pipeline(request: HttpRequest, pipeline_id: int) -> Pipeline:
    pipeline = _pipelines().filter(pk=pipeline_id).first()
    if pipeline is None:
        raise Http404
    return pipeline


class StageIn(Schema):
    name: str
    probability: int = 0
    is_won: bool = False
    is_lost: bool = False
    is_active: bool = True
    position: int | None = None


class PipelineIn(Schema):
    name: str
    kind: str = PipelineKind.OTHER
    is_default: bool = False
    is_active: bool = True
    notify_head_on_stage_change: bool = False
    requires_payment_schedule: bool = False
    stages: list[StageIn] = []

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return _choice(value, list(PipelineKind.values)) or PipelineKind.OTHER


def _stage_data(row: StageIn | dict[str, Any]) -> dict[str, Any]:
    data = row if isinstance(row, dict) else row.model_dump()
    return {key: value for key, value in data.items() if value is not None}


@router.post("/pipelines", response={201: PipelineOut}, summary="Create a pipeline (admins)")
def create_pipeline(request: HttpRequest, payload: PipelineIn) -> Status[Pipeline]:
    data = payload.model_dump(exclude={"stages"})
    stages = [_stage_data(row) for row in payload.stages] or None
    pipeline = config.pipeline_create(by=request.user, data=data, stages=stages)
    return Status(201, get_pipeline(request, pipeline.pk))


class PipelinePatchIn(Schema):
    name: str | None = None
    kind: str | None = None
    is_default: bool | None = None
    is_active: bool | None = None
    notify_head_on_stage_change: bool | None = None
    requires_payment_schedule: bool | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str | None) -> str | None:
        return _choice(value, list(PipelineKind.values)) if value is not None else None


@router.patch("/pipelines/{pipeline_id}", response=PipelineOut, summary="Change a pipeline (admins)")
def update_pipeline(request: HttpRequest, pipeline_id: int, payload: PipelinePatchIn) -> Pipeline:
    pipeline = get_pipeline(request, pipeline_id)
    data = {key: value for key, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    config.pipeline_update(by=request.user, pipeline=pipeline, data=data)
    return get_pipeline(request, pipeline_id)


@router.post("/pipelines/{pipeline_id}/stages", response={201: PipelineOut}, summary="Add a stage (admins)")
def create_stage(request: HttpRequest, pipeline_id: int, payload: StageIn) -> Status[Pipeline]:
    pipeline = get_pipeline(request, pipeline_id)
    config.stage_create(by=request.user, pipeline=pipeline, data=_stage_data(payload))
    return Status(201, get_pipeline(request, pipeline_id))


class StagePatchIn(Schema):
    name: str | None = None
    probability: int | None = None
    is_won: bool | None = None
    is_lost: bool | None = None
    is_active: bool | None = None
    position: int | None = None


@router.patch(
    "/pipelines/{pipeline_id}/stages/{stage_id}", response=PipelineOut, summary="Change a stage (admins)"
)
def update_stage(request: HttpRequest, pipeline_id: int, stage_id: int, payload: StagePatchIn) -> Pipeline:
    stage = Stage.objects.filter(pk=stage_id, pipeline_id=pipeline_id).select_related("pipeline").first()
    if stage is None:
        raise Http404
    data = {key: value for key, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    config.stage_update(by=request.user, stage=stage, data=data)
    return get_pipeline(request, pipeline_id)


class LostReasonOut(Schema):
    code: str
    name: str
    is_active: bool

    @staticmethod
    def resolve_name(obj: LostReason) -> str:
        return str(obj)


@router.get("/lost-reasons", response=list[LostReasonOut], summary="Why deals are lost: the configured list")
def list_lost_reasons(request: HttpRequest) -> QuerySet[LostReason]:
    return LostReason.objects.order_by("position", "name")


# --- Products -----------------------------------------------------------------------------------


class PriceOut(Schema):
    price_list_id: int
    price_list: str
    currency: str
    is_default: bool
    price: Decimal

    @staticmethod
    def resolve_price_list(obj: PriceListItem) -> str:
        return obj.price_list.name

    @staticmethod
    def resolve_currency(obj: PriceListItem) -> str:
        return obj.price_list.currency

    @staticmethod
    def resolve_is_default(obj: PriceListItem) -> bool:
        return obj.price_list.is_default


class ProductOut(Schema):
    id: int
    code: str
    name: str
    description: str
    unit: str
    is_active: bool
    prices: list[PriceOut]

    @staticmethod
    def resolve_prices(obj: Product) -> list[PriceListItem]:
        return list(obj.prices.all())


def _products() -> QuerySet[Product]:
    return Product.objects.prefetch_related(
        Prefetch(
            "prices",
            queryset=PriceListItem.objects.select_related("price_list").filter(price_list__is_active=True),
        )
    )


class ProductQuery(PageParams):
    q: str = ""
    active: bool | None = True


@router.get("/products", response=Page[ProductOut], summary="Products with their prices")
def list_products(request: HttpRequest, query: Query[ProductQuery]) -> dict[str, Any]:
    products = selectors.product_list(q=query.q, active=query.active).prefetch_related(
        Prefetch(
            "prices",
            queryset=PriceListItem.objects.select_related("price_list").filter(price_list__is_active=True),
        )
    )
    return paginate(products, query)


@router.get("/products/{product_id}", response=ProductOut, summary="One product")
def get_product(request: HttpRequest, product_id: int) -> Product:
    product = _products().filter(pk=product_id).first()
    if product is None:
        raise Http404
    return product


class ProductIn(Schema):
    code: str
    name: str
    description: str = ""
    unit: str = "pcs"
    is_active: bool = True


@router.post("/products", response={201: ProductOut}, summary="Add a product (admins)")
def create_product(request: HttpRequest, payload: ProductIn) -> Status[Product]:
    product = config.product_create(by=request.user, data=payload.model_dump())
    return Status(201, get_product(request, product.pk))


class ProductPatchIn(Schema):
    code: str | None = None
    name: str | None = None
    description: str | None = None
    unit: str | None = None
    is_active: bool | None = None


@router.patch("/products/{product_id}", response=ProductOut, summary="Change a product (admins)")
def update_product(request: HttpRequest, product_id: int, payload: ProductPatchIn) -> Product:
    product = get_product(request, product_id)
    data = {key: value for key, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    config.product_update(by=request.user, product=product, data=data)
    return get_product(request, product_id)


# --- Proposals and other documents --------------------------------------------------------------


class VersionOut(Schema):
    id: int
    version: int
    created_at: dt.datetime
    total: Decimal
    currency: str
    valid_until: dt.date | None
    sent_at: dt.datetime | None
    sent_to: str
    lines: list[dict[str, Any]]


class DocumentOut(Schema):
    id: int
    deal_id: int
    kind: str
    number: str
    title: str
    language: str
    status: str
    valid_until: dt.date | None
    current_version: int
    created_at: dt.datetime
    versions: list[VersionOut]

    @staticmethod
    def resolve_versions(obj: Document) -> list[DocumentVersion]:
        return list(obj.versions.all())


def _documents(request: HttpRequest) -> QuerySet[Document]:
    return selectors.documents_visible_to(request.user).prefetch_related(
        Prefetch("versions", queryset=DocumentVersion.objects.order_by("-version"))
    )


class DocumentQuery(PageParams):
    q: str = ""
    deal: int | None = None
    kind: str = ""
    status: str = ""

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return _choice(value, list(DocumentKind.values))

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        return _choice(value, list(DocumentStatus.values))


@router.get("/proposals", response=Page[DocumentOut], summary="Proposals and other deal documents")
def list_documents(request: HttpRequest, query: Query[DocumentQuery]) -> dict[str, Any]:
    """All kinds (proposal, agreement, invoice, act) unless `kind` says; `q` matches the number
    or the deal's client."""
    documents = _documents(request)
    if query.q:
        term = query.q.strip()
        documents = documents.filter(Q(number__icontains=term) | Q(deal__client__name__icontains=term))
    if query.deal:
        documents = documents.filter(deal_id=query.deal)
    if query.kind:
        documents = documents.filter(kind=query.kind)
    if query.status:
        documents = documents.filter(status=query.status)
    return paginate(documents.order_by("-created_at", "-id"), query)


def _document(request: HttpRequest, document_id: int) -> Document:
    document = _documents(request).select_related("deal").filter(pk=document_id).first()
    if document is None:
        raise Http404
    return document


@router.get("/proposals/{document_id}", response=DocumentOut, summary="One document with its versions")
def get_document(request: HttpRequest, document_id: int) -> Document:
    return _document(request, document_id)


class DocumentIn(Schema):
    deal: int
    kind: str = DocumentKind.PROPOSAL
    title: str = ""
    language: str = ""
    valid_until: dt.date | None = None
    template: int | None = None


@router.post(
    "/proposals", response={201: DocumentOut}, summary="Prepare a proposal (or agreement, invoice, act)"
)
def create_document(request: HttpRequest, payload: DocumentIn) -> Status[Document]:
    """Numbered per kind and year (P-2026-0001) and rendered to PDF from the deal's lines."""
    deal = _deal(request, payload.deal)
    if not selectors.can_see_amounts(request.user):
        raise Http404
    template = None
    if payload.template is not None:
        template = DocumentTemplate.objects.filter(pk=payload.template).first()
        if template is None:
            raise invalid("template", _("No such template."))
    document = services.document_create(
        by=request.user,
        deal=deal,
        kind=payload.kind,
        title=payload.title,
        language=payload.language,
        valid_until=payload.valid_until,
        template=template,
    )
    return Status(201, _document(request, document.pk))


class DocumentPatchIn(Schema):
    title: str | None = None
    valid_until: dt.date | None = None
    status: str | None = None


@router.patch("/proposals/{document_id}", response=DocumentOut, summary="Change a document")
def update_document(request: HttpRequest, document_id: int, payload: DocumentPatchIn) -> Document:
    """`status` records the client's answer (accepted/declined). A new `title` or
    `valid_until` issues a new version; earlier versions stay as they were."""
    document = _document(request, document_id)
    sent = payload.model_dump(exclude_unset=True)
    if "title" in sent or "valid_until" in sent:
        services.document_revise(
            by=request.user, document=document, valid_until=sent.get("valid_until"), title=sent.get("title")
        )
    if sent.get("status"):
        services.document_set_status(
            by=request.user, document=_document(request, document_id), status=sent["status"]
        )
    return _document(request, document_id)


@router.post("/proposals/{document_id}/versions", response={201: DocumentOut}, summary="Issue a new version")
def revise_document(request: HttpRequest, document_id: int) -> Status[Document]:
    """A new version from the deal's current lines."""
    services.document_revise(by=request.user, document=_document(request, document_id))
    return Status(201, _document(request, document_id))


class SendIn(Schema):
    version: int | None = None
    to: str = ""


@router.post("/proposals/{document_id}/send", response=DocumentOut, summary="Record that a version was sent")
def send_document(request: HttpRequest, document_id: int, payload: SendIn) -> Document:
    document = _document(request, document_id)
    number = payload.version or document.current_version
    version = document.versions.filter(version=number).first()
    if version is None:
        raise invalid("version", _("No such version."))
    services.document_send(by=request.user, version=version, to=payload.to)
    return _document(request, document_id)


@router.get(
    "/proposals/{document_id}/pdf",
    summary="The PDF of a version (the latest by default)",
    response={200: None},
)
def document_pdf(request: HttpRequest, document_id: int, version: int | None = None) -> FileResponse:
    document = _document(request, document_id)
    row = document.versions.filter(version=version or document.current_version).first()
    if row is None or not row.pdf:
        raise Http404
    return FileResponse(
        row.pdf.open("rb"), as_attachment=True, filename=row.filename, content_type="application/pdf"
    )


# --- Payments -----------------------------------------------------------------------------------


class PaymentOut(Schema):
    id: int
    deal_id: int
    kind: str
    amount: Decimal
    currency: str
    due_date: dt.date | None
    paid_on: dt.date | None
    note: str
    document_id: int | None
    created_at: dt.datetime


class PaymentQuery(PageParams):
    deal: int | None = None
    client: int | None = None
    kind: str = ""
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    overdue: bool = False

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return _choice(value, list(PaymentKind.values))


@router.get("/payments", response=Page[PaymentOut], summary="Expected and received payments")
def list_payments(request: HttpRequest, query: Query[PaymentQuery]) -> dict[str, Any]:
    """`overdue=true`: expected payments of deals whose receivables are overdue, due before today."""
    payments = selectors.payments_visible_to(request.user)
    if query.deal:
        payments = payments.filter(deal_id=query.deal)
    if query.client:
        payments = payments.filter(deal__client_id=query.client)
    if query.kind:
        payments = payments.filter(kind=query.kind)
    if query.due_from:
        payments = payments.filter(due_date__gte=query.due_from)
    if query.due_to:
        payments = payments.filter(due_date__lte=query.due_to)
    if query.overdue:
        overdue_deals = selectors.overdue_receivables(request.user).values("pk")
        payments = payments.filter(
            kind=PaymentKind.EXPECTED, due_date__lt=timezone.localdate(), deal__in=overdue_deals
        )
    return paginate(payments.order_by("due_date", "paid_on", "id"), query)


def _payment(request: HttpRequest, payment_id: int) -> Payment:
    payment = selectors.payments_visible_to(request.user).select_related("deal").filter(pk=payment_id).first()
    if payment is None:
        raise Http404
    return payment


@router.get("/payments/{payment_id}", response=PaymentOut, summary="One payment")
def get_payment(request: HttpRequest, payment_id: int) -> Payment:
    return _payment(request, payment_id)


class PaymentIn(Schema):
    deal: int
    kind: str
    amount: Any
    due_date: dt.date | None = None
    paid_on: dt.date | None = None
    note: str = ""


@router.post("/payments", response={201: PaymentOut}, summary="Schedule or record a payment")
def create_payment(request: HttpRequest, payload: PaymentIn) -> Status[Payment]:
    """`kind` expected (with `due_date`) or received (with `paid_on`, today by default), in the
    deal's currency."""
    deal = _deal(request, payload.deal)
    if not selectors.can_see_amounts(request.user):
        raise invalid("deal", _("No such deal."))
    payment = services.payment_create(
        by=request.user,
        deal=deal,
        kind=payload.kind,
        amount=payload.amount,
        due_date=payload.due_date,
        paid_on=payload.paid_on,
        note=payload.note,
    )
    return Status(201, payment)


class PaymentPatchIn(Schema):
    kind: str | None = None
    amount: Any = None
    due_date: dt.date | None = None
    paid_on: dt.date | None = None
    note: str | None = None


@router.patch("/payments/{payment_id}", response=PaymentOut, summary="Change a payment")
def update_payment(request: HttpRequest, payment_id: int, payload: PaymentPatchIn) -> Payment:
    payment = _payment(request, payment_id)
    data = payload.model_dump(exclude_unset=True)
    if "amount" in data and data["amount"] is None:
        raise invalid("amount", _("Enter a number."))
    return services.payment_update(by=request.user, payment=payment, data=data)


class ReceivableOut(Schema):
    deal: Ref
    client: Ref
    owner: Ref | None
    currency: str
    expected_total: Decimal
    received_total: Decimal
    overdue_amount: Decimal

    @staticmethod
    def resolve_deal(obj: Deal) -> dict[str, Any] | None:
        return _ref(obj)

    @staticmethod
    def resolve_expected_total(obj: Any) -> Decimal:
        return _cents(obj.expected_total)

    @staticmethod
    def resolve_received_total(obj: Any) -> Decimal:
        return _cents(obj.received_total)

    @staticmethod
    def resolve_overdue_amount(obj: Any) -> Decimal:
        return _cents(obj.overdue_amount)

    @staticmethod
    def resolve_client(obj: Deal) -> dict[str, Any] | None:
        return _ref(obj.client)

    @staticmethod
    def resolve_owner(obj: Deal) -> dict[str, Any] | None:
        return _ref(obj.owner) if obj.owner_id else None


@router.get("/receivables", response=Page[ReceivableOut], summary="Deals with overdue payments")
def list_receivables(
    request: HttpRequest, query: Query[PageParams], client: int | None = None
) -> dict[str, Any]:
    if not selectors.can_see_amounts(request.user):
        return {"count": 0, "items": []}
    client_obj = _client(request, client) if client is not None else None
    return paginate(selectors.overdue_receivables(request.user, client=client_obj), query)
