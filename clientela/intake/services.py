"""Writes on intake forms (the public doors with a key): create, edit, deactivate, new key.

Marketers and heads of sales manage their team's forms, admins every form (capability
"manage_intake"). Every change is audited.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from clientela.core.audit import audit_create, audit_event, model_update
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.normalise import clean_text
from clientela.core.permissions import require, role_of, visible_team_ids
from clientela.core.roles import Role
from clientela.core.validation import max_lengths, too_long
from clientela.intake.choices import FormKind
from clientela.intake.models import IntakeForm, new_form_key
from clientela.leads.choices import Source
from clientela.users.models import Team, User

FORM_AUDIT_FIELDS = [
    "name",
    "kind",
    "team",
    "default_source",
    "default_campaign",
    "rate_limit_per_hour",
    "is_active",
]
EDITABLE_FIELDS = {
    "name",
    "kind",
    "team",
    "default_source",
    "default_campaign",
    "rate_limit_per_hour",
    "is_active",
}
MAX_RATE_LIMIT = 10_000


def _may_use_team(by: User, team: Team | None) -> bool:
    teams = visible_team_ids(by)
    if teams is None:  # admin
        return True
    return team is not None and team.pk in teams


def require_form_access(by: User, form: IntakeForm) -> None:
    """The user may manage intake forms and this one belongs to one of their teams."""
    require(by, "manage_intake")
    if role_of(by) == Role.ADMIN:
        return
    teams = visible_team_ids(by) or set()
    if form.team_id not in teams:
        raise PermissionDeniedError(_("You cannot change this form."))


# An intake form's texts and their limits (the model's columns).
FORM_LIMITS = max_lengths(IntakeForm, ("name", "default_campaign"))


def _clean(data: dict[str, Any], by: User) -> dict[str, Any]:
    """Check and tidy form fields; raise BusinessError naming each bad field."""
    errors: dict[str, list[str]] = {}
    cleaned = dict(data)
    if "name" in cleaned:
        cleaned["name"] = clean_text(cleaned["name"])
        if not cleaned["name"]:
            errors["name"] = [_("This field is required.")]
        elif len(cleaned["name"]) > FORM_LIMITS["name"]:
            errors["name"] = [too_long(FORM_LIMITS["name"])]
    if "kind" in cleaned and cleaned["kind"] not in FormKind.values:
        errors["kind"] = [_("Choose one of: %s.") % ", ".join(FormKind.values)]
    if "default_source" in cleaned and cleaned["default_source"] not in Source.values:
        errors["default_source"] = [_("Unknown source “%(value)s”.") % {"value": cleaned["default_source"]}]
    if "default_campaign" in cleaned:
        cleaned["default_campaign"] = clean_text(cleaned["default_campaign"])
        if len(cleaned["default_campaign"]) > FORM_LIMITS["default_campaign"]:
            errors["default_campaign"] = [too_long(FORM_LIMITS["default_campaign"])]
    if "rate_limit_per_hour" in cleaned:
        limit = cleaned["rate_limit_per_hour"]
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_RATE_LIMIT:
            errors["rate_limit_per_hour"] = [
                _("Use a whole number from 1 to %(max)d.") % {"max": MAX_RATE_LIMIT}
            ]
    if "team" in cleaned:
        team = cleaned["team"]
        if team is None and role_of(by) != Role.ADMIN:
            errors["team"] = [_("Choose the team whose leads this form collects.")]
        elif not _may_use_team(by, team):
            errors["team"] = [_("Choose one of your teams.")]
    if "is_active" in cleaned:
        cleaned["is_active"] = bool(cleaned["is_active"])
    if errors:
        raise BusinessError(_("Some fields are not valid."), errors=errors, status=422)
    return cleaned


def _check_unique_name(name: str, team: Team | None, exclude_pk: int | None = None) -> None:
    clash = IntakeForm.objects.filter(name__iexact=name, team=team, is_active=True)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise BusinessError(
            _("This team already has an active form with this name."),
            errors={"name": [_("Choose another name.")]},
            status=422,
        )


@transaction.atomic
def intake_form_create(
    *,
    by: User,
    name: str,
    kind: str = FormKind.FORM,
    team: Team | None = None,
    default_source: str | None = None,
    default_campaign: str = "",
    rate_limit_per_hour: int = 20,
) -> IntakeForm:
    """A new public door for a team. Without a source, web forms count as "web form" and
    callback widgets as "callback request"."""
    require(by, "manage_intake")
    if team is None and role_of(by) != Role.ADMIN:
        team = getattr(by, "team", None)
    if default_source is None or default_source == "":
        default_source = Source.CALLBACK if kind == FormKind.CALLBACK else Source.WEB_FORM
    values = _clean(
        {
            "name": name,
            "kind": kind,
            "team": team,
            "default_source": default_source,
            "default_campaign": default_campaign,
            "rate_limit_per_hour": rate_limit_per_hour,
        },
        by,
    )
    _check_unique_name(values["name"], values["team"])
    form = IntakeForm(**values, created_by=by if getattr(by, "is_authenticated", False) else None)
    form.full_clean()
    form.save()
    audit_create(actor=by, instance=form, fields=FORM_AUDIT_FIELDS)
    return form


@transaction.atomic
def intake_form_update(*, by: User, form: IntakeForm, data: dict[str, Any]) -> IntakeForm:
    """Change a form's name, kind, team, defaults, rate limit or active flag (audited)."""
    require_form_access(by, form)
    unknown = sorted(set(data) - EDITABLE_FIELDS)
    if unknown:
        raise BusinessError(
            _("These fields cannot be changed."),
            errors={name: [_("This field cannot be changed.")] for name in unknown},
            status=422,
        )
    values = _clean(data, by)
    name = values.get("name", form.name)
    team = values.get("team", form.team)
    if values.get("is_active", form.is_active) and (
        "name" in values or "team" in values or "is_active" in values
    ):
        _check_unique_name(name, team, exclude_pk=form.pk)
    form, _changes = model_update(instance=form, data=values, actor=by)
    return form


@transaction.atomic
def intake_form_deactivate(*, by: User, form: IntakeForm) -> IntakeForm:
    """Close the door: posts with this key answer 404 from now on. Nothing is deleted."""
    require_form_access(by, form)
    if not form.is_active:
        return form
    form, _changes = model_update(instance=form, data={"is_active": False}, actor=by)
    return form


@transaction.atomic
def intake_form_rotate_key(*, by: User, form: IntakeForm) -> IntakeForm:
    """Give the form a new key (the old one leaked or is abused); the old key stops working."""
    require_form_access(by, form)
    old_prefix = form.key[:6]
    form.key = new_form_key()
    form.updated_by = by if getattr(by, "is_authenticated", False) else None
    form.save(update_fields=["key", "updated_by", "updated_at"])
    # The key is a credential: the audit keeps only its first characters.
    audit_event(actor=by, instance=form, event="key_rotated", changes={"key": [old_prefix, form.key[:6]]})
    return form
