"""Writes for users, teams and API tokens. Every change is audited."""

from __future__ import annotations

import hashlib
import secrets
import zoneinfo
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.audit import audit_create, audit_event, model_update
from clientela.core.errors import BusinessError
from clientela.core.permissions import require
from clientela.core.roles import Role
from clientela.core.tasks import enqueue_on_commit
from clientela.users.models import ApiToken, Team, User
from clientela.users.tasks import send_password_reset_email

TOKEN_PREFIX = "clt_"  # noqa: S105 (a prefix, not a secret)
USER_AUDIT_FIELDS = [
    "username",
    "first_name",
    "last_name",
    "email",
    "role",
    "team",
    "language",
    "time_zone",
    "is_active",
]
TOKEN_TOUCH_INTERVAL_SECONDS = 60


def _clean_time_zone(value: Any) -> str:
    """A person's own zone: empty (their team's) or a real IANA name such as Europe/Bucharest."""
    name = (value or "").strip()
    if not name:
        return ""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        message = _("Unknown time zone: %(name)s. Use an IANA name such as Europe/Bucharest.") % {
            "name": name
        }
        raise BusinessError(message, errors={"time_zone": [message]}) from None
    return name


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise BusinessError(
            _("Choose a stronger password."), errors={"password": list(exc.messages)}
        ) from exc


@transaction.atomic
def user_create(
    *,
    by: User | None,
    username: str,
    password: str,
    role: str = Role.MANAGER,
    team: Team | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    language: str = "en",
    time_zone: str = "",
    check_permission: bool = True,
) -> User:
    """Create a user. `check_permission=False` is for the CLI and demo, which act as the system."""
    if check_permission:
        require(by, "manage_users")
    username = username.strip()
    if not username:
        raise BusinessError(_("A username is required."), errors={"username": [_("This field is required.")]})
    if User.objects.filter(username__iexact=username).exists():
        raise BusinessError(
            _("This username is taken."),
            errors={"username": [_("A user with this username already exists.")]},
        )
    if role not in Role.values:
        raise BusinessError(
            _("Unknown role."), errors={"role": [_("Choose one of: %s.") % ", ".join(Role.values)]}
        )
    user = User(
        username=username,
        role=role,
        team=team,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip().lower(),
        language=language,
        time_zone=_clean_time_zone(time_zone),
    )
    _check_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit_create(actor=by, instance=user, fields=USER_AUDIT_FIELDS)
    return user


@transaction.atomic
def user_update(*, by: User, user: User, data: dict[str, Any]) -> User:
    """Change a user's profile, role, team or active flag."""
    self_service = {"first_name", "last_name", "email", "language", "phone", "time_zone"}
    if by.pk != user.pk or not set(data) <= self_service:
        require(by, "manage_users")
    if "time_zone" in data:
        data["time_zone"] = _clean_time_zone(data["time_zone"])
    if "email" in data:
        data["email"] = (data["email"] or "").strip().lower()
    if by.pk == user.pk and data.get("is_active") is False:
        raise BusinessError(
            _("You cannot deactivate yourself."), errors={"is_active": [_("Ask another admin.")]}
        )
    user, _changes = model_update(instance=user, data=data, actor=by)
    return user


@transaction.atomic
def user_set_password(*, by: User, user: User, password: str) -> None:
    if by.pk != user.pk:
        require(by, "manage_users")
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_event(actor=by, instance=user, event="password_set")


@transaction.atomic
def team_create(
    *,
    by: User | None,
    name: str,
    head: User | None = None,
    default_country: str = "",
    time_zone: str = "UTC",
    check_permission: bool = True,
) -> Team:
    if check_permission:
        require(by, "manage_teams")
    name = name.strip()
    if Team.objects.filter(name__iexact=name).exists():
        raise BusinessError(
            _("This team exists already."), errors={"name": [_("A team with this name exists.")]}
        )
    team = Team(
        name=name,
        head=head,
        default_country=default_country.upper(),
        time_zone=time_zone,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    team.full_clean()
    team.save()
    audit_create(actor=by, instance=team, fields=["name", "head", "default_country", "time_zone"])
    return team


@transaction.atomic
def team_update(*, by: User, team: Team, data: dict[str, Any]) -> Team:
    require(by, "manage_teams")
    if "default_country" in data:
        data["default_country"] = (data["default_country"] or "").upper()
    team, _changes = model_update(instance=team, data=data, actor=by)
    return team


def _hash_token(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str = "", by: User | None = None) -> tuple[ApiToken, str]:
    """Make an API token for `user`. Returns the record and the raw token (shown only now)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:12], key_hash=_hash_token(raw))
    audit_event(actor=by or user, instance=user, event="api_token_created", changes={"token": token.prefix})
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, by: User) -> None:
    if by.pk != token.user_id:
        require(by, "manage_users")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_event(actor=by, instance=token.user, event="api_token_revoked", changes={"token": token.prefix})


def token_authenticate(*, raw_token: str) -> User | None:
    """The active user owning this unrevoked token, or None."""
    if not raw_token.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_token(raw_token), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    stale = (
        token.last_used_at is None
        or (now - token.last_used_at).total_seconds() > TOKEN_TOUCH_INTERVAL_SECONDS
    )
    if stale:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def password_reset_request(*, email: str, site_url: str) -> int:
    """Queue a reset e-mail to every active user with this address. Returns how many were queued.

    The answer to the person asking never says whether the address exists.
    """

    users = list(User.objects.filter(email__iexact=email.strip(), is_active=True))
    for user in users:
        if user.has_usable_password():
            enqueue_on_commit(send_password_reset_email, user_id=user.pk, site_url=site_url)
    return len(users)
