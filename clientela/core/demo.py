"""The demo data set: each app that has demo data registers its loader on `DEMO_LOADERS` (a
`core.hooks.Hook`) from its `AppConfig.ready()`, with its step in the order below.

A loader is `load(context: dict) -> None`; `context` carries what earlier loaders made (teams,
users …) so later ones can use it. Steps: users 10, leads (intake) 20, clients 30, deals 40,
activities 50, mail 60 (leads come before clients: the demo's returning enquiries find the
clients that the clients step makes from them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from clientela.core.hooks import Hook


@dataclass(frozen=True)
class DemoLoader:
    step: int
    load: Callable[[dict[str, Any]], None]


DEMO_LOADERS: Hook[Any] = Hook("core.demo_loaders")

DEMO_PASSWORD = "clientela-demo"  # noqa: S105 (published demo login)


@transaction.atomic
def load_demo() -> dict[str, Any]:
    context: dict[str, Any] = {"password": DEMO_PASSWORD}
    for loader in sorted(DEMO_LOADERS, key=lambda loader: loader.step):
        loader.load(context)
    return context
