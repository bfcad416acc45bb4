"""What a deal's life tells the apps above deals, without deals importing them (`core.hooks`).

* `DEAL_WON` — a deal was won: `fn(*, by, deal)`, called inside the win's transaction (after the
  deal, its stage history and payments are written). Retention plans the post-sale touches and
  the satisfaction survey from it.

Register from your AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable

from clientela.core.hooks import Hook

DEAL_WON: Hook[Callable[..., object]] = Hook("deals.deal_won")
