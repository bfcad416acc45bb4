"""A client's lifecycle with its history (SPEC §8): new → active → passive → lost → won back.

* **The limits are settings** — `RetentionSettings` (company-wide, row 1: `new_days`,
  `passive_days`) is what `clients.status` reads through its `STATUS_LIMITS` hook. The values are
  kept in the process for `LIMITS_TTL` seconds and forgotten at once when they are saved here
  (another process sees a change within that time).
* **Every transition is recorded** in `ClientStatusChange` with the moment it *happened*:
  decisions (lost, won back) by `client_lose` / `client_win_back` at once, with who decided;
  the transitions that happen by the passing of time or by a contact are recorded by
  `sync_history` (the hourly sweep and `clientela retention sync-history`), which compares each
  client's status now with its last recorded one and inserts the missing steps with their exact
  moments: *new → active* at `created_at + new_days`, *active → passive* at
  `last_contact_at + passive_days`, *passive → active* at the contact that ended it. It also
  backfills clients without history (first row: "" → new at `created_at`, "became a client").
* **Past history is never rewritten**: a changed limit applies from the next sweep on; rows
  already recorded stay as they were (a step the new limit would have placed earlier than the
  last recorded row is recorded at that row's moment, never before it). The one exception is a
  loss dated back: the automatic steps recorded after the day of the loss (they assumed the
  client was not lost) are replaced by the loss.
* **Reading the past** — `status_counts_at` / `clients_with_status_at` answer "how many clients
  were active on 1 March" from the history (the last row of each client at or before the moment).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from clientela.clients.choices import ClientStatus
from clientela.clients.models import Client
from clientela.clients.services.client import client_mark_lost, client_reactivate
from clientela.clients.services.derived import client_record_activity
from clientela.clients.status import status_limits, status_of, with_status
from clientela.core.audit import audit_create, audit_event, model_update
from clientela.core.errors import BusinessError, ConflictError
from clientela.core.normalise import clean_text
from clientela.core.permissions import Action, require, require_record
from clientela.core.zones import local_date, zone_of
from clientela.retention import hooks
from clientela.retention.choices import ChangeKind
from clientela.retention.models import ChurnReason, ClientStatusChange, RetentionSettings, refresh_next_at

NEW, ACTIVE, PASSIVE, LOST = (
    ClientStatus.NEW.value,
    ClientStatus.ACTIVE.value,
    ClientStatus.PASSIVE.value,
    ClientStatus.LOST.value,
)
LIMITS_TTL = 60.0  # seconds a process keeps the limits it read
DAYS_RANGE = (1, 3650)
INSERT_BATCH = 2000
LANGUAGES = ("en", "ro", "ru", "hu", "ms")


def _invalid(errors: Mapping[str, list[str]]) -> BusinessError:
    return BusinessError(next(iter(errors.values()))[0], errors=dict(errors))


# --- Settings: the status limits ------------------------------------------------------------------

_limits_cache: dict[str, Any] = {}


def settings_row() -> RetentionSettings:
    """The company's retention settings (row 1, made with the defaults on first use)."""
    row, _made = RetentionSettings.objects.get_or_create(pk=1)
    return row


def current_limits() -> tuple[int, int]:
    """`(new_days, passive_days)` for `clients.status` (its `STATUS_LIMITS` provider): read once
    per `LIMITS_TTL` in a process, forgotten when saved."""
    kept = _limits_cache.get("limits")
    if kept is not None and kept[1] > time.monotonic():
        return kept[0]  # type: ignore[no-any-return]
    row = RetentionSettings.objects.filter(pk=1).values_list("new_days", "passive_days").first()
    limits = (int(row[0]), int(row[1])) if row else (90, 180)
    _limits_cache["limits"] = (limits, time.monotonic() + LIMITS_TTL)
    return limits


def forget_limits() -> None:
    _limits_cache.pop("limits", None)


def _days(value: Any, field: str, errors: dict[str, list[str]]) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field] = [_("Enter a whole number of days.")]
        return None
    low, high = DAYS_RANGE
    if not low <= number <= high:
        errors[field] = [_("Enter a number of days from %(low)s to %(high)s.") % {"low": low, "high": high}]
        return None
    return number


@transaction.atomic
def retention_settings_update(*, by: Any, new_days: Any, passive_days: Any) -> RetentionSettings:
    """Change the company's status limits (admins). Applies from now on: the history already
    recorded is not rewritten (see the module docstring)."""
    require(by, "manage_settings")
    errors: dict[str, list[str]] = {}
    new = _days(new_days, "new_days", errors)
    passive = _days(passive_days, "passive_days", errors)
    if errors:
        raise _invalid(errors)
    row = RetentionSettings.objects.select_for_update().filter(pk=1).first() or settings_row()
    model_update(instance=row, data={"new_days": new, "passive_days": passive}, actor=by)
    forget_limits()
    transaction.on_commit(forget_limits)
    return row


# --- The churn taxonomy -----------------------------------------------------------------------------


BUILT_IN_REASONS = [  # as seeded by the first migration (SPEC §8, with the shares from practice)
    ("no_reason", "3.00", False),
    ("parallel_supplier", "5.00", False),
    ("competition", "10.00", False),
    ("quality", "14.00", False),
    ("attitude", "68.00", True),
]


def ensure_default_reasons() -> None:
    """Put the built-in reasons back when the taxonomy is empty (a flushed test database)."""
    if ChurnReason.objects.exists():
        return
    for position, (code, share, staff) in enumerate(BUILT_IN_REASONS):
        ChurnReason.objects.get_or_create(
            code=code, defaults={"practice_share": share, "staff_attitude": staff, "position": position}
        )


def active_reasons() -> list[ChurnReason]:
    return list(ChurnReason.objects.filter(is_active=True).order_by("position", "code"))


def reason_codes() -> list[str]:
    return list(ChurnReason.objects.filter(is_active=True).values_list("code", flat=True))


def reason_label(code: str) -> str:
    """A churn reason's name in the reader's language (any reason, in use or not)."""
    if not code:
        return ""
    reason = ChurnReason.objects.filter(code=code).first()
    return reason.label if reason is not None else code


def _clean_names(names: Any, errors: dict[str, list[str]], *, required: bool) -> dict[str, str]:
    if not isinstance(names, Mapping):
        errors["names"] = [_("Give the reason's name per language.")]
        return {}
    cleaned: dict[str, str] = {}
    for language, value in names.items():
        if language not in LANGUAGES:
            errors["names"] = [_("Unknown language: %(code)s.") % {"code": language}]
            return {}
        text = clean_text(str(value or ""), 120)
        if text:
            cleaned[language] = text
    if required and not cleaned.get("en"):
        errors["names.en"] = [_("Give the reason a name in English.")]
    return cleaned


def _clean_share(value: Any, errors: dict[str, list[str]]) -> Any:
    from decimal import Decimal, InvalidOperation

    if value in (None, ""):
        return None
    try:
        share = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors["practice_share"] = [_("Enter a percentage from 0 to 100.")]
        return None
    if not Decimal(0) <= share <= Decimal(100):
        errors["practice_share"] = [_("Enter a percentage from 0 to 100.")]
        return None
    return share.quantize(Decimal("0.01"))


def _new_code(name: str) -> str:
    base = (slugify(name)[:20] or "reason").strip("-") or "reason"
    code, number = base, 2
    while ChurnReason.objects.filter(code=code).exists():
        code = f"{base[:20]}-{number}"
        number += 1
    return code


@transaction.atomic
def churn_reason_create(
    *, by: Any, names: Any, practice_share: Any = None, staff_attitude: bool = False
) -> ChurnReason:
    """Add a reason to the taxonomy (admins), last in the list, in use."""
    require(by, "manage_settings")
    errors: dict[str, list[str]] = {}
    cleaned = _clean_names(names, errors, required=True)
    share = _clean_share(practice_share, errors)
    if errors:
        raise _invalid(errors)
    last = ChurnReason.objects.aggregate(top=models.Max("position"))["top"] or 0
    reason = ChurnReason.objects.create(
        code=_new_code(cleaned["en"]),
        names=cleaned,
        practice_share=share,
        staff_attitude=bool(staff_attitude),
        position=last + 1,
    )
    audit_create(actor=by, instance=reason, fields=["code", "names", "practice_share", "staff_attitude"])
    return reason


@transaction.atomic
def churn_reason_update(*, by: Any, reason: ChurnReason, data: Mapping[str, Any]) -> ChurnReason:
    """Rename (per language), set the share known from practice and the staff-attitude flag,
    take a reason out of use or back (admins). A reason is never deleted: past losses keep it."""
    require(by, "manage_settings")
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if "names" in data:
        names = _clean_names(data["names"], errors, required=False)
        values["names"] = {**reason.names, **names}
        for language, value in (
            dict(data["names"] or {}).items() if isinstance(data["names"], Mapping) else []
        ):
            if not str(value or "").strip():
                values["names"].pop(language, None)
    if "practice_share" in data:
        values["practice_share"] = _clean_share(data["practice_share"], errors)
    if "staff_attitude" in data:
        values["staff_attitude"] = bool(data["staff_attitude"])
    if "is_active" in data:
        values["is_active"] = bool(data["is_active"])
        if (
            not values["is_active"]
            and not ChurnReason.objects.filter(is_active=True).exclude(pk=reason.pk).exists()
        ):
            errors["is_active"] = [_("Keep at least one reason in use.")]
    if errors:
        raise _invalid(errors)
    model_update(instance=reason, data=values, actor=by)
    return reason


@transaction.atomic
def churn_reasons_reorder(*, by: Any, codes: Iterable[str]) -> list[ChurnReason]:
    """Put the reasons in this order (the ones not named keep their order after them)."""
    require(by, "manage_settings")
    order = [str(code) for code in codes]
    reasons = {reason.code: reason for reason in ChurnReason.objects.select_for_update()}
    unknown = [code for code in order if code not in reasons]
    if unknown:
        raise _invalid({"codes": [_("Unknown reason: %(code)s.") % {"code": unknown[0]}]})
    rest = [code for code in sorted(reasons, key=lambda c: (reasons[c].position, c)) if code not in order]
    changed = []
    for position, code in enumerate([*order, *rest], start=1):
        if reasons[code].position != position:
            reasons[code].position = position
            changed.append(reasons[code])
    ChurnReason.objects.bulk_update(changed, ["position"])
    audit_event(actor=by, instance=settings_row(), event="churn_reasons_reordered", changes={"order": order})
    return sorted(reasons.values(), key=lambda r: r.position)


# --- The history sweep ----------------------------------------------------------------------------


@dataclass
class _Step:
    client_id: int
    from_status: str
    to_status: str
    kind: str
    at: dt.datetime
    owner_id: int | None
    team_id: int | None
    reason: str = ""
    note: str = ""

    def row(self) -> ClientStatusChange:
        return ClientStatusChange(
            client_id=self.client_id,
            from_status=self.from_status,
            to_status=self.to_status,
            kind=self.kind,
            at=self.at,
            owner_id=self.owner_id,
            team_id=self.team_id,
            reason=self.reason,
            note=self.note,
        )


def missing_steps(
    client: Mapping[str, Any],
    recorded: str | None,
    recorded_at: dt.datetime | None,
    *,
    now: dt.datetime,
    new_days: int,
    passive_days: int,
) -> list[_Step]:
    """The transitions between a client's last recorded status and its status now, with the
    moments they happened, from its stored dates (`created_at`, `last_contact_at`, `lost_at`).

    `client` holds `pk`, `created_at`, `last_contact_at`, `lost_at`, `lost_reason`, `lost_note`,
    `owner_id`, `team_id`, `status` (now)."""
    steps: list[_Step] = []
    state = {"status": recorded or "", "at": recorded_at}
    created = client["created_at"]
    contact = client["last_contact_at"] or created
    lost_at = client["lost_at"]

    def step(to: str, kind: str, at: dt.datetime, **extra: str) -> None:
        previous = state["at"]
        moment = max(at, previous) if isinstance(previous, dt.datetime) else at
        steps.append(
            _Step(
                client["pk"],
                str(state["status"]),
                to,
                kind,
                moment,
                client["owner_id"],
                client["team_id"],
                **extra,
            )
        )
        state["status"], state["at"] = to, moment

    if state["status"] == LOST and lost_at is None:  # won back without a decision recorded
        step(client["status"], ChangeKind.WON_BACK, now)
        return steps
    horizon = min(lost_at, now) if lost_at is not None else now
    if not state["status"]:
        step(NEW, ChangeKind.BECAME_CLIENT, created)
    new_end = created + dt.timedelta(days=new_days)
    passive_from = contact + dt.timedelta(days=passive_days)
    if state["status"] == NEW and new_end <= horizon:
        step(PASSIVE if passive_from <= new_end else ACTIVE, ChangeKind.TIME, new_end)
    at = state["at"]
    if state["status"] == PASSIVE and isinstance(at, dt.datetime) and at < contact <= horizon:
        step(ACTIVE, ChangeKind.CONTACT, contact)
    if state["status"] == ACTIVE and passive_from <= horizon:
        step(PASSIVE, ChangeKind.TIME, passive_from)
    if lost_at is not None and state["status"] != LOST:
        step(
            LOST,
            ChangeKind.DECISION,
            lost_at,
            reason=client["lost_reason"] or "",
            note=client["lost_note"] or "",
        )
    return steps


def _last_recorded() -> models.QuerySet[ClientStatusChange]:
    return ClientStatusChange.objects.filter(client=OuterRef("pk")).order_by("-at", "-id")


def sync_history(*, now: dt.datetime | None = None, client_ids: Iterable[int] | None = None) -> int:
    """Record every transition not yet in the history (all clients, or these). Set-based: one
    query finds the clients whose status now differs from their last recorded one (or who have
    none, or whose passive spell a contact ended), the steps are computed from their stored
    dates and inserted in bulk. Running it again adds nothing. Returns the rows added."""
    now = now or timezone.now()
    new_days, passive_days = status_limits()
    last = _last_recorded()
    clients = with_status(Client.objects.all(), now=now).annotate(
        recorded=Subquery(last.values("to_status")[:1]),
        recorded_at=Subquery(last.values("at")[:1]),
    )
    if client_ids is not None:
        clients = clients.filter(pk__in=list(client_ids))
    candidates = clients.filter(
        Q(recorded__isnull=True)
        | ~Q(recorded=F("status"))
        | Q(recorded=PASSIVE, last_contact_at__gt=F("recorded_at"))
    ).values(
        "pk",
        "created_at",
        "last_contact_at",
        "lost_at",
        "lost_reason",
        "lost_note",
        "owner_id",
        "team_id",
        "status",
        "recorded",
        "recorded_at",
    )
    added = 0
    batch: list[ClientStatusChange] = []
    with transaction.atomic():
        # One sweep at a time (the hourly job, the command, a decision's own sync): the next one
        # reads the candidates after this one's rows are committed, so nothing is added twice.
        RetentionSettings.objects.select_for_update().get_or_create(pk=1)
        for client in candidates.iterator(chunk_size=INSERT_BATCH):
            for found in missing_steps(
                client,
                client["recorded"],
                client["recorded_at"],
                now=now,
                new_days=new_days,
                passive_days=passive_days,
            ):
                batch.append(found.row())
            if len(batch) >= INSERT_BATCH:
                added += _insert(batch)
                batch = []
        if batch:
            added += _insert(batch)
    return added


def _insert(batch: list[ClientStatusChange]) -> int:
    """Add the sweep's rows and chain them to their clients' other rows (`next_at`)."""
    ClientStatusChange.objects.bulk_create(batch)
    refresh_next_at({row.client_id for row in batch})
    return len(batch)


# --- Decisions: lost and won back -----------------------------------------------------------------


def _moment_of(day: dt.date, by: Any, client: Client, now: dt.datetime) -> dt.datetime:
    """The moment a loss dated `day` (in the decider's zone) is recorded at: now for today, else
    noon of that day — never before the client existed."""
    if day >= local_date(by, now):
        return now
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=zone_of(by))
    return max(noon, client.created_at) if client.created_at else noon


def _parse_day(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


@transaction.atomic
def client_lose(
    *,
    by: Any,
    client: Client,
    reason: str,
    lost_on: Any = None,
    note: str = "",
    options: Mapping[str, Any] | None = None,
) -> ClientStatusChange:
    """The decision that a client is lost: a reason from the taxonomy (in use), the day (today by
    default; not in the future, not before the client existed) and who decided. Records the
    history row at once and tells the other parts (`hooks.CLIENT_LOST`, e.g. the exit
    questionnaire with `options={"exit_questionnaire": bool, "contact_id": id | None}`)."""
    require_record(by, client, Action.WORK, _("You cannot change this client."))
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    code = str(reason or "").strip()
    if not code:
        errors["reason"] = [_("Choose why the client left.")]
    elif not ChurnReason.objects.filter(code=code, is_active=True).exists():
        errors["reason"] = [_("Choose one of the reasons in the list.")]
    try:
        day = _parse_day(lost_on) or local_date(by, now)
    except ValueError:
        errors["lost_on"] = [_("Enter a valid date.")]
        day = local_date(by, now)
    if day > local_date(by, now):
        errors["lost_on"] = [_("A client cannot be lost in the future.")]
    elif client.created_at is not None and day < local_date(by, client.created_at):
        errors["lost_on"] = [_("The client did not exist yet on that day.")]
    if errors:
        raise _invalid(errors)
    if client.lost_at is not None:
        raise ConflictError(_("This client is already marked as lost."))
    moment = _moment_of(day, by, client, now)
    last_decision = (
        ClientStatusChange.objects.filter(client=client, kind=ChangeKind.WON_BACK).order_by("-at").first()
    )
    if last_decision is not None and moment < last_decision.at:
        raise _invalid({"lost_on": [_("The client was won back after that day.")]})
    Client.objects.select_for_update().filter(pk=client.pk).first()
    # The steps up to the loss, then the automatic ones recorded after it go (they assumed the
    # client was still a client).
    sync_history(now=now, client_ids=[client.pk])
    ClientStatusChange.objects.filter(
        client=client, at__gt=moment, kind__in=[ChangeKind.TIME, ChangeKind.CONTACT]
    ).delete()
    refresh_next_at([client.pk])
    before = ClientStatusChange.objects.filter(client=client, at__lte=moment).order_by("-at", "-id").first()
    client_mark_lost(by=by, client=client, reason=code, note=note, lost_at=moment)
    change = ClientStatusChange.objects.create(
        client=client,
        from_status=before.to_status if before else "",
        to_status=LOST,
        kind=ChangeKind.DECISION,
        at=moment,
        by=by,
        reason=code,
        note=client.lost_note,
        owner_id=client.owner_id,
        team_id=client.team_id,
    )
    # Audited on the decision (the client's own change is audited by `client_mark_lost`; its card
    # shows the decision in the status history).
    audit_event(
        actor=by,
        instance=change,
        event="lost",
        changes={
            "client": client.pk,
            "reason": code,
            "lost_on": day.isoformat(),
            "options": dict(options or {}),
        },
    )
    for fn in hooks.CLIENT_LOST:
        fn(by=by, client=client, change=change, options=dict(options or {}))
    return change


@transaction.atomic
def client_win_back(*, by: Any, client: Client, note: str = "") -> ClientStatusChange:
    """A lost client is a client again (a decision, now): the win-back counts as contact, so its
    status is new or active by the rules; the history keeps the loss."""
    require_record(by, client, Action.WORK, _("You cannot change this client."))
    if client.lost_at is None:
        raise ConflictError(_("This client is not lost."))
    now = timezone.now()
    sync_history(now=now, client_ids=[client.pk])  # the loss is in the history before the return
    client_reactivate(by=by, client=client)
    client_record_activity(client=client, at=now)
    client.refresh_from_db()
    status = status_of(
        lost_at=None, created_at=client.created_at, last_contact_at=client.last_contact_at, now=now
    )
    change = ClientStatusChange.objects.create(
        client=client,
        from_status=LOST,
        to_status=status,
        kind=ChangeKind.WON_BACK,
        at=now,
        by=by,
        note=clean_text(note or "", 2000),
        owner_id=client.owner_id,
        team_id=client.team_id,
    )
    audit_event(
        actor=by, instance=change, event="won_back", changes={"client": client.pk, "status": change.to_status}
    )
    for fn in hooks.CLIENT_WON_BACK:
        fn(by=by, client=client, change=change)
    return change


# --- Reading the history --------------------------------------------------------------------------


def status_history(*, viewer: Any, client: Client) -> list[ClientStatusChange]:
    """A client's transitions, oldest first (the client must be visible to the viewer)."""
    return list(
        ClientStatusChange.objects.restrict(viewer, Action.VIEW)
        .filter(client=client)
        .select_related("by", "owner", "team")
        .order_by("at", "id")
    )


def _last_rows_at(viewer: Any, moment: dt.datetime) -> models.QuerySet[ClientStatusChange]:
    """Each visible client's last row at or before `moment` (its status then)."""
    later = ClientStatusChange.objects.filter(client=OuterRef("client"), at__lte=moment).filter(
        Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), id__gt=OuterRef("id"))
    )
    return (
        ClientStatusChange.objects.restrict(viewer, Action.VIEW).filter(at__lte=moment).filter(~Exists(later))
    )


def _filtered(rows: models.QuerySet[ClientStatusChange], team: Any, owner: Any) -> Any:
    if team is not None:
        rows = rows.filter(team=team)
    if owner is not None:
        rows = rows.filter(owner=owner)
    return rows


def status_counts_at(
    viewer: Any, moment: dt.datetime, *, team: Any = None, owner: Any = None
) -> dict[str, int]:
    """How many of the clients the viewer sees had each status at `moment`, from the history
    (`team` / `owner`: the client's team / personal manager at that moment). Every status is a
    key (0 when none)."""
    rows = _filtered(_last_rows_at(viewer, moment), team, owner)
    counts = dict.fromkeys(ClientStatus.values, 0)
    for status, number in rows.values_list("to_status").annotate(n=Count("*")).order_by():
        counts[status] = number
    return counts


def clients_with_status_at(
    viewer: Any, moment: dt.datetime, status: str, *, team: Any = None, owner: Any = None
) -> models.QuerySet[Client]:
    """The clients (that the viewer sees) that had `status` at `moment`, from the history."""
    rows = _filtered(_last_rows_at(viewer, moment), team, owner).filter(to_status=status)
    return Client.objects.restrict(viewer, Action.VIEW).filter(pk__in=rows.values("client_id"))


# --- What this part plugs in ------------------------------------------------------------------


def register() -> None:
    """Called from `RetentionConfig.ready()`."""
    import datetime as _dt

    from clientela.clients import hooks as client_hooks
    from clientela.clients.status import STATUS_LIMITS
    from clientela.core.demo import DEMO_LOADERS, DemoLoader
    from clientela.core.periodic import PERIODIC_JOBS, Periodic
    from clientela.retention import lifecycle_demo, lifecycle_tasks, lifecycle_views

    STATUS_LIMITS.provide(current_limits)
    client_hooks.card_sections.register("retention/lifecycle/_client_history.html")
    client_hooks.status_decisions.provide(
        client_hooks.StatusDecisions(
            lost_form=lifecycle_views.lost_form,
            lose=lifecycle_views.lose,
            win_back=lifecycle_views.win_back,
            reason_codes=reason_codes,
            reason_label=reason_label,
        )
    )
    PERIODIC_JOBS.register(Periodic(lifecycle_tasks.sync_status_history, _dt.timedelta(hours=1)))
    DEMO_LOADERS.register(DemoLoader(90, lifecycle_demo.load))
