"""Leak-rate alerts: when a team's leak rate of a month passes its threshold.

The rule (stated for the tests): a month's leak rate **above** the team's
`RetentionPolicy.leak_alert_percent` (default 10 %) fires; a rate **exactly at** the threshold
does not. The months looked at are the last complete one and the current one as it passes (the
current month fires as soon as its losses so far pass the threshold). A team's figure counts the
clients that were the team's at that moment (see `leak`), whoever looks.

Firing happens once per team and month (`LeakAlert` is unique per team + month, claimed with
`core.tasks.run_once` in the same transaction): an `LeakAlert` row, an audit entry, and a
notification to the team's heads and the admins, each in their own language; they see a red banner
on their home page until one of them acknowledges it. The check runs as a periodic sweep and after
a client is marked lost (`retention.hooks.CLIENT_LOST`, on commit).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.audit import audit_event
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.language import in_language_of
from clientela.core.notifications import notify
from clientela.core.permissions import role_of, visible_team_ids
from clientela.core.roles import Role
from clientela.core.tasks import durable_task, enqueue_on_commit, run_once
from clientela.retention import leak
from clientela.retention.leak_models import LeakAlert, LeakPeriod
from clientela.retention.models import RetentionPolicy
from clientela.users.models import Team, User

DEFAULT_THRESHOLD = Decimal("10")
VERB = "leak_alert"


def threshold_of(team: Team) -> Decimal:
    policy = RetentionPolicy.objects.filter(team=team).first()
    return policy.leak_alert_percent if policy is not None else DEFAULT_THRESHOLD


def passes(rate: Decimal | None, threshold: Decimal) -> bool:
    """Above the threshold fires; exactly at it does not."""
    return rate is not None and rate > threshold


def _team_zone(team: Team) -> Any:
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(team.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def months_to_check(team: Team, now: dt.datetime) -> list[leak.Period]:
    """The last complete month and the current one, in the team's time zone."""
    zone = _team_zone(team)
    today = now.astimezone(zone).date()
    return leak.periods(LeakPeriod.MONTH, zone=zone, today=today, count=2)


def recipients(team: Team) -> list[User]:
    """The team's heads (its head and the heads in it) and the admins."""
    people = User.objects.filter(is_active=True).filter(
        Q(role=Role.ADMIN) | Q(is_superuser=True) | Q(role=Role.HEAD, team=team) | Q(pk=team.head_id or 0)
    )
    return list(people.order_by("id"))


def percent(value: Decimal) -> str:
    """A percentage as the reader writes numbers (decimal mark of the active language)."""
    return number_format(value, 2, use_l10n=True)


def _alert_text(alert: LeakAlert, period: leak.Period) -> str:
    return _(
        "Leak rate of %(team)s in %(period)s is %(rate)s %% "
        "(%(lost)s of %(active)s clients), above %(threshold)s %%."
    ) % {
        "team": alert.team.name,
        "period": period.label,
        "rate": percent(alert.rate),
        "lost": alert.lost,
        "active": alert.active_at_start,
        "threshold": percent(alert.threshold),
    }


def team_leak_check(*, team: Team, now: dt.datetime | None = None) -> list[LeakAlert]:
    """Fire the team's alerts that are due (at most one per month, ever). Returns those fired now."""
    now = now or timezone.now()
    threshold = threshold_of(team)
    spans = months_to_check(team, now)
    counts = leak.leak_counts(leak.SYSTEM, spans, leak.LeakFilters(team=team.pk)).get(
        "", [(0, 0)] * len(spans)
    )
    fired: list[LeakAlert] = []
    for span, (active, lost) in zip(spans, counts, strict=True):
        value = leak.rate(lost, active)
        if not passes(value, threshold):
            continue
        assert value is not None

        def fire(
            span: leak.Period = span, active: int = active, lost: int = lost, value: Decimal = value
        ) -> None:
            alert = LeakAlert.objects.create(
                team=team,
                period_start=span.first,
                period_end=span.last,
                active_at_start=active,
                lost=lost,
                rate=value,
                threshold=threshold,
                fired_at=now,
            )
            audit_event(
                actor=None,
                instance=alert,
                event="leak_alert",
                changes={
                    "team": team.pk,
                    "period": span.first.isoformat(),
                    "rate": value,
                    "threshold": threshold,
                },
            )
            url = reverse("retention:dashboard") + f"?team={team.pk}"
            for person in recipients(team):
                with in_language_of(person):
                    text = _alert_text(alert, span)
                notify(user=person, verb=VERB, text=text, url=url)
            fired.append(alert)

        if LeakAlert.objects.filter(team=team, period_start=span.first).exists():
            continue
        run_once(f"retention:leak-alert:{team.pk}:{span.first.isoformat()}", fire)
    return fired


def leak_alerts_sweep(*, now: dt.datetime | None = None) -> int:
    """Every active team's check; returns how many alerts fired."""
    return sum(len(team_leak_check(team=team, now=now)) for team in Team.objects.filter(is_active=True))


@durable_task()
def sweep_leak_alerts() -> int:
    """Periodic sweep: fire the leak-rate alerts that are due."""
    return leak_alerts_sweep()


@durable_task()
def check_team_leak(team_id: int) -> int:
    """After a loss: the team's alert, if the loss made its rate pass the threshold."""
    team = Team.objects.filter(pk=team_id).first()
    return len(team_leak_check(team=team)) if team is not None else 0


def on_client_lost(
    *, by: Any = None, client: Any, change: Any = None, options: Any = None, **_rest: Any
) -> None:
    """`CLIENT_LOST`: check the team of the moment once the decision is committed."""
    team_id = getattr(change, "team_id", None) or getattr(client, "team_id", None)
    if team_id:
        enqueue_on_commit(check_team_leak, team_id)


# --- Who sees them, acknowledging ----------------------------------------------------------------


def alerts_visible_to(user: Any) -> QuerySet[LeakAlert]:
    """Heads: their teams' alerts; admins: all; managers and marketers: none."""
    role = role_of(user)
    if role == Role.ADMIN:
        return LeakAlert.objects.all()
    if role == Role.HEAD:
        return LeakAlert.objects.filter(team_id__in=visible_team_ids(user) or set())
    return LeakAlert.objects.none()


def open_alerts_for(user: Any) -> QuerySet[LeakAlert]:
    return alerts_visible_to(user).filter(acknowledged_at__isnull=True).select_related("team")


@transaction.atomic
def leak_alert_acknowledge(*, by: User, alert: LeakAlert) -> LeakAlert:
    """A head of the team or an admin has seen it: the banner goes away for everyone."""
    if not alerts_visible_to(by).filter(pk=alert.pk).exists():
        raise PermissionDeniedError(_("You cannot acknowledge this alert."))
    alert = LeakAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged_at is not None:
        raise BusinessError(_("This alert was already acknowledged."), status=409)
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = by
    alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    audit_event(actor=by, instance=alert, event="leak_alert_acknowledged")
    return alert


def period_label(alert: LeakAlert) -> str:
    return leak.Period(LeakPeriod.MONTH, alert.period_start, alert.period_end, dt.UTC).label


def home_banners(request: Any) -> list[dict[str, Any]]:
    """`core.banners.HOME_BANNERS`: a red banner per open alert the viewer may acknowledge."""
    banners = []
    for alert in open_alerts_for(request.user)[:5]:
        banners.append(
            {
                "level": "danger",
                "text": _("Leak rate of %(team)s in %(period)s: %(rate)s %% (threshold %(threshold)s %%).")
                % {
                    "team": alert.team.name,
                    "period": period_label(alert),
                    "rate": percent(alert.rate),
                    "threshold": percent(alert.threshold),
                },
                "url": reverse("retention:dashboard") + f"?team={alert.team_id}",
                "link_label": _("Open the retention dashboard"),
                "action_url": reverse("retention:alert_acknowledge", args=[alert.pk]),
                "action_label": _("Acknowledge"),
            }
        )
    return banners


def register() -> None:
    """What the leak part does for the others (called once from `RetentionConfig.ready()`)."""
    from clientela.clients.hooks import status_history
    from clientela.core.banners import HOME_BANNERS
    from clientela.core.notifications import NOTIFICATION_EVENTS
    from clientela.core.periodic import PERIODIC_JOBS, Periodic
    from clientela.retention import dashboard
    from clientela.retention.hooks import CLIENT_LOST, DASHBOARD_TILES

    status_history.provide(leak.history_condition)
    HOME_BANNERS.register(home_banners)
    CLIENT_LOST.register(on_client_lost)
    PERIODIC_JOBS.register(Periodic(sweep_leak_alerts, dt.timedelta(hours=1)))
    for tile in dashboard.TILES:
        DASHBOARD_TILES.register(tile)
    NOTIFICATION_EVENTS.setdefault(VERB, gettext_lazy("A team's leak rate passes its alert threshold"))
