"""Client status — new / active / passive / lost — computed here and nowhere else.

SPEC §8: *new* (first deal within 90 days), *active*, *passive* (no purchase or contact within
180 days — still a well-informed potential client), *lost* (churned, with a reason).

What the product knows today, and so what the rules read:

* **lost** — the client was marked lost (`lost_at`, with a churn reason);
* **new** — the client became a client (conversion or creation: `created_at`) within
  `NEW_WITHIN_DAYS`. Conversion happens at the first contract, invoice or purchase, so this
  stands in for "first deal" until deals exist; the deals capability feeds its first-deal date
  in through `last_activity_at` and, later, here;
* **passive** — the last contact is older than `PASSIVE_AFTER_DAYS`. The last contact is the
  latest of: `last_activity_at` (activities and deals keep it current), a touch recorded on the
  client or one of its contacts (an enquiry that the intake pipeline matched to them), the last
  touch of a lead the client was converted from, and the day it became a client;
* **active** — everything else.

The retention capability will own these rules (configurable thresholds, purchase dates). It
changes this module only; every door calls `client_status` (one client) or `with_status`
(a queryset, for lists and filters), whose signatures stay as they are.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

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
from clientela.core.models import AuditEntry

NEW_WITHIN_DAYS = 90
PASSIVE_AFTER_DAYS = 180

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


def _last_lead_touch_subquery() -> Subquery:
    from clientela.leads.models import Lead

    leads = Lead.objects.filter(client=OuterRef("pk"), last_touch_at__isnull=False)
    return Subquery(
        leads.order_by("-last_touch_at").values("last_touch_at")[:1], output_field=DateTimeField()
    )


def with_status(queryset: Q_, *, now: dt.datetime | None = None) -> Q_:
    """Annotate `last_contact_at` and `status` (a ClientStatus value) on every client."""
    now = now or timezone.now()
    since = F("created_at")
    last_contact = Greatest(
        Coalesce("last_activity_at", since),
        Coalesce(_last_touch_subquery(), since),
        Coalesce(_last_lead_touch_subquery(), since),
        output_field=DateTimeField(),
    )
    status = CaseExpression(
        When(lost_at__isnull=False, then=Value(ClientStatus.LOST.value)),
        When(created_at__gte=now - dt.timedelta(days=NEW_WITHIN_DAYS), then=Value(ClientStatus.NEW.value)),
        When(
            last_contact_at__lt=now - dt.timedelta(days=PASSIVE_AFTER_DAYS),
            then=Value(ClientStatus.PASSIVE.value),
        ),
        default=Value(ClientStatus.ACTIVE.value),
        output_field=CharField(),
    )
    return queryset.annotate(last_contact_at=last_contact).annotate(status=status)  # type: ignore[return-value]


def client_status(client: Client, *, now: dt.datetime | None = None) -> str:
    """The status of one client (a ClientStatus value), by the same rules as `with_status`."""
    if getattr(client, "status", None) in ClientStatus.values and now is None:
        return str(client.status)  # type: ignore[attr-defined]
    annotated = with_status(Client.objects.filter(pk=client.pk), now=now)
    row = annotated.values_list("status", flat=True).first()  # type: ignore[misc]
    return str(row or ClientStatus.ACTIVE)


def last_contact_at(client: Client) -> dt.datetime | None:
    """When we last heard from or dealt with this client (see the module docstring)."""
    value = getattr(client, "last_contact_at", None)
    if value is not None:
        return value  # type: ignore[no-any-return]
    annotated = with_status(Client.objects.filter(pk=client.pk))
    return annotated.values_list("last_contact_at", flat=True).first()  # type: ignore[misc,no-any-return]
