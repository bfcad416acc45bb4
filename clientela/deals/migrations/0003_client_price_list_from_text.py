"""One source of truth for a client's loyalty price list: `deals.ClientPriceList`.

The client card had a free-text "price list" field next to the real link. Each text that names
a price list (its name, or "name (currency)", any case) becomes the link when the client has
none yet (a list in the client's credit currency wins when several share the name); text that
names no list is kept in the client's "bonuses" note so nothing is lost. The field itself is
removed by clients/0003.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

KEPT_PREFIX = "Price list (from the old text field): "


def text_to_links(apps: Any, schema_editor: Any) -> None:
    Client = apps.get_model("clients", "Client")
    PriceList = apps.get_model("deals", "PriceList")
    ClientPriceList = apps.get_model("deals", "ClientPriceList")
    lists = list(PriceList.objects.order_by("-is_active", "-is_default", "id"))
    by_key: dict[str, list[Any]] = {}
    for price_list in lists:
        for key in (price_list.name, f"{price_list.name} ({price_list.currency})"):
            by_key.setdefault(key.strip().casefold(), []).append(price_list)
    linked = set(ClientPriceList.objects.values_list("client_id", flat=True))
    for client in Client.objects.exclude(price_list="").iterator():
        text = client.price_list.strip()
        candidates = by_key.get(text.casefold(), [])
        if candidates and client.pk not in linked:
            same_currency = [p for p in candidates if p.currency == (client.credit_currency or "").upper()]
            ClientPriceList.objects.create(client=client, price_list=(same_currency or candidates)[0])
            linked.add(client.pk)
        elif not candidates:
            note = f"{KEPT_PREFIX}{text}"
            client.bonuses = f"{client.bonuses}\n{note}".strip() if client.bonuses else note
            client.save(update_fields=["bonuses"])


def links_to_text(apps: Any, schema_editor: Any) -> None:
    Client = apps.get_model("clients", "Client")
    ClientPriceList = apps.get_model("deals", "ClientPriceList")
    for link in ClientPriceList.objects.select_related("price_list"):
        Client.objects.filter(pk=link.client_id).update(price_list=link.price_list.name[:100])


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0002_client_card"),
        ("deals", "0002_defaults"),
    ]

    operations = [migrations.RunPython(text_to_links, links_to_text)]
