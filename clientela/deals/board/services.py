"""Writes of the sales board: moving a deal between stages (of its pipeline or another one),
winning it (with the payment schedule the pipeline asks for, by default one payment at the
client's terms) and losing it (with a reason), and
recording the objections a client raises at a stage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.audit import audit_create, audit_event
from clientela.core.notifications import notify
from clientela.core.permissions import Action, require_record
from clientela.core.texts import Message, sentences
from clientela.core.validation import too_long
from clientela.deals import texts
from clientela.deals.board.stages import closing_stage
from clientela.deals.choices import DealEventKind, DealStatus, PaymentKind
from clientela.deals.hooks import DEAL_WON
from clientela.deals.models import Deal, DealObjection, DealStageChange, LostReason, Objection, Payment, Stage
from clientela.deals.money import format_money, invalid, parse_amount
from clientela.deals.services import (
    CANNOT_CHANGE,
    actor_of,
    claim_version,
    conflict,
    deal_event,
    deal_url,
    touch_client,
)
from clientela.users.models import Team, User


@dataclass(frozen=True)
class ScheduledPayment:
    """One expected payment of a schedule, as given when a deal is won."""

    due_date: dt.date
    amount: Any  # parsed with parse_amount (Decimal, int or string; never float)


def _clean_schedule(deal: Deal, payments: Sequence[ScheduledPayment]) -> list[tuple[dt.date, Decimal]]:
    rows: list[tuple[dt.date, Decimal]] = []
    for index, row in enumerate(payments):
        field = f"payments.{index}"
        if not isinstance(row.due_date, dt.date):
            raise invalid(f"{field}.due_date", _("Enter the due date."))
        rows.append((row.due_date, parse_amount(row.amount, field=f"{field}.amount", positive=True)))
    return rows


# When the client has no payment terms of its own, a default schedule's one payment is due this
# many days after the win.
DEFAULT_PAYMENT_TERM_DAYS = 30


def payment_term_days(deal: Deal) -> int:
    """Days from the win to the default payment: the client's payment terms, else the default."""
    days = deal.client.payment_terms_days
    return days if days is not None else DEFAULT_PAYMENT_TERM_DAYS


def _expected_total(deal: Deal) -> Decimal:
    total = deal.payments.filter(kind=PaymentKind.EXPECTED).aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


def default_schedule(
    deal: Deal, amount: Decimal, *, on: dt.date | None = None
) -> list[tuple[dt.date, Decimal]]:
    """The schedule a pipeline that needs one gets when the winner gives none: one payment of
    what is not scheduled yet, due at the client's payment terms (`payment_term_days`)."""
    if not deal.pipeline.requires_payment_schedule:
        return []
    rest = amount - _expected_total(deal)
    if rest <= 0:
        return []
    day = (on or timezone.localdate()) + dt.timedelta(days=payment_term_days(deal))
    return [(day, rest)]


def _check_win(deal: Deal, amount: Decimal, schedule: list[tuple[dt.date, Decimal]]) -> None:
    """A deal is won with an amount above zero and, where the pipeline asks, a full payment schedule."""
    if amount <= 0:
        raise invalid(
            "amount", _("A deal is won with an amount above zero: add products or enter the amount.")
        )
    if not deal.pipeline.requires_payment_schedule and not schedule:
        return
    total = _expected_total(deal) + sum((value for _day, value in schedule), Decimal(0))
    if deal.pipeline.requires_payment_schedule and total != amount:
        raise invalid(
            "payments",
            _(
                "The expected payments must add up to the deal amount (%(amount)s); "
                "now they add up to %(total)s."
            )
            % {"amount": format_money(amount, deal.currency), "total": format_money(total, deal.currency)},
        )
    if total > amount:
        raise invalid(
            "payments",
            _("The expected payments (%(total)s) are more than the deal amount (%(amount)s).")
            % {"amount": format_money(amount, deal.currency), "total": format_money(total, deal.currency)},
        )


@transaction.atomic
def deal_move(
    *,
    by: User,
    deal: Deal,
    stage: Stage,
    version: int | None = None,
    lost_reason: LostReason | None = None,
    lost_note: str = "",
    amount: Any = None,
    payments: Sequence[ScheduledPayment] = (),
    at: dt.datetime | None = None,
) -> Deal:
    """Move a deal to `stage` (of its pipeline or another one), recording the stage history.

    Won needs an amount above zero (sent here as `amount` when the deal has no products) and,
    when the pipeline says so, expected payments adding up to it (`payments`; none given: one
    payment of the rest, due at the client's payment terms — `default_schedule`). Lost needs a
    reason. Everything is checked before anything is written.
    """
    require_record(by, deal, Action.WORK, CANNOT_CHANGE)
    if not stage.is_active:
        raise invalid("stage", _("This stage is switched off."))
    if stage.pk == deal.stage_id:
        if version is not None and version != deal.version:
            raise conflict(deal.version)
        return deal  # already there: moving again changes nothing
    if stage.pipeline_id != deal.pipeline_id and not stage.pipeline.is_active:
        raise invalid("stage", _("This pipeline is switched off."))
    reason_text = " ".join((lost_note or "").split())[:2000]
    if stage.is_lost:
        if lost_reason is None:
            raise invalid("lost_reason", _("Say why the deal was lost."))
        if not lost_reason.is_active:
            raise invalid("lost_reason", _("This reason is switched off; choose another one."))
    has_lines = deal.lines.exists()
    new_amount: Decimal | None = None
    if amount not in (None, ""):
        new_amount = parse_amount(amount)
        if has_lines and new_amount != deal.amount:
            raise invalid(
                "amount", _("The amount is the sum of the deal's products; change the products instead.")
            )
    schedule = _clean_schedule(deal, payments)
    if schedule and not stage.is_won:
        raise invalid("payments", _("A payment schedule is given when a deal is won."))
    if stage.is_won:
        won_amount = new_amount if new_amount is not None else deal.amount
        if not schedule and won_amount > 0:
            # Won in one step: where the pipeline needs a schedule, one payment at the terms.
            schedule = default_schedule(deal, won_amount, on=timezone.localdate(at) if at else None)
        _check_win(deal, won_amount, schedule)

    claim_version(deal, version)
    now = at or timezone.now()
    old_stage, old_status = deal.stage, deal.status
    if stage.is_won:
        # Checked again against the locked row: a concurrent edit may have changed the payments.
        _check_win(deal, new_amount if new_amount is not None else deal.amount, schedule)
    for due_date, value in schedule:
        payment = Payment.objects.create(
            deal=deal,
            kind=PaymentKind.EXPECTED,
            amount=value,
            currency=deal.currency,
            due_date=due_date,
            created_by=actor_of(by),
            updated_by=actor_of(by),
        )
        audit_create(actor=by, instance=payment, fields=["deal", "kind", "amount", "currency", "due_date"])
    seconds = max(0, int((now - deal.stage_entered_at).total_seconds()))
    DealStageChange.objects.create(
        deal=deal,
        pipeline=stage.pipeline,
        from_stage=old_stage,
        to_stage=stage,
        at=now,
        by=actor_of(by),
        seconds_in_previous=seconds,
    )
    deal.pipeline = stage.pipeline
    deal.stage = stage
    deal.status = stage.status
    deal.stage_entered_at = now
    if new_amount is not None:
        deal.amount = new_amount
    if stage.is_closed:
        deal.closed_at = deal.closed_at if old_status == stage.status else now
    else:
        deal.closed_at = None
    deal.lost_reason = lost_reason if stage.is_lost else None
    deal.lost_note = reason_text if stage.is_lost else ""
    deal.updated_by = actor_of(by)
    deal.save(
        update_fields=[
            "pipeline",
            "stage",
            "status",
            "stage_entered_at",
            "amount",
            "closed_at",
            "lost_reason",
            "lost_note",
            "updated_by",
            "updated_at",
        ]
    )
    changes: dict[str, Any] = {"stage": [old_stage.pk, stage.pk]}
    if old_status != deal.status:
        changes["status"] = [old_status, deal.status]
    if stage.is_lost:
        changes["lost_reason"] = [None, lost_reason.code if lost_reason else None]
    audit_event(actor=by, instance=deal, event=f"moved_{deal.status}", changes=changes)
    if stage.is_won:
        touch_client(deal.client, now)
    _stage_event(deal, by, old_stage, old_status, stage, seconds, schedule, now)
    _notify_stage_change(deal, by, old_stage, stage)
    if stage.is_won and old_status != deal.status:
        for won in DEAL_WON:
            won(by=by, deal=deal)
    return deal


def _stage_event(
    deal: Deal,
    by: User,
    old_stage: Stage,
    old_status: str,
    stage: Stage,
    seconds: int,
    schedule: list[tuple[dt.date, Decimal]],
    at: dt.datetime,
) -> None:
    days = seconds // 86400
    moved = Message(
        texts.MOVED, old=texts.label("stage", old_stage), new=texts.label("stage", stage), days=days
    )
    data: dict[str, Any] = {"from": old_stage.pk, "to": stage.pk, "seconds": seconds, "at": at}
    if stage.is_won:
        won = Message(texts.WON, amount=format_money(deal.amount, deal.currency))
        rows = "; ".join(f"{day.isoformat()} {format_money(value, deal.currency)}" for day, value in schedule)
        planned = Message(texts.SCHEDULE, rows=rows) if schedule else None
        deal_event(deal, DealEventKind.WON, by, sentences(won, planned, moved), **data)
    elif stage.is_lost:
        reason = texts.label("lost_reason", deal.lost_reason) if deal.lost_reason else ""
        lost = Message(texts.LOST, reason=reason)
        deal_event(deal, DealEventKind.LOST, by, sentences(lost, deal.lost_note, moved), **data)
    elif old_status != DealStatus.OPEN:
        deal_event(deal, DealEventKind.REOPENED, by, Message(texts.REOPENED, moved=moved), **data)
    else:
        deal_event(deal, DealEventKind.STAGE, by, moved, **data)


def _notify_stage_change(deal: Deal, by: User, old_stage: Stage, stage: Stage) -> None:
    text = _("%(deal)s: %(old)s → %(new)s") % {"deal": deal, "old": old_stage, "new": stage}
    actor = actor_of(by)
    if deal.pipeline.notify_head_on_stage_change and deal.team_id:
        head = Team.objects.filter(pk=deal.team_id).values_list("head", flat=True).first()
        if head and (actor is None or head != actor.pk):
            notify(user=User.objects.get(pk=head), verb="deal_stage", text=text, url=deal_url(deal))
    if deal.owner is not None and deal.owner != actor:
        notify(user=deal.owner, verb="deal_stage", text=text, url=deal_url(deal))


def deal_win(
    *,
    by: User,
    deal: Deal,
    version: int | None = None,
    amount: Any = None,
    payments: Sequence[ScheduledPayment] = (),
    stage: Stage | None = None,
) -> Deal:
    """Close the deal as won (the pipeline's won stage unless one is named)."""
    target = stage or closing_stage(deal.pipeline, won=True)
    if not target.is_won:
        raise invalid("stage", _("Choose a won stage."))
    return deal_move(by=by, deal=deal, stage=target, version=version, amount=amount, payments=payments)


def deal_lose(
    *,
    by: User,
    deal: Deal,
    reason: LostReason | None,
    note: str = "",
    version: int | None = None,
) -> Deal:
    """Close the deal as lost, with a reason from the configured list."""
    target = closing_stage(deal.pipeline, won=False)
    return deal_move(by=by, deal=deal, stage=target, version=version, lost_reason=reason, lost_note=note)


# --- Objections --------------------------------------------------------------------------------


@transaction.atomic
def objection_record(*, by: User, deal: Deal, objection: Objection, note: str = "") -> DealObjection:
    """Record that the client raised `objection` at the deal's current stage (counted in reports)."""
    require_record(by, deal, Action.WORK, CANNOT_CHANGE)
    if not objection.is_active:
        raise invalid("objection", _("This objection is no longer in the library."))
    note = " ".join((note or "").split())
    if len(note) > 500:
        raise invalid("note", too_long(500))
    raised = DealObjection.objects.create(
        deal=deal, objection=objection, stage=deal.stage, by=actor_of(by), note=note
    )
    audit_event(
        actor=by,
        instance=deal,
        event="objection",
        changes={"objection": objection.pk, "stage": deal.stage_id},
    )
    deal_event(
        deal,
        DealEventKind.OBJECTION,
        by,
        _("“%(objection)s” at stage %(stage)s. %(note)s")
        % {"objection": objection, "stage": deal.stage, "note": note},
        objection=objection.pk,
    )
    return raised
