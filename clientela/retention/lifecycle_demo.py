"""Demo status history: the history of every demo client (backfilled by the sweep), some clients
lost over the past year with reasons — staff attitude among them, by different managers —, one
won back, and the ones that went passive by the passing of time. Runs after every other loader,
so the retention dashboard has something to show on `./run`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from clientela.clients.models import Client
from clientela.core.zones import local_date
from clientela.retention import lifecycle
from clientela.retention.choices import ChangeKind
from clientela.retention.models import ClientStatusChange

# (days ago, reason, note) — spread over the year so the leak rate has a trend.
LOSSES = [
    (300, "competition", "Went with a cheaper offer."),
    (230, "attitude", "Waited two weeks for an answer on a complaint."),
    (170, "quality", "Two late deliveries in a row."),
    (110, "attitude", "The new manager never called."),
    (60, "parallel_supplier", "Buys the same range from a second supplier now."),
    (25, "no_reason", ""),
]


QUIET_DAYS = [200, 240, 300]  # clients nobody has talked to since: passive by the passing of time


def load(context: dict[str, Any]) -> None:
    now = timezone.now()
    # Some old clients went quiet (the later loaders' activities made every client recent).
    quiet = list(
        Client.objects.filter(lost_at__isnull=True, created_at__lte=now - dt.timedelta(days=400))
        .order_by("-pk")
        .values_list("pk", flat=True)[: len(QUIET_DAYS)]
    )
    for pk, days in zip(quiet, QUIET_DAYS, strict=False):
        Client.objects.filter(pk=pk).update(
            last_activity_at=now - dt.timedelta(days=days), last_contact_at=now - dt.timedelta(days=days)
        )
    lifecycle.sync_history(now=now)
    # The loss the clients' demo made outside the decision: who decided is its manager.
    for change in ClientStatusChange.objects.filter(kind=ChangeKind.DECISION, by__isnull=True).select_related(
        "client"
    ):
        change.by_id = change.client.owner_id
        change.save(update_fields=["by"])
    candidates = [
        client
        for client in Client.objects.filter(lost_at__isnull=True, owner__isnull=False, is_archived=False)
        .exclude(pk__in=quiet)
        .select_related("owner")
        .order_by("pk")
        if client.created_at <= now - dt.timedelta(days=320)
    ]
    # Different managers: take the candidates round the owners.
    by_owner: dict[int, list[Client]] = {}
    for client in candidates:
        by_owner.setdefault(client.owner_id or 0, []).append(client)
    picked: list[Client] = []
    while len(picked) < len(LOSSES) and any(by_owner.values()):
        for clients in by_owner.values():
            if clients and len(picked) < len(LOSSES):
                picked.append(clients.pop(0))
    lost: list[Client] = []
    for client, (days, reason, note) in zip(picked, LOSSES, strict=False):
        owner = client.owner
        lifecycle.client_lose(
            by=owner,
            client=client,
            reason=reason,
            lost_on=local_date(owner, now - dt.timedelta(days=days)),
            note=note,
        )
        lost.append(client)
    if lost:
        back = lost[0]
        back.refresh_from_db()
        lifecycle.client_win_back(by=back.owner, client=back, note="Came back after our new delivery terms.")
    context["lost_clients"] = lost
