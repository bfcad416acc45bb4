"""Extension points other capabilities plug into, so this app never imports them.

* **Card sections** — a template named `<app>/_client_<section>.html` (e.g.
  `deals/_client_deals.html`) is rendered on the client card and on the handover summary when
  it exists, with `client`, `family_ids` (the HQ and its branches) and `viewer` in its context.
* **Family figures** — the HQ card shows combined figures of the company and its branches;
  `register_family_figures(fn)` adds more (the deals capability: open deals, won revenue).
  `fn(client_ids: list[int], viewer) -> list[tuple[label, value]]`.
* **Handover hooks** — when clients change personal manager, their other records (open deals,
  e-mail threads, tasks) follow: `register_handover_hook(fn)`, called inside the handover's
  transaction with `by`, `handover`, `client_ids`, `from_user_ids` and `to_user`.
* **Loyalty price list** — the client's price list lives with the price lists (deals:
  `ClientPriceList`, one source of truth); `register_price_lists(provider)` lets the client form,
  card, API and export show and change it. Without a provider the field is simply absent.
* **Deletion guard** — `clients.services.client_can_delete` refuses while any record of any
  app points at the client (deals included, through their foreign key); nothing to register.

Register from your AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FamilyFigures = Callable[[list[int], Any], list[tuple[Any, Any]]]
HandoverHook = Callable[..., object]  # the result is ignored

# Templates tried for card sections, in this order.
CARD_SECTION_TEMPLATES = ["deals/_client_deals.html"]

_family_figures: list[FamilyFigures] = []
_handover_hooks: list[HandoverHook] = []


@dataclass(frozen=True)
class PriceListProvider:
    """How the clients app reads and sets a client's loyalty price list without importing deals."""

    # (id, label) of the lists a client may be given (active ones).
    choices: Callable[[], list[tuple[int, str]]]
    # client id → (price list id, label) for the given clients that have one.
    current: Callable[[list[int]], dict[int, tuple[int, str]]]
    # assign(by=, client=, price_list_id=, check_permission=) — None removes; raises BusinessError.
    assign: Callable[..., object]
    # may this person choose a client's price list?
    can_assign: Callable[[Any], bool]


_price_lists: list[PriceListProvider] = []


def register_price_lists(provider: PriceListProvider) -> PriceListProvider:
    _price_lists[:] = [provider]
    return provider


def price_lists() -> PriceListProvider | None:
    return _price_lists[0] if _price_lists else None


def register_family_figures(fn: FamilyFigures) -> FamilyFigures:
    if fn not in _family_figures:
        _family_figures.append(fn)
    return fn


def register_handover_hook(fn: HandoverHook) -> HandoverHook:
    if fn not in _handover_hooks:
        _handover_hooks.append(fn)
    return fn


def family_figure_providers() -> list[FamilyFigures]:
    return list(_family_figures)


def handover_hooks() -> list[HandoverHook]:
    return list(_handover_hooks)
