"""Writes behind the lead settings pages: team lead policy, distribution and temperature rules,
refusal reasons. Each checks who may change it, validates per field and is audited.

Who may change what:
* a team's lead policy and distribution rules — admins, and heads of sales for their own teams;
* temperature rules — admins (company-wide and any team), heads for their own teams;
* refusal reasons (one company-wide list) — admins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import phonenumbers
from django.db import transaction
from django.db.models import Max, Model, QuerySet
from django.utils.translation import gettext as _

from clientela.core.audit import audit_create, audit_event, model_update
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.permissions import can_manage_team, require, user_can, visible_team_ids
from clientela.core.roles import Role
from clientela.core.validation import too_long
from clientela.leads.choices import AssignmentStrategy, Origin, QualificationItem, Source, Temperature
from clientela.leads.models import DistributionRule, Lead, LeadPolicy, RefusalReason, TemperatureRule
from clientela.leads.policy import DEFAULT_REFUSAL_REASONS
from clientela.users.models import Team, User

Errors = dict[str, list[str]]

POLICY_FIELDS = [
    "qualification_items",
    "capacity_cap",
    "conversion_window_days",
    "min_closed_for_ranking",
    "top_converter_share",
    "hot_warm_to_beginners",
    "strategy",
]
DISTRIBUTION_FIELDS = [
    "name",
    "countries",
    "regions",
    "industries",
    "products",
    "temperatures",
    "best_converters_only",
    "strategy",
]
TEMPERATURE_FIELDS = [
    "name",
    "temperature",
    "sources",
    "origins",
    "keywords",
    "min_touches",
    "max_age_days",
]
REFUSAL_FIELDS = ["code", "name", "position"]
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
COUNTRY_CODES = frozenset(code for code in phonenumbers.SUPPORTED_REGIONS if code.isalpha())


# --- Who may change what ------------------------------------------------------------------


def teams_managed_by(user: Any) -> QuerySet[Team]:
    """Teams whose lead settings `user` may change: all for admins, their own for heads."""
    if not user_can(user, "distribute_leads"):
        return Team.objects.none()
    ids = visible_team_ids(user)
    return Team.objects.all() if ids is None else Team.objects.filter(pk__in=ids)


def require_team(user: Any, team: Team | None) -> None:
    """`user` may change lead settings of `team` (None: the company-wide ones)."""
    if not can_manage_team(user, team):
        raise PermissionDeniedError(_("You cannot change the lead settings of this team."))


# --- Validation helpers --------------------------------------------------------------------


def clean_list(values: Iterable[Any] | None, max_length: int) -> list[str]:
    """Trimmed, non-empty, de-duplicated (case-insensitively) values, in the order given."""
    seen: set[str] = set()
    result: list[str] = []
    for value in values or []:
        text = " ".join(str(value).split())[:max_length]
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            result.append(text)
    return result


def _choices(values: Iterable[Any] | None, allowed: Sequence[str], field: str, errors: Errors) -> list[str]:
    chosen = clean_list(values, 40)
    unknown = [v for v in chosen if v not in allowed]
    if unknown:
        errors.setdefault(field, []).append(_("Unknown choice: %(values)s.") % {"values": ", ".join(unknown)})
    return [v for v in chosen if v in allowed]


def clean_countries(values: Iterable[Any] | None, errors: Errors, field: str = "countries") -> list[str]:
    codes = [c.upper() for c in clean_list(values, 10)]
    unknown = [c for c in codes if c not in COUNTRY_CODES]
    if unknown:
        errors.setdefault(field, []).append(
            _("Unknown country code: %(codes)s. Use two-letter codes, e.g. RO, HU, MY.")
            % {"codes": ", ".join(unknown)}
        )
    return [c for c in codes if c in COUNTRY_CODES]


def _int(data: dict[str, Any], field: str, errors: Errors, *, low: int, high: int) -> int | None:
    value = data.get(field)
    if value is None or value == "":
        errors.setdefault(field, []).append(_("This field is required."))
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("Enter a whole number."))
        return None
    if not low <= number <= high:
        errors.setdefault(field, []).append(
            _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}
        )
        return None
    return number


def _name(data: dict[str, Any], errors: Errors, max_length: int = 120) -> str:
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        errors.setdefault("name", []).append(_("Give the rule a name."))
    elif len(name) > max_length:
        errors.setdefault("name", []).append(too_long(max_length))
    return name


def _raise(errors: Errors) -> None:
    if errors:
        raise BusinessError(_("Some fields are not valid."), errors=errors)


def _actor(by: User | None) -> Any:
    return by if getattr(by, "is_authenticated", False) else None


def _next_position(rows: QuerySet[Any]) -> int:
    return (rows.aggregate(top=Max("position"))["top"] or 0) + 1


def _move(rows: QuerySet[Any], instance: Any, offset: int, by: User) -> None:
    """Move `instance` among the active rows of its list; renumber the list 1..n.

    Active rows keep their order with `instance` shifted by `offset`; switched-off rows follow.
    """
    ordered = list(rows.select_for_update().order_by("position", "pk"))
    active = [r for r in ordered if r.is_active]
    inactive = [r for r in ordered if not r.is_active]
    index = next((i for i, r in enumerate(active) if r.pk == instance.pk), None)
    if index is None:
        raise ConflictError(_("Switch the rule on before moving it."))
    target = max(0, min(len(active) - 1, index + offset))
    if target == index:
        return
    moved = active.pop(index)
    active.insert(target, moved)
    changed = []
    for position, row in enumerate([*active, *inactive], start=1):
        if row.position != position:
            row.position = position
            changed.append(row)
    type(instance).objects.bulk_update(changed, ["position"])
    audit_event(
        actor=by,
        instance=moved,
        event="moved",
        changes={"position": [index + 1, target + 1]},
    )
    instance.position = moved.position


# --- Team lead policy ----------------------------------------------------------------------


def clean_policy(data: dict[str, Any]) -> dict[str, Any]:
    errors: Errors = {}
    items = _choices(data.get("qualification_items"), QualificationItem.values, "qualification_items", errors)
    if not items and "qualification_items" not in errors:
        errors["qualification_items"] = [_("Choose at least one checklist item.")]
    values = {
        "qualification_items": [i for i in QualificationItem.values if i in items],
        "capacity_cap": _int(data, "capacity_cap", errors, low=1, high=10000),
        "conversion_window_days": _int(data, "conversion_window_days", errors, low=7, high=3650),
        "min_closed_for_ranking": _int(data, "min_closed_for_ranking", errors, low=0, high=10000),
        "top_converter_share": _int(data, "top_converter_share", errors, low=1, high=100),
        "hot_warm_to_beginners": bool(data.get("hot_warm_to_beginners")),
        "strategy": data.get("strategy"),
    }
    if values["strategy"] not in AssignmentStrategy.values:
        errors["strategy"] = [_("Choose round-robin or least loaded.")]
    _raise(errors)
    return values


@transaction.atomic
def lead_policy_save(*, by: User, team: Team, data: dict[str, Any]) -> LeadPolicy:
    """Save the team's lead policy (created with the defaults the first time)."""
    require_team(by, team)
    values = clean_policy({**_policy_values(team), **data})
    policy = LeadPolicy.objects.select_for_update().filter(team=team).first()
    if policy is None:
        policy = LeadPolicy(team=team, **values)
        policy.full_clean()
        policy.save()
        audit_create(actor=by, instance=policy, fields=["team", *POLICY_FIELDS])
        return policy
    policy, _changes = model_update(instance=policy, data=values, actor=by)
    return policy


def _policy_values(team: Team) -> dict[str, Any]:
    policy = LeadPolicy.objects.filter(team=team).first() or LeadPolicy(team=team)
    values = {name: getattr(policy, name) for name in POLICY_FIELDS}
    values["qualification_items"] = policy.required_items
    return values


# --- Distribution rules --------------------------------------------------------------------


def clean_distribution_rule(team: Team, data: dict[str, Any]) -> tuple[dict[str, Any], list[User]]:
    errors: Errors = {}
    values: dict[str, Any] = {
        "name": _name(data, errors),
        "countries": clean_countries(data.get("countries"), errors),
        "regions": clean_list(data.get("regions"), 100),
        "industries": clean_list(data.get("industries"), 60),
        "products": clean_list(data.get("products"), 200),
        "temperatures": _choices(data.get("temperatures"), Temperature.values, "temperatures", errors),
        "best_converters_only": bool(data.get("best_converters_only")),
        "strategy": data.get("strategy") or "",
    }
    if values["strategy"] not in ("", *AssignmentStrategy.values):
        errors["strategy"] = [_("Choose round-robin, least loaded or the team's default.")]
    members = list(data.get("members") or [])
    if members:
        member_ids = {getattr(m, "pk", m) for m in members}
        found = list(User.objects.filter(pk__in=member_ids, team=team, role=Role.MANAGER).order_by("pk"))
        if len(found) != len(member_ids):
            errors["members"] = [_("Choose managers of the team %(team)s.") % {"team": team}]
        members = found
    _raise(errors)
    return values, members


@transaction.atomic
def distribution_rule_create(*, by: User, team: Team, data: dict[str, Any]) -> DistributionRule:
    """A new rule, placed last in the team's order."""
    require_team(by, team)
    values, members = clean_distribution_rule(team, data)
    rows = DistributionRule.objects.filter(team=team)
    rule = DistributionRule(team=team, position=_next_position(rows), created_by=_actor(by), **values)
    rule.full_clean()
    rule.save()
    rule.members.set(members)
    audit_create(actor=by, instance=rule, fields=["team", "position", *DISTRIBUTION_FIELDS])
    if members:
        audit_event(actor=by, instance=rule, event="members", changes={"members": [[], _ids(members)]})
    return rule


@transaction.atomic
def distribution_rule_update(*, by: User, rule: DistributionRule, data: dict[str, Any]) -> DistributionRule:
    require_team(by, rule.team)
    current = {name: getattr(rule, name) for name in DISTRIBUTION_FIELDS}
    values, members = clean_distribution_rule(rule.team, {**current, "members": rule.members.all(), **data})
    rule, _changes = model_update(instance=rule, data=values, actor=by)
    old = sorted(rule.members.values_list("pk", flat=True))
    if old != _ids(members):
        rule.members.set(members)
        audit_event(actor=by, instance=rule, event="members", changes={"members": [old, _ids(members)]})
    return rule


@transaction.atomic
def distribution_rule_set_active(*, by: User, rule: DistributionRule, active: bool) -> DistributionRule:
    """Switch a rule off (kept, with its history) or back on (it goes last)."""
    require_team(by, rule.team)
    data: dict[str, Any] = {"is_active": active}
    if active and not rule.is_active:
        data["position"] = _next_position(DistributionRule.objects.filter(team=rule.team))
    rule, _changes = model_update(instance=rule, data=data, actor=by)
    return rule


@transaction.atomic
def distribution_rule_move(*, by: User, rule: DistributionRule, offset: int) -> DistributionRule:
    """Move a rule up (offset -1) or down (+1) in its team's order."""
    require_team(by, rule.team)
    _move(DistributionRule.objects.filter(team=rule.team), rule, offset, by)
    return rule


def _ids(users: Iterable[Model]) -> list[int]:
    return sorted(int(u.pk) for u in users)


# --- Temperature rules ---------------------------------------------------------------------


def clean_temperature_rule(data: dict[str, Any]) -> dict[str, Any]:
    errors: Errors = {}
    values: dict[str, Any] = {
        "name": _name(data, errors),
        "temperature": data.get("temperature") or "",
        "sources": _choices(data.get("sources"), Source.values, "sources", errors),
        "origins": _choices(data.get("origins"), Origin.values, "origins", errors),
        "keywords": clean_list(data.get("keywords"), 60),
        "min_touches": 0,
        "max_age_days": None,
    }
    if values["temperature"] not in Temperature.values:
        errors["temperature"] = [_("Choose cold, warm or hot.")]
    if data.get("min_touches") not in (None, ""):
        values["min_touches"] = _int(data, "min_touches", errors, low=0, high=1000)
    if data.get("max_age_days") not in (None, ""):
        values["max_age_days"] = _int(data, "max_age_days", errors, low=1, high=3650)
    _raise(errors)
    return values


def _temperature_scope(team: Team | None) -> QuerySet[TemperatureRule]:
    if team is None:
        return TemperatureRule.objects.filter(team__isnull=True)
    return TemperatureRule.objects.filter(team=team)


@transaction.atomic
def temperature_rule_create(*, by: User, team: Team | None, data: dict[str, Any]) -> TemperatureRule:
    """A new temperature rule for `team` (None: every team), placed last in its list."""
    require_team(by, team)
    values = clean_temperature_rule(data)
    rule = TemperatureRule(
        team=team,
        position=_next_position(_temperature_scope(team)),
        created_by=_actor(by),
        **values,
    )
    rule.full_clean()
    rule.save()
    audit_create(actor=by, instance=rule, fields=["team", "position", *TEMPERATURE_FIELDS])
    return rule


@transaction.atomic
def temperature_rule_update(*, by: User, rule: TemperatureRule, data: dict[str, Any]) -> TemperatureRule:
    require_team(by, rule.team)
    current = {name: getattr(rule, name) for name in TEMPERATURE_FIELDS}
    rule, _changes = model_update(instance=rule, data=clean_temperature_rule({**current, **data}), actor=by)
    return rule


@transaction.atomic
def temperature_rule_set_active(*, by: User, rule: TemperatureRule, active: bool) -> TemperatureRule:
    require_team(by, rule.team)
    data: dict[str, Any] = {"is_active": active}
    if active and not rule.is_active:
        data["position"] = _next_position(_temperature_scope(rule.team))
    rule, _changes = model_update(instance=rule, data=data, actor=by)
    return rule


@transaction.atomic
def temperature_rule_move(*, by: User, rule: TemperatureRule, offset: int) -> TemperatureRule:
    require_team(by, rule.team)
    _move(_temperature_scope(rule.team), rule, offset, by)
    return rule


# --- Refusal reasons -----------------------------------------------------------------------


def clean_refusal_reason(data: dict[str, Any], *, reason: RefusalReason | None = None) -> dict[str, Any]:
    errors: Errors = {}
    values: dict[str, Any] = {"name": _name(data, errors, max_length=100)}
    if reason is not None and reason.code in DEFAULT_REFUSAL_REASONS and values["name"] != reason.name:
        errors["name"] = [_("Built-in reasons keep their translated name; add a new reason instead.")]
    if data.get("position") not in (None, ""):
        values["position"] = _int(data, "position", errors, low=0, high=1000)
    if reason is None:
        code = str(data.get("code") or "").strip().lower()
        if not CODE_RE.match(code) or len(code) > 40:
            errors["code"] = [_("Use lowercase letters, digits, - and _ (up to 40).")]
        elif RefusalReason.objects.filter(code=code).exists():
            errors["code"] = [_("A reason with this code exists already.")]
        values["code"] = code
    _raise(errors)
    return values


@transaction.atomic
def refusal_reason_create(*, by: User, data: dict[str, Any]) -> RefusalReason:
    require(by, "manage_settings")
    values = clean_refusal_reason(data)
    values.setdefault("position", _next_position(RefusalReason.objects.all()))
    reason = RefusalReason(**values)
    reason.full_clean()
    reason.save()
    audit_create(actor=by, instance=reason, fields=REFUSAL_FIELDS)
    return reason


@transaction.atomic
def refusal_reason_update(*, by: User, reason: RefusalReason, data: dict[str, Any]) -> RefusalReason:
    require(by, "manage_settings")
    current = {"name": reason.name, "position": reason.position}
    values = clean_refusal_reason({**current, **data}, reason=reason)
    reason, _changes = model_update(instance=reason, data=values, actor=by)
    return reason


@transaction.atomic
def refusal_reason_set_active(*, by: User, reason: RefusalReason, active: bool) -> RefusalReason:
    """Switch a reason off: refused leads keep it, new refusals cannot choose it."""
    require(by, "manage_settings")
    if not active and RefusalReason.objects.filter(is_active=True).exclude(pk=reason.pk).count() == 0:
        raise ConflictError(
            _("Keep at least one reason switched on."),
            errors={"is_active": [_("This is the last active reason.")]},
        )
    reason, _changes = model_update(instance=reason, data={"is_active": active}, actor=by)
    return reason


def refusal_reason_usage(reason: RefusalReason) -> int:
    return Lead.objects.filter(refusal_reason=reason).count()


@transaction.atomic
def refusal_reason_delete(*, by: User, reason: RefusalReason) -> None:
    """Delete a reason nobody used; a used one must be switched off instead."""
    require(by, "manage_settings")
    used = refusal_reason_usage(reason)
    if used:
        raise ConflictError(
            _("%(count)s leads were refused with this reason: switch it off instead.") % {"count": used},
            errors={"__all__": [_("Used reasons are switched off, not deleted.")]},
        )
    audit_event(
        actor=by, instance=reason, event="deleted", changes={"code": reason.code, "name": reason.name}
    )
    reason.delete()
