"""What a deal's life tells the apps above deals, without deals importing them (`core.hooks`).

* `DEAL_WON` — a deal was won: `fn(*, by, deal)`, called inside the win's transaction (after the
  deal, its stage history and payments are written; every way a deal reaches a won stage from an
  open or lost one: the board, `deal_win`, the API). Retention plans the post-sale touches and
  the satisfaction survey from it.
* `OFFER_GUARD` — one provider: `fn(*, client, at) -> OfferGap | None` says whether a new offer
  (a proposal or a price list) to `client` at `at` comes sooner than the configured minimum after
  the previous one (`offer_guard.py` asks it before an offer is sent).

Register from your AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable

from clientela.core.hooks import Hook

DEAL_WON: Hook[Callable[..., object]] = Hook("deals.deal_won")
OFFER_GUARD: Hook[Callable[..., object]] = Hook("deals.offer_guard")
