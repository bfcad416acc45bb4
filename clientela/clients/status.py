"""Client status — new / active / passive / lost — computed here and nowhere else.

SPEC §8: *new* (first deal within 90 days), *active*, *passive* (no purchase or contact within
180 days — still a well-informed potential client), *lost* (churned, with a reason).

What the product knows today, and so what the rules read:

* **lost** — the client was marked lost (`lost_at`, with a churn reason);
* **new** — the client became a client (conversion or creation: `created_at`) within
  the *new* limit (`status_limits()`: a setting, default 90 days). Conversion happens at the
  first contract, invoice or purchase, so this stands in for "first deal" until deals exist;
  the deals capability feeds its first-deal date in through `last_activity_at` and, later, here;
* **passive** — the last contact (or purchase) is older than the *passive* limit (a setting,
  default 180 days). The last contact is the
  latest of: `last_activity_at` (activities and deals keep it current), a touch recorded on the
  client or one of its contacts (an enquiry that the intake pipeline matched to them), the last
  touch of a lead the client was converted from, and the day it became a client;
* **active** — everything else.

The limits are settings owned by the retention capability (`STATUS_LIMITS`, provided from its
`RetentionSettings`); every door calls `client_status` (one client) or `with_status` (a queryset,
for lists and filters). Retention also keeps each client's status history (every transition with
its moment); this module stays the rule for *now*.

**Stored, not computed per list row.** The last contact is kept on the client
(`Client.last_contact_at`) by the doors that change it — `clients.services.derived.client_record_activity`
(activities, deals, e-mail), `clients.services.derived.clients_touched` (touches the intake pipeline
and the importer record on a client, its contacts or a converted lead) and
`refresh_last_contact` (a full recomputation by the rule above, for contact moves and
repairs) — so `with_status` and the status filters compare stored dates with *now*. The
time-based steps (new → active after the new limit, active → passive after the passive
limit) fall out of that comparison: no nightly job is needed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case as CaseExpression
from django.db.models import (
    CharField,
    DateTimeField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest
from django.utils import timezone

from clientela.clients.choices import ClientStatus
from clientela.clients.models import Client, Contact
from clientela.core.hooks import Hook
from clientela.core.models import AuditEntry

NEW_WITHIN_DAYS = 90  # the defaults, when no app provides the limits (`STATUS_LIMITS`)
PASSIVE_AFTER_DAYS = 180
REFRESH_BATCH = 5000  # ids per UPDATE (SQLite's parameter limit; one statement up to that)

Q_ = TypeVar("Q_", bound=QuerySet[Client])


def _last_touch_subquery() -> Subquery:
    """The latest touch recorded on the client or on one of its contacts (audit event "touch")."""
    client_type = ContentType.objects.get_for_model(Client)
    contact_type = ContentType.objects.get_for_model(Contact)
    contact_ids = (
        Contact.objects.filter(client=OuterRef(OuterRef("pk")))
        .annotate(key=Cast("pk", output_field=CharField()))
        .values("key")
    )
    touches = AuditEntry.objects.filter(event="touch").filter(
        Q(content_type=client_type, object_id=Cast(OuterRef("pk"), output_field=CharField()))
        | Q(content_type=contact_type, object_id__in=contact_ids)
    )
    return Subquery(touches.order_by("-at").values("at")[:1], output_field=DateTimeField())


# More moments that count as contact with a client, owned by higher apps: each provider returns a
# Subquery of one datetime over the client row (`OuterRef("pk")`) — the leads app: the last touch
# of the leads the client came from.
LAST_CONTACT_SOURCES: Hook[Callable[[], Subquery]] = Hook("clients.last_contact_sources")


def last_contact_expression() -> Greatest:
    """The rule, as SQL over a client row: the latest of its creation, `last_activity_at`, the
    touches on it and its contacts, and what higher apps add (`LAST_CONTACT_SOURCES`: the source
    leads' last touch)."""
    since = F("created_at")
    return Greatest(
        Coalesce("last_activity_at", since),
        Coalesce(_last_touch_subquery(), since),
        *(Coalesce(source(), since) for source in LAST_CONTACT_SOURCES),
        output_field=DateTimeField(),
    )


def refresh_last_contact(client_ids: Iterable[int] | None = None) -> int:
    """Recompute the stored last contact of these clients (all when None) by the rule, set-based
    (one UPDATE per `REFRESH_BATCH` ids). Returns how many rows were written."""
    if client_ids is None:
        return Client.objects.update(last_contact_at=last_contact_expression())
    ids = sorted({int(pk) for pk in client_ids})
    written = 0
    for start in range(0, len(ids), REFRESH_BATCH):
        batch = ids[start : start + REFRESH_BATCH]
        written += Client.objects.filter(pk__in=batch).update(last_contact_at=last_contact_expression())
    return written


# The limits are settings (retention's company-wide `RetentionSettings`): its provider returns
# `(new_days, passive_days)`, kept by the provider (read once, forgotten when the settings are saved).
STATUS_LIMITS: Hook[Callable[[], tuple[int, int]]] = Hook("clients.status_limits")


def status_limits() -> tuple[int, int]:
    """`(new_days, passive_days)`: how long a client is new, and how long without purchase and
    contact makes it passive (the provider's settings; 90/180 when nothing provides them)."""
    provider = STATUS_LIMITS.one()
    if provider is None:
        return NEW_WITHIN_DAYS, PASSIVE_AFTER_DAYS
    return provider()


def _bounds(now: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    now = now or timezone.now()
    new_days, passive_days = status_limits()
    return now - dt.timedelta(days=new_days), now - dt.timedelta(days=passive_days)


def status_of(*, lost_at: Any, created_at: Any, last_contact_at: Any, now: dt.datetime | None = None) -> str:
    """The rule on one client's stored dates (the same as `with_status` in SQL)."""
    new_since, passive_before = _bounds(now)
    if lost_at is not None:
        return ClientStatus.LOST.value
    if created_at is not None and created_at >= new_since:
        return ClientStatus.NEW.value
    last = last_contact_at or created_at
    if last is not None and last < passive_before:
        return ClientStatus.PASSIVE.value
    return ClientStatus.ACTIVE.value


def status_condition(status: str, *, now: dt.datetime | None = None) -> Q:
    """Clients with this status, as a condition on stored columns (for filters; indexed by
    `client_last_contact_idx`)."""
    new_since, passive_before = _bounds(now)
    if status == ClientStatus.LOST:
        return Q(lost_at__isnull=False)
    if status == ClientStatus.NEW:
        return Q(lost_at__isnull=True, created_at__gte=new_since)
    old = Q(lost_at__isnull=True, created_at__lt=new_since)
    if status == ClientStatus.PASSIVE:
        return old & Q(last_contact_at__lt=passive_before)
    if status == ClientStatus.ACTIVE:
        return old & Q(last_contact_at__gte=passive_before)
    return Q()


def with_status(queryset: Q_, *, now: dt.datetime | None = None) -> Q_:
    """Annotate `status` (a ClientStatus value) on every client, from the stored dates."""
    new_since, passive_before = _bounds(now)
    status = CaseExpression(
        When(lost_at__isnull=False, then=Value(ClientStatus.LOST.value)),
        When(created_at__gte=new_since, then=Value(ClientStatus.NEW.value)),
        When(last_contact_at__lt=passive_before, then=Value(ClientStatus.PASSIVE.value)),
        default=Value(ClientStatus.ACTIVE.value),
        output_field=CharField(),
    )
    return queryset.annotate(status=status)  # type: ignore[return-value]


def client_status(client: Client, *, now: dt.datetime | None = None) -> str:
    """The status of one client (a ClientStatus value), by the same rules as `with_status`."""
    if getattr(client, "status", None) in ClientStatus.values and now is None:
        return str(client.status)  # type: ignore[attr-defined]
    row = Client.objects.filter(pk=client.pk).values("lost_at", "created_at", "last_contact_at").first()
    if row is None:
        return ClientStatus.ACTIVE.value
    return status_of(**row, now=now)


def last_contact_at(client: Client) -> dt.datetime | None:
    """When we last heard from or dealt with this client (see the module docstring)."""
    if client.last_contact_at is not None:
        return client.last_contact_at
    return Client.objects.filter(pk=client.pk).values_list("last_contact_at", flat=True).first()
