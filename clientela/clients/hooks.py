"""Extension points other capabilities plug into, so this app never imports them (`core.hooks`).

* **Card sections** — `card_sections.register("deals/_client_deals.html")`: a template rendered
  on the client card and on the handover summary, with `client`, `family_ids` (the HQ and its
  branches) and `viewer` in its context.
* **Family figures** — the HQ card shows combined figures of the company and its branches;
  `family_figures.register(fn)` adds more (the deals capability: open deals, won revenue).
  `fn(client_ids: list[int], viewer) -> list[tuple[label, value]]`.
* **Handover** — when clients change personal manager, their other records (open deals,
  e-mail threads, tasks) follow: `client_handed_over.register(fn)`, called inside the
  handover's transaction with `by`, `handover`, `client_ids`, `from_user_ids` and `to_user`.
* **Loyalty price list** — the client's price list lives with the price lists (deals:
  `ClientPriceList`, one source of truth); `price_lists.provide(PriceListProvider(...))` lets the
  client form, card, API and export show and change it. Without a provider the field is absent.
* **Deletion guard** — `clients.services.client.client_can_delete` refuses while any record of any
  app points at the client (deals included, through their foreign key); nothing to register.

* **Status history** — the client list's "from the retention figures" filter (lost between two
  days, active on a day, with the owner or team of that moment, reason and segment) is answered
  by the app that keeps the status history: `status_history.provide(fn)`,
  `fn(values: dict[str, Any]) -> Q` over clients. Without a provider the filter matches nothing.

Register from your AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clientela.core.hooks import Hook

FamilyFigures = Callable[[list[int], Any], list[tuple[Any, Any]]]
HandoverHook = Callable[..., object]  # the result is ignored


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


# Template names rendered as sections of the client card, in registration order.
card_sections: Hook[Any] = Hook("clients.card_sections")
family_figures: Hook[FamilyFigures] = Hook("clients.family_figures")
client_handed_over: Hook[HandoverHook] = Hook("clients.client_handed_over")
price_lists: Hook[Any] = Hook("clients.price_lists")
status_history: Hook[Callable[[dict[str, Any]], Any]] = Hook("clients.status_history")
