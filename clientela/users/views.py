"""Sign-in, password, profile and the user/team settings pages. Thin: forms in, services out."""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientela.core.errors import BusinessError
from clientela.core.forms import add_business_error
from clientela.core.hooks import Hook
from clientela.core.http import AuthedRequest
from clientela.core.permissions import user_can
from clientela.core.roles import Role
from clientela.users import selectors, services
from clientela.users.forms import (
    LoginForm,
    PasswordResetRequestForm,
    ProfileForm,
    TeamForm,
    TokenCreateForm,
    UserCreateForm,
    UserEditForm,
)
from clientela.users.models import ApiToken, Team


class LoginView(auth_views.LoginView):
    template_name = "users/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "users/password_change.html"
    success_url = reverse_lazy("users:profile")

    request: AuthedRequest

    def form_valid(self, form):
        services.user_set_password(
            by=self.request.user, user=self.request.user, password=form.cleaned_data["new_password1"]
        )
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password has been changed."))
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "users/password_reset_confirm.html"
    success_url = reverse_lazy("users:login")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been set. You can sign in now."))
        return response


def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(email=form.cleaned_data["email"], site_url=settings.SITE_URL)
        return render(request, "users/password_reset_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "users/password_reset.html", {"form": form})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; saved on the profile of a signed-in user."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    response = redirect(next_url)
    if language in dict(settings.LANGUAGES) and check_for_language(language):
        if request.user.is_authenticated:
            services.user_update(by=request.user, user=request.user, data={"language": language})
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


# Cards the apps above add to a person's profile page (analytics: the weekly digest opt-in):
# `fn(request) -> str`, rendered HTML, or "" when there is nothing to show.
PROFILE_BLOCKS: Hook[Any] = Hook("users.profile_blocks")


def _profile_blocks(request: AuthedRequest) -> list[str]:
    return [html for block in PROFILE_BLOCKS if (html := block(request))]


@login_required
def profile(request: AuthedRequest) -> HttpResponse:
    # The form edits a copy: services compare against the stored record to audit what changed.
    form = ProfileForm(request.POST or None, instance=copy.copy(request.user))
    token_form = TokenCreateForm()
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(by=request.user, user=request.user, data=_changed(form))
        except BusinessError as exc:
            add_business_error(form, exc)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("users:profile")
    tokens = request.user.api_tokens.filter(revoked_at__isnull=True)
    return render(
        request,
        "users/profile.html",
        {"form": form, "token_form": token_form, "tokens": tokens, "blocks": _profile_blocks(request)},
    )


@login_required
@require_POST
def token_create(request: AuthedRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return redirect("users:profile")
    _token, raw = services.token_create(user=request.user, name=form.cleaned_data["name"], by=request.user)
    tokens = request.user.api_tokens.filter(revoked_at__isnull=True)
    return render(
        request,
        "users/profile.html",
        {
            "form": ProfileForm(instance=request.user),
            "token_form": TokenCreateForm(),
            "tokens": tokens,
            "new_token": raw,
            "blocks": _profile_blocks(request),
        },
    )


@login_required
@require_POST
def token_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user, revoked_at__isnull=True)
    services.token_revoke(token=token, by=request.user)
    messages.success(request, _("Token revoked."))
    return redirect("users:profile")


def _require_capability(request: AuthedRequest, capability: str) -> None:
    if not user_can(request.user, capability):
        raise PermissionDenied


def _changed(form) -> dict:
    return {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}


@login_required
def user_list(request: AuthedRequest) -> HttpResponse:
    _require_capability(request, "view_team_settings")
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    users = selectors.user_list(viewer=request.user, q=q, role=role)
    context = {
        "users": users,
        "q": q,
        "role": role,
        "roles": Role.choices,
        "can_manage": user_can(request.user, "manage_users"),
    }
    template = "users/user_list.html#user-table" if request.htmx else "users/user_list.html"
    return render(request, template, context)


@login_required
def user_create(request: AuthedRequest) -> HttpResponse:
    _require_capability(request, "manage_users")
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(by=request.user, **form.cleaned_data)
        except BusinessError as exc:
            add_business_error(form, exc)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": user})
            return redirect("users:user_list")
    return render(request, "users/user_form.html", {"form": form, "title": _("New user")})


@login_required
def user_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_capability(request, "manage_users")
    target = get_object_or_404(selectors.users_visible_to(request.user), pk=pk)
    form = UserEditForm(request.POST or None, instance=copy.copy(target))
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(by=request.user, user=target, data=_changed(form))
        except BusinessError as exc:
            add_business_error(form, exc)
        else:
            messages.success(request, _("User %(name)s saved.") % {"name": target})
            return redirect("users:user_list")
    return render(request, "users/user_form.html", {"form": form, "title": str(target), "target": target})


@login_required
def team_list(request: AuthedRequest) -> HttpResponse:
    _require_capability(request, "view_team_settings")
    teams = selectors.teams_visible_to(request.user)
    return render(
        request,
        "users/team_list.html",
        {"teams": teams, "can_manage": user_can(request.user, "manage_teams")},
    )


@login_required
def team_form(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    _require_capability(request, "manage_teams")
    team = get_object_or_404(Team, pk=pk) if pk else None
    form = TeamForm(request.POST or None, instance=copy.copy(team) if team else None)
    if request.method == "POST" and form.is_valid():
        try:
            if team is None:
                data = {k: v for k, v in form.cleaned_data.items() if k != "is_active"}
                team = services.team_create(by=request.user, **data)
            else:
                services.team_update(by=request.user, team=team, data=_changed(form))
        except BusinessError as exc:
            add_business_error(form, exc)
        else:
            messages.success(request, _("Team %(name)s saved.") % {"name": team})
            return redirect(reverse("users:team_list"))
    title = str(team) if team else _("New team")
    return render(request, "users/team_form.html", {"form": form, "title": title, "team": team})
