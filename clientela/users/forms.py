from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from clientela.core.roles import Role
from clientela.users.models import Team, User

TIME_ZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz or tz == "UTC"]


def user_zone_field(team: Team | None) -> forms.ChoiceField:
    """A person's own time zone; empty means their team's (named, so they know what it is)."""
    team_zone = (team.time_zone if team is not None else "") or settings.TIME_ZONE
    return forms.ChoiceField(
        label=_("Time zone"),
        choices=[("", _("Team's time zone (%(zone)s)") % {"zone": team_zone}), *TIME_ZONE_CHOICES],
        required=False,
        help_text=_("Dates and times are shown in this zone. Empty: your team's time zone."),
    )


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Wrong username or password. Both are case-sensitive."),
        "inactive": _("This account is switched off. Ask your administrator."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autofocus": True, "autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"autofocus": True})
    )


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MANAGER)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, initial="en")
    time_zone = forms.ChoiceField(required=False)
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"] = user_zone_field(None)


class UserEditForm(forms.ModelForm):
    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "role",
            "team",
            "language",
            "time_zone",
            "is_active",
            "is_absent",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"] = user_zone_field(self.instance.team)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "phone", "language", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"] = user_zone_field(self.instance.team)


class TeamForm(forms.ModelForm):
    default_country = forms.CharField(label=_("Default country"), max_length=60, required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES, initial="UTC")

    class Meta:
        model = Team
        fields = ["name", "head", "default_country", "time_zone", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["head"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(is_active=True, role__in=[Role.HEAD, Role.ADMIN])
        )

    def clean_default_country(self) -> str:
        value = (self.cleaned_data.get("default_country") or "").strip().upper()
        if value and (len(value) != 2 or not value.isalpha()):
            raise forms.ValidationError(_("Use a two-letter country code, e.g. RO, HU, MY."))
        return value


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100, required=False)
