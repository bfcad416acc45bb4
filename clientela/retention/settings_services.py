"""Retention settings: the company-wide status limits (admins) and each team's retention policy
(its heads; admins any team). Typed services, audited, with per-field errors.

`retention_settings_update` has the lifecycle part's name and signature (the lead engineer keeps
one of the two when the parts are joined)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from clientela.core.audit import audit_create, model_update
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.permissions import can_manage_team, require
from clientela.retention.models import RetentionPolicy, RetentionSettings
from clientela.users.models import Team

# Field → (kind, low, high): the limits of the model's validators, checked here for every door.
POLICY_FIELDS: dict[str, tuple[str, int, int]] = {
    "leak_alert_percent": ("percent", 0, 100),
    "concentration_alert_percent": ("percent", 0, 100),
    "offer_every_days": ("days", 1, 365),
    "offer_min_gap_days": ("days", 0, 365),
    "renewal_notice_days": ("days", 0, 730),
    "survey_after_won_days": ("days", 0, 365),
    "survey_every_days": ("days", 0, 3650),
    "reactivation_window_days": ("days", 1, 730),
    "repeat_purchase_months": ("days", 1, 120),
    "repeat_purchase_target_percent": ("percent", 0, 100),
}
SETTINGS_FIELDS: dict[str, tuple[str, int, int]] = {
    "new_days": ("days", 1, 3650),
    "passive_days": ("days", 1, 3650),
}


def _invalid(errors: dict[str, list[str]]) -> BusinessError:
    return BusinessError(_("Please correct the settings."), errors=errors, status=422)


def _clean(values: dict[str, Any], fields: dict[str, tuple[str, int, int]]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        if name not in fields:
            errors[name] = [_("Unknown setting.")]
            continue
        kind, low, high = fields[name]
        text = str(value if value is not None else "").strip().replace(",", ".")
        try:
            number: Any = Decimal(text) if kind == "percent" else int(text)
            if kind == "percent" and (not number.is_finite() or number != number.quantize(Decimal("0.01"))):
                raise ValueError
        except (ValueError, InvalidOperation):
            errors[name] = [
                _("Enter a number.") if kind == "days" else _("Enter a percentage with at most two decimals.")
            ]
            continue
        if not low <= number <= high:
            errors[name] = [_("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}]
            continue
        cleaned[name] = number
    if errors:
        raise _invalid(errors)
    return cleaned


def settings_row() -> RetentionSettings:
    row, _created = RetentionSettings.objects.get_or_create(pk=1)
    return row


@transaction.atomic
def retention_settings_update(*, by: Any, new_days: Any, passive_days: Any) -> RetentionSettings:
    """Change how long a client is new and how long without purchase and contact makes it
    passive (admins)."""
    require(by, "manage_settings")
    cleaned = _clean({"new_days": new_days, "passive_days": passive_days}, SETTINGS_FIELDS)
    row = RetentionSettings.objects.select_for_update().filter(pk=1).first() or settings_row()
    model_update(instance=row, data=cleaned, actor=by)
    return row


def policy_of(team: Team) -> RetentionPolicy:
    """The team's policy (the defaults until someone changes it; not stored by reading)."""
    return RetentionPolicy.objects.filter(team=team).first() or RetentionPolicy(team=team)


@transaction.atomic
def retention_policy_update(*, by: Any, team: Team, **fields: Any) -> RetentionPolicy:
    """Change a team's retention policy (its heads, admins any team); only the fields given."""
    if not can_manage_team(by, team):
        raise PermissionDeniedError(_("You cannot change this team's retention policy."))
    cleaned = _clean(fields, POLICY_FIELDS)
    policy = RetentionPolicy.objects.select_for_update().filter(team=team).first()
    if policy is None:
        policy = RetentionPolicy.objects.create(team=team, **cleaned)
        audit_create(actor=by, instance=policy, fields=["team", *POLICY_FIELDS])
        return policy
    policy, _changes = model_update(instance=policy, data=cleaned, actor=by)
    return policy
