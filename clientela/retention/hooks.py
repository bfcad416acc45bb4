"""How the parts of retention tell each other what happened, without knowing each other.

* `CLIENT_LOST` — a client was marked lost: `fn(*, by, client, change, options)` inside the
  decision's transaction (`change` is the `ClientStatusChange`; `options` the lost form's extra
  choices, e.g. whether to send the exit questionnaire and to whom).
* `CLIENT_WON_BACK` — a lost client is a client again: `fn(*, by, client, change)`.
* `DASHBOARD_TILES` — the retention dashboard's tiles: a `Tile` gives the figures
  (`core.figures.Figure`: chart + table + exports) it shows for a request (the viewer is
  `request.user`; the page's filters are in `request.GET`), already scoped to what the viewer sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clientela.core.hooks import Hook

CLIENT_LOST: Hook[Callable[..., object]] = Hook("retention.client_lost")
CLIENT_WON_BACK: Hook[Callable[..., object]] = Hook("retention.client_won_back")


@dataclass(frozen=True)
class Tile:
    """One tile of the retention dashboard: `figures(request)` returns its `core.figures.Figure`s
    (none when the viewer may not see it); `position` orders the tiles (lower first)."""

    key: str
    position: int
    figures: Callable[[Any], list[Any]]


DASHBOARD_TILES: Hook[Any] = Hook("retention.dashboard_tiles")
