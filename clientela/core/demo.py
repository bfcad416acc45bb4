"""The demo data set: each app that has demo data lists its loader here, in dependency order.

A loader is a module with `load(context: dict) -> None`; `context` carries what earlier loaders
made (teams, users …) so later ones can use it.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.db import transaction

DEMO_LOADERS = [
    "clientela.users.demo",
    "clientela.leads.demo",
    "clientela.clients.demo",
    "clientela.deals.demo",
    "clientela.activities.demo",
    "clientela.mail.demo",
]

DEMO_PASSWORD = "clientela-demo"  # noqa: S105 (published demo login)


@transaction.atomic
def load_demo() -> dict[str, Any]:
    context: dict[str, Any] = {"password": DEMO_PASSWORD}
    for path in DEMO_LOADERS:
        import_module(path).load(context)
    return context
