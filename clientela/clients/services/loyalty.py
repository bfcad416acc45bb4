"""A client's loyalty price list, through the provider registered on `clients.hooks.price_lists`
(deals): clients does not know price lists, it asks for the current one and hands over a choice.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from clientela.clients.hooks import price_lists
from clientela.clients.models import Client
from clientela.clients.services.rules import invalid
from clientela.users.models import User


def clean_price_list(value: Any) -> int | None:
    """A price list id from a form or a program ("" and None: no price list)."""
    if value is None or value == "":
        return None
    if hasattr(value, "pk"):
        return int(value.pk)
    try:
        return int(str(value).strip())
    except ValueError:
        raise invalid({"price_list": [_("Choose one of the price lists.")]}) from None


def client_price_list(client: Client) -> tuple[int, str] | None:
    """The client's loyalty price list as (id, label), or None."""
    provider = price_lists.one()
    if provider is None or client.pk is None:
        return None
    return provider.current([client.pk]).get(client.pk)


def client_price_list_labels(client_ids: list[int]) -> dict[int, str]:
    provider = price_lists.one()
    if provider is None:
        return {}
    return {pk: label for pk, (_id, label) in provider.current(client_ids).items()}


def update_price_list(*, by: User, client: Client, value: Any) -> None:
    provider = price_lists.one()
    if provider is None:
        raise invalid({"price_list": [_("Price lists are not available.")]})
    wanted = clean_price_list(value)
    current = client_price_list(client)
    if (current[0] if current else None) != wanted:
        provider.assign(by=by, client=client, price_list_id=wanted)
