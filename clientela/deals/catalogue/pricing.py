"""Which price applies: a client's loyalty price list first, then the default list of the currency."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from clientela.deals.models import ClientPriceList, PriceList, PriceListItem, Product


@dataclass(frozen=True)
class PriceQuote:
    price: Decimal
    price_list: PriceList
    loyalty: bool  # True when it came from the client's own price list


def client_price_list(client: Any) -> PriceList | None:
    link = ClientPriceList.objects.select_related("price_list").filter(client=client).first()
    if link is None or not link.price_list.is_active:
        return None
    return link.price_list


def price_for(*, product: Product, client: Any, currency: str) -> PriceQuote | None:
    """The price of `product` for `client` in `currency`, or None when no list has one.

    The client's loyalty list wins when it is in the same currency and has the product;
    otherwise the default list of the currency applies.
    """
    loyalty = client_price_list(client) if client is not None else None
    if loyalty is not None and loyalty.currency == currency:
        item = PriceListItem.objects.filter(price_list=loyalty, product=product).first()
        if item is not None:
            return PriceQuote(price=item.price, price_list=loyalty, loyalty=True)
    item = (
        PriceListItem.objects.select_related("price_list")
        .filter(
            product=product,
            price_list__currency=currency,
            price_list__is_default=True,
            price_list__is_active=True,
        )
        .first()
    )
    if item is None:
        return None
    return PriceQuote(price=item.price, price_list=item.price_list, loyalty=False)
