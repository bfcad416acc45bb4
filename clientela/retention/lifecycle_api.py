"""API of the client lifecycle: the status limits, the churn taxonomy, a client's status history
and the decisions (lost, won back). A client the caller cannot see is 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from clientela.clients import selectors as client_selectors
from clientela.core.http import AuthedRequest
from clientela.core.permissions import require
from clientela.retention import lifecycle
from clientela.retention.models import ChurnReason, ClientStatusChange, RetentionSettings

router = Router(tags=["retention"])


class SettingsOut(Schema):
    new_days: int
    passive_days: int


class SettingsIn(Schema):
    new_days: int
    passive_days: int


class ReasonOut(Schema):
    code: str
    label: str
    names: dict[str, str]
    practice_share: Decimal | None
    staff_attitude: bool
    position: int
    is_active: bool


class ReasonIn(Schema):
    names: dict[str, str]
    practice_share: Decimal | None = None
    staff_attitude: bool = False


class ReasonPatch(Schema):
    names: dict[str, str] | None = None
    practice_share: Decimal | None = None
    staff_attitude: bool | None = None
    is_active: bool | None = None


class OrderIn(Schema):
    codes: list[str]


class ChangeOut(Schema):
    from_status: str
    to_status: str
    kind: str
    kind_label: str
    at: dt.datetime
    by_id: int | None
    by_name: str
    reason: str
    reason_label: str
    note: str
    owner_id: int | None
    team_id: int | None


class LoseIn(Schema):
    reason: str = ""
    lost_on: dt.date | None = None
    note: str = ""
    exit_questionnaire: bool = False
    contact_id: int | None = None


class WinBackIn(Schema):
    note: str = ""


def _settings_out(row: RetentionSettings) -> dict[str, int]:
    return {"new_days": row.new_days, "passive_days": row.passive_days}


def _reason_out(reason: ChurnReason) -> dict[str, Any]:
    return {
        "code": reason.code,
        "label": reason.label,
        "names": reason.names,
        "practice_share": reason.practice_share,
        "staff_attitude": reason.staff_attitude,
        "position": reason.position,
        "is_active": reason.is_active,
    }


def _change_out(change: ClientStatusChange, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "from_status": change.from_status,
        "to_status": change.to_status,
        "kind": change.kind,
        "kind_label": str(change.get_kind_display()),
        "at": change.at,
        "by_id": change.by_id,
        "by_name": str(change.by) if change.by else "",
        "reason": change.reason,
        "reason_label": labels.get(change.reason, ""),
        "note": change.note,
        "owner_id": change.owner_id,
        "team_id": change.team_id,
    }


@router.get("/retention/settings", response=SettingsOut, summary="The client status limits")
def get_settings(request: AuthedRequest) -> dict[str, int]:
    return _settings_out(lifecycle.settings_row())


@router.put("/retention/settings", response=SettingsOut, summary="Change the client status limits (admins)")
def put_settings(request: AuthedRequest, payload: SettingsIn) -> dict[str, int]:
    row = lifecycle.retention_settings_update(
        by=request.user, new_days=payload.new_days, passive_days=payload.passive_days
    )
    return _settings_out(row)


@router.get("/retention/churn-reasons", response=list[ReasonOut], summary="The churn taxonomy")
def list_reasons(request: AuthedRequest, include_unused: bool = False) -> list[dict[str, Any]]:
    reasons = ChurnReason.objects.order_by("position", "code")
    if not include_unused:
        reasons = reasons.filter(is_active=True)
    return [_reason_out(reason) for reason in reasons]


@router.post("/retention/churn-reasons", response={201: ReasonOut}, summary="Add a churn reason (admins)")
def create_reason(request: AuthedRequest, payload: ReasonIn) -> Status:
    reason = lifecycle.churn_reason_create(
        by=request.user,
        names=payload.names,
        practice_share=payload.practice_share,
        staff_attitude=payload.staff_attitude,
    )
    return Status(201, _reason_out(reason))


@router.put(
    "/retention/churn-reasons/order", response=list[ReasonOut], summary="Reorder the churn reasons (admins)"
)
def order_reasons(request: AuthedRequest, payload: OrderIn) -> list[dict[str, Any]]:
    return [_reason_out(r) for r in lifecycle.churn_reasons_reorder(by=request.user, codes=payload.codes)]


@router.patch(
    "/retention/churn-reasons/{reason_code}", response=ReasonOut, summary="Change a churn reason (admins)"
)
def patch_reason(request: AuthedRequest, reason_code: str, payload: ReasonPatch) -> dict[str, Any]:
    require(request.user, "manage_settings")
    reason = get_object_or_404(ChurnReason, code=reason_code)
    data = payload.dict(exclude_unset=True)
    return _reason_out(lifecycle.churn_reason_update(by=request.user, reason=reason, data=data))


@router.get(
    "/clients/{client_id}/status-history",
    response=list[ChangeOut],
    summary="A client's status history (every transition with its moment)",
)
def status_history(request: AuthedRequest, client_id: int) -> list[dict[str, Any]]:
    client = client_selectors.client_get(viewer=request.user, pk=client_id)
    rows = lifecycle.status_history(viewer=request.user, client=client)
    labels = {code: lifecycle.reason_label(code) for code in {row.reason for row in rows if row.reason}}
    return [_change_out(row, labels) for row in rows]


@router.post("/clients/{client_id}/lost", response=ChangeOut, summary="Mark a client lost (a decision)")
def lose_client(request: AuthedRequest, client_id: int, payload: LoseIn) -> dict[str, Any]:
    client = client_selectors.client_get(viewer=request.user, pk=client_id)
    change = lifecycle.client_lose(
        by=request.user,
        client=client,
        reason=payload.reason,
        lost_on=payload.lost_on,
        note=payload.note,
        options={"exit_questionnaire": payload.exit_questionnaire, "contact_id": payload.contact_id},
    )
    return _change_out(change, {change.reason: lifecycle.reason_label(change.reason)})


@router.post(
    "/clients/{client_id}/win-back", response=ChangeOut, summary="Win a lost client back (a decision)"
)
def win_back_client(request: AuthedRequest, client_id: int, payload: WinBackIn) -> dict[str, Any]:
    client = client_selectors.client_get(viewer=request.user, pk=client_id)
    return _change_out(lifecycle.client_win_back(by=request.user, client=client, note=payload.note), {})
