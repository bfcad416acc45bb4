"""Banners on the home page (the work list): a higher app registers a function on `HOME_BANNERS`
(`fn(request) -> list[dict]`) from its `AppConfig.ready()`; each dict is one banner:
`level` (a Bootstrap alert colour: "danger", "warning" …), `text`, optional `url` and `link_label`
(a link to more), and optional `action_url` and `action_label` (a button that POSTs there, e.g.
"Acknowledge")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clientela.core.hooks import Hook

HOME_BANNERS: Hook[Callable[[Any], list[dict[str, Any]]]] = Hook("core.home_banners")


def banners_for(request: Any) -> list[dict[str, Any]]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return [banner for source in HOME_BANNERS for banner in source(request)]
