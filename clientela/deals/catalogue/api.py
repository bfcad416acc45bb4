"""API of the catalogue: a deal's product lines (priced from the client's price list unless
given) and the products with their prices (admins change them)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from clientela.core.http import AuthedRequest
from clientela.core.pagination import Page, PageParams, paginate
from clientela.deals import selectors
from clientela.deals import settings_services as config
from clientela.deals.catalogue import services
from clientela.deals.models import Deal, DealLine, PriceListItem, Product
from clientela.deals.money import invalid
from clientela.deals.schemas import DealDetailOut, deal_for

# Endpoints keep the operation ids they had when the deals API was one module (`clientela.deals.api`),
# so clients generated from the schema keep working.
router = Router()  # tagged "deals" by the deals router it is mounted on


class LineIn(Schema):
    product: int | None = None
    name: str = ""
    quantity: Any = 1
    unit_price: Any = None
    # Empty: the client's loyalty discount.
    discount_percent: Any = None


def product_for(product_id: int | None, field: str = "product") -> Product | None:
    if product_id is None:
        return None
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise invalid(field, _("No such product."))
    return product


class LineCreateIn(LineIn):
    version: int | None = None


@router.post(
    "/deals/{deal_id}/lines",
    response={201: DealDetailOut},
    summary="Add a product line",
    operation_id="clientela_deals_api_add_line",
)
def add_line(request: AuthedRequest, deal_id: int, payload: LineCreateIn) -> Status[Deal]:
    """Without `unit_price` the client's loyalty price list (or the default list of the deal's
    currency) gives the price. The deal's amount becomes the sum of its lines."""
    deal = deal_for(request, deal_id)
    services.line_add(
        by=request.user,
        deal=deal,
        product=product_for(payload.product),
        name=payload.name,
        quantity=payload.quantity,
        unit_price=payload.unit_price,
        discount_percent=payload.discount_percent,
        version=payload.version,
    )
    return Status(201, deal_for(request, deal_id))


@router.delete(
    "/deals/{deal_id}/lines/{line_id}",
    response=DealDetailOut,
    summary="Remove a product line",
    operation_id="clientela_deals_api_remove_line",
)
def remove_line(request: AuthedRequest, deal_id: int, line_id: int, version: int | None = None) -> Deal:
    deal = deal_for(request, deal_id)
    line = DealLine.objects.filter(pk=line_id, deal=deal).select_related("deal").first()
    if line is None:
        raise Http404
    services.line_remove(by=request.user, line=line, version=version)
    return deal_for(request, deal_id)


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


@router.get(
    "/products",
    response=Page[ProductOut],
    summary="Products with their prices",
    operation_id="clientela_deals_api_list_products",
)
def list_products(request: AuthedRequest, query: Query[ProductQuery]) -> dict[str, Any]:
    products = selectors.product_list(q=query.q, active=query.active).prefetch_related(
        Prefetch(
            "prices",
            queryset=PriceListItem.objects.select_related("price_list").filter(price_list__is_active=True),
        )
    )
    return paginate(products, query)


@router.get(
    "/products/{product_id}",
    response=ProductOut,
    summary="One product",
    operation_id="clientela_deals_api_get_product",
)
def get_product(request: AuthedRequest, product_id: int) -> Product:
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


@router.post(
    "/products",
    response={201: ProductOut},
    summary="Add a product (admins)",
    operation_id="clientela_deals_api_create_product",
)
def create_product(request: AuthedRequest, payload: ProductIn) -> Status[Product]:
    product = config.product_create(by=request.user, data=payload.model_dump())
    return Status(201, get_product(request, product.pk))


class ProductPatchIn(Schema):
    code: str | None = None
    name: str | None = None
    description: str | None = None
    unit: str | None = None
    is_active: bool | None = None


@router.patch(
    "/products/{product_id}",
    response=ProductOut,
    summary="Change a product (admins)",
    operation_id="clientela_deals_api_update_product",
)
def update_product(request: AuthedRequest, product_id: int, payload: ProductPatchIn) -> Product:
    product = get_product(request, product_id)
    data = {key: value for key, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    config.product_update(by=request.user, product=product, data=data)
    return get_product(request, product_id)
