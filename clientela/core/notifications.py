"""In-app notifications, each person's choices about them, and the e-mail digest.

Services call `notify(user=, verb=, text=, url=)` inside their transaction; that stays the one
call. `verb` names the event (`lead_assigned`, `clock_breached` …) and is what a person switches
off on their preferences page:

* an event switched off **in the app** is not shown (bell, list, API) — but when the person
  takes the e-mail digest and keeps the event in it, it is still stored (hidden) for the digest;
* the **digest** (off / hourly / daily) e-mails the unread notifications since the last digest,
  in the person's language, once per period (`digest_send_for`, run by a periodic job).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from clientela.core.audit import audit_event
from clientela.core.errors import BusinessError
from clientela.core.models import DigestFrequency, Notification, NotificationPreference, NotificationSettings
from clientela.core.tasks import run_once
from clientela.core.zones import format_moment, zone_of

# The events people can choose about. Events not listed here (a new app's) still notify and
# appear on the preferences page once the person has received one.
NOTIFICATION_EVENTS: dict[str, Any] = {
    "lead_assigned": gettext_lazy("A lead is assigned to me"),
    "lead_reassigned": gettext_lazy("A lead of mine goes to someone else"),
    "lead_unassigned": gettext_lazy("A lead waits for an owner in my team"),
    "lead_touch": gettext_lazy("A known lead gets in touch again"),
    "lead_returned": gettext_lazy("A postponed lead returns to me"),
    "leads_imported": gettext_lazy("Leads imported for me"),
    "leads_unassigned": gettext_lazy("Imported leads wait for an owner"),
    "import_done": gettext_lazy("My import has finished"),
    "client_assigned": gettext_lazy("A client is assigned to me"),
    "client_touch": gettext_lazy("A client or contact gets in touch"),
    "clients_handed_over": gettext_lazy("Clients are handed over"),
    "deal_assigned": gettext_lazy("A deal is assigned to me"),
    "deal_reassigned": gettext_lazy("A deal of mine goes to someone else"),
    "deal_stage": gettext_lazy("A deal moves to another stage"),
    "payment_overdue": gettext_lazy("A payment is overdue"),
    "clock_breached": gettext_lazy("A response is overdue"),
    "clock_escalated": gettext_lazy("An overdue response is escalated to me"),
    "clock_assigned": gettext_lazy("A waiting client message is assigned to me"),
    "task_assigned": gettext_lazy("A task is assigned to me"),
    "task_reminder": gettext_lazy("A task reminder"),
    "keep_alive": gettext_lazy("A waiting client has not heard from us"),
    "message_received": gettext_lazy("A client writes to me"),
    "message_failed": gettext_lazy("An e-mail could not be sent"),
}
# A daily digest goes out at the first run after this local hour.
DAILY_DIGEST_HOUR = 8
MAX_DIGEST_ITEMS = 200


def notify(*, user: Any, verb: str, text: str, url: str = "") -> Notification | None:
    """Tell `user` something happened, as their preferences for `verb` allow.

    Does nothing for no user or an inactive one, nor for an event the person switched off both
    in the app and in the digest. Returns the stored notification (hidden from the app when it is
    kept only for the digest) or None.
    """
    if user is None or not getattr(user, "is_active", False):
        return None
    preference = NotificationPreference.objects.filter(user=user, verb=verb).first()
    in_app = preference.in_app if preference is not None else True
    if not in_app:
        in_digest = preference.in_digest if preference is not None else True
        if not in_digest or digest_frequency(user) == DigestFrequency.OFF:
            return None
    return Notification.objects.create(user=user, verb=verb, text=str(text)[:300], url=url, in_app=in_app)


def _shown(user: Any):  # type: ignore[no-untyped-def]
    return Notification.objects.filter(user=user, in_app=True)


def unread_count(user: Any) -> int:
    return _shown(user).filter(read_at__isnull=True).count()


def recent_for(user: Any, limit: int = 50) -> list[Notification]:
    return list(_shown(user).order_by("-at", "-id")[:limit])


def notifications_for(user: Any, *, unread_only: bool = False):  # type: ignore[no-untyped-def]
    """The notifications a person sees, newest first (for lists and the API)."""
    items = _shown(user)
    if unread_only:
        items = items.filter(read_at__isnull=True)
    return items.order_by("-at", "-id")


def mark_all_read(user: Any) -> int:
    return _shown(user).filter(read_at__isnull=True).update(read_at=timezone.now())


def mark_read(user: Any, ids: Iterable[int]) -> int:
    """Mark some of the person's own notifications read; others' ids are ignored. Returns how many."""
    return _shown(user).filter(pk__in=list(ids), read_at__isnull=True).update(read_at=timezone.now())


# --- Preferences -------------------------------------------------------------------------


def digest_frequency(user: Any) -> str:
    row = NotificationSettings.objects.filter(user=user).only("digest").first()
    return row.digest if row is not None else DigestFrequency.OFF


@dataclass(frozen=True)
class EventPreference:
    verb: str
    label: str
    in_app: bool
    in_digest: bool


def event_label(verb: str) -> str:
    return str(NOTIFICATION_EVENTS.get(verb, verb.replace("_", " ").capitalize()))


def preferences_for(user: Any) -> tuple[str, list[EventPreference]]:
    """The person's digest frequency and, per event, whether it shows in the app and in the digest."""
    saved = {row.verb: row for row in NotificationPreference.objects.filter(user=user)}
    seen = set(Notification.objects.filter(user=user).values_list("verb", flat=True).distinct())
    verbs = list(NOTIFICATION_EVENTS) + sorted((seen | set(saved)) - set(NOTIFICATION_EVENTS))
    rows = []
    for verb in verbs:
        row = saved.get(verb)
        rows.append(
            EventPreference(
                verb=verb,
                label=event_label(verb),
                in_app=row.in_app if row else True,
                in_digest=row.in_digest if row else True,
            )
        )
    return digest_frequency(user), rows


@transaction.atomic
def notification_preferences_update(
    *, user: Any, digest: str | None = None, events: Mapping[str, Mapping[str, bool]] | None = None
) -> None:
    """Change the person's own digest frequency and per-event choices.

    `events` maps a verb to `{"in_app": bool, "in_digest": bool}` (either key may be left out).
    """
    errors: dict[str, list[str]] = {}
    if digest is not None and digest not in DigestFrequency.values:
        errors["digest"] = [_("Choose one of: %s.") % ", ".join(DigestFrequency.values)]
    for verb, choice in (events or {}).items():
        if not verb or len(verb) > 40 or not verb.replace("_", "").isalnum():
            errors.setdefault("events", []).append(_("Unknown event: %(verb)s.") % {"verb": verb[:60]})
        elif set(choice) - {"in_app", "in_digest"}:
            errors.setdefault("events", []).append(
                _("For %(verb)s give in_app and/or in_digest.") % {"verb": verb}
            )
    if errors:
        raise BusinessError(_("Check your notification settings."), errors=errors)
    changes: dict[str, Any] = {}
    if digest is not None:
        row, _created = NotificationSettings.objects.get_or_create(user=user)
        if row.digest != digest:
            changes["digest"] = [row.digest, digest]
            row.digest = digest
            row.save(update_fields=["digest"])
    for verb, choice in (events or {}).items():
        current = NotificationPreference.objects.filter(user=user, verb=verb).first()
        in_app = bool(choice.get("in_app", current.in_app if current else True))
        in_digest = bool(choice.get("in_digest", current.in_digest if current else True))
        if current is None and in_app and in_digest:
            continue
        if current is not None and (current.in_app, current.in_digest) == (in_app, in_digest):
            continue
        NotificationPreference.objects.update_or_create(
            user=user, verb=verb, defaults={"in_app": in_app, "in_digest": in_digest}
        )
        changes[verb] = {"in_app": in_app, "in_digest": in_digest}
    if changes:
        audit_event(actor=user, instance=user, event="notification_preferences", changes=changes)


# --- Digest ------------------------------------------------------------------------------


def digest_period(user: Any, frequency: str, now: dt.datetime) -> str | None:
    """The period a digest sent now belongs to ("2025-03-03T14" hourly, "2025-03-03" daily),
    or None when a daily digest is not due yet (before the morning hour, local time)."""
    if frequency == DigestFrequency.HOURLY:
        return now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H")
    if frequency == DigestFrequency.DAILY:
        local = now.astimezone(zone_of(user))
        return local.date().isoformat() if local.hour >= DAILY_DIGEST_HOUR else None
    return None


def _digest_items(user: Any) -> list[Notification]:
    excluded = NotificationPreference.objects.filter(user=user, in_digest=False).values_list(
        "verb", flat=True
    )
    return list(
        Notification.objects.filter(user=user, read_at__isnull=True, digested_at__isnull=True)
        .exclude(verb__in=excluded)
        .order_by("at", "id")[:MAX_DIGEST_ITEMS]
    )


def _absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL + url


def digest_send_for(*, user: Any, now: dt.datetime | None = None) -> bool:
    """E-mail `user` their unread notifications since the last digest, once per period.

    Idempotent: the period is claimed (`run_once`) in the same transaction that marks the items
    sent, so a repeated run in the same period sends nothing. Returns whether an e-mail went out.
    """

    now = now or timezone.now()
    row = NotificationSettings.objects.filter(user=user).first()
    if row is None or not user.is_active or not user.email:
        return False
    period = digest_period(user, row.digest, now)
    if period is None:
        return False
    sent = False

    def send() -> None:
        nonlocal sent
        items = _digest_items(user)
        if not items:
            # Nothing to say: release the claim so later items of this period still go out.
            raise _NothingToSend
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = ngettext(
                "Clientela: %(count)d new notification",
                "Clientela: %(count)d new notifications",
                len(items),
            ) % {"count": len(items)}
            lines = [_("Hello %(name)s,") % {"name": user.first_name or user.username}, ""]
            lines.append(_("Here is what happened since your last digest:"))
            lines.append("")
            for item in items:
                moment = format_moment(item.at, user)
                lines.append(f"• {moment}  {item.text}")
                if item.url:
                    lines.append(f"  {_absolute(item.url)}")
            lines += [
                "",
                _("Change what you receive: %(url)s") % {"url": _absolute("/notifications/preferences/")},
            ]
        EmailMultiAlternatives(
            subject, "\n".join(lines) + "\n", settings.DEFAULT_FROM_EMAIL, [user.email]
        ).send()
        Notification.objects.filter(pk__in=[item.pk for item in items]).update(digested_at=now)
        NotificationSettings.objects.filter(pk=row.pk).update(last_digest_at=now)
        sent = True

    try:
        run_once(f"digest:{user.pk}:{row.digest}:{period}", send)
    except _NothingToSend:
        return False
    return sent


class _NothingToSend(Exception):
    pass


def digests_send(*, now: dt.datetime | None = None) -> int:
    """Send every due digest (the periodic job). Returns how many e-mails went out."""
    now = now or timezone.now()
    rows = (
        NotificationSettings.objects.exclude(digest=DigestFrequency.OFF)
        .filter(user__is_active=True)
        .select_related("user__team")
    )
    return sum(1 for row in rows if digest_send_for(user=row.user, now=now))
