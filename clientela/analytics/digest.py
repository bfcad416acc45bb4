"""The weekly digest: a head's dashboard by e-mail on Monday morning, in their language.

* **Opt-in** (`digest_set`): a head turns it on or off on their profile page (or
  `PUT /api/v1/dashboard/digest`); the choice is a `DigestSubscription` row, audited. Nobody
  receives it without choosing it; turning it off stops it.
* **When**: the periodic sweep (`sweep_digests`, hourly) sends each subscribed head their digest
  once it is Monday `SEND_HOUR` o'clock or later in the head's own zone — any time that Monday.
* **Once per week**: the letter is sent inside `core.tasks.run_once` under the key
  "analytics.digest:<person>:<ISO year>-W<week>", so a second run of the sweep (or two workers)
  sends nothing again; a letter that fails to go out frees the key for the next run.
* **What**: the tiles of their dashboard (`analytics.dashboard.dashboard_for`, scoped as on their
  home page) as a table — value, the same days of the month before, the change — with a link to
  each tile's report; an HTML part and a plain-text part, written in the head's language
  (`core.language.in_language_of`) with numbers and dates in their formats and zone.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.analytics.dashboard import dashboard_for
from clientela.analytics.digest_models import DigestSubscription
from clientela.core.audit import audit_event
from clientela.core.errors import PermissionDeniedError
from clientela.core.language import in_language_of
from clientela.core.permissions import role_of
from clientela.core.roles import Role
from clientela.core.tasks import durable_task, run_once
from clientela.core.zones import zone_of
from clientela.users.models import User

log = logging.getLogger(__name__)

SEND_WEEKDAY = 0  # Monday
SEND_HOUR = 7  # from 07:00 in the head's zone
DIGEST_ROLES = frozenset({Role.HEAD})


def may_receive_digest(user: Any) -> bool:
    return role_of(user) in DIGEST_ROLES


def digest_enabled(user: Any) -> bool:
    return DigestSubscription.objects.filter(user_id=user.pk, weekly=True).exists()


@transaction.atomic
def digest_set(*, by: User, weekly: bool) -> DigestSubscription:
    """Turn `by`'s own weekly digest on or off (heads only)."""
    if not may_receive_digest(by):
        raise PermissionDeniedError(_("The weekly digest is for heads of sales."))
    subscription, created = DigestSubscription.objects.get_or_create(user=by, defaults={"weekly": weekly})
    if created or subscription.weekly != weekly:
        before = None if created else subscription.weekly
        subscription.weekly = weekly
        subscription.save(update_fields=["weekly", "updated_at"])
        audit_event(
            actor=by,
            instance=subscription,
            event="digest_on" if weekly else "digest_off",
            changes={"weekly": [before, weekly]},
        )
    return subscription


def week_key(user: Any, day: dt.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"analytics.digest:{user.pk}:{year}-W{week:02d}"


def is_due(local_now: dt.datetime) -> bool:
    return local_now.weekday() == SEND_WEEKDAY and local_now.hour >= SEND_HOUR


def absolute(url: str) -> str:
    return url if url.startswith("http") else f"{settings.SITE_URL}{url}"


def digest_message(user: Any, *, today: dt.date) -> EmailMultiAlternatives:
    """The letter for `user`: their dashboard on `today`, in their language and zone."""
    with in_language_of(user), timezone.override(zone_of(user)):
        dashboard = dashboard_for(user, today=today)
        context = {
            "person": user,
            "dashboard": dashboard,
            "tiles": [(result, absolute(result.url) if result.url else "") for result in dashboard.tiles],
            "home_url": absolute(reverse("core:home")),
            "reports_url": absolute(reverse("analytics:index")),
            "profile_url": absolute(reverse("users:profile")),
        }
        subject = _("Your week in Clientela: %(period)s") % {"period": dashboard.period.label()}
        text = render_to_string("analytics/dashboard/digest_email.txt", context)
        html = render_to_string("analytics/dashboard/digest_email.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    return message


def digest_recipients() -> Any:
    return (
        User.objects.filter(digest_subscription__weekly=True, is_active=True, role__in=list(DIGEST_ROLES))
        .exclude(email="")
        .select_related("team")
        .order_by("pk")
    )


def send_digests(now: dt.datetime | None = None) -> int:
    """Send the digest to every subscribed head for whom it is Monday morning and who has not
    had this week's yet. Returns how many letters went out."""
    now = now or timezone.now()
    sent = 0
    for user in digest_recipients():
        local_now = now.astimezone(zone_of(user))
        if not is_due(local_now):
            continue
        today = local_now.date()

        def send(user: Any = user, today: dt.date = today) -> None:
            digest_message(user, today=today).send()

        try:
            if run_once(week_key(user, today), send):
                sent += 1
        except Exception:  # one head's failed letter does not stop the others'; retried next run
            log.exception("Weekly digest for %s could not be sent", user.pk)
    return sent


@durable_task(queue_name="email")
def sweep_digests() -> int:
    """Periodic (hourly): the weekly digests that are due."""
    return send_digests()


def register() -> None:
    from clientela.core.periodic import PERIODIC_JOBS, Periodic

    PERIODIC_JOBS.register(Periodic(sweep_digests, dt.timedelta(hours=1)))
