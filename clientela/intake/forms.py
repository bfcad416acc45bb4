"""Forms of the intake-form settings pages (the services check everything again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clientela.core.permissions import role_of
from clientela.core.roles import Role
from clientela.core.validation import limit_widgets
from clientela.intake.choices import FormKind
from clientela.intake.models import IntakeForm
from clientela.intake.services import FORM_LIMITS, MAX_RATE_LIMIT
from clientela.leads.choices import Source
from clientela.users.models import Team
from clientela.users.selectors import teams_visible_to


class IntakeFormForm(forms.Form):
    name = forms.CharField(label=_("Name"), help_text=_("For you, e.g. “Pricing page form”."))
    kind = forms.ChoiceField(label=_("Kind"), choices=FormKind.choices, initial=FormKind.FORM)
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.none(),
        required=False,
        help_text=_("Leads from this form are distributed in this team."),
    )
    default_source = forms.ChoiceField(
        label=_("Source"),
        choices=[("", _("By kind: web form or callback request")), *Source.choices],
        required=False,
        help_text=_("Recorded on each lead unless the form sends its own."),
    )
    default_campaign = forms.CharField(label=_("Campaign"), required=False)
    rate_limit_per_hour = forms.IntegerField(
        label=_("Submissions per hour per address"),
        min_value=1,
        max_value=MAX_RATE_LIMIT,
        initial=20,
        help_text=_("More from one address within an hour are refused (spam protection)."),
    )
    is_active = forms.BooleanField(label=_("Active (accepts submissions)"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any, instance: IntakeForm | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": instance.name,
                    "kind": instance.kind,
                    "team": instance.team_id,
                    "default_source": instance.default_source,
                    "default_campaign": instance.default_campaign,
                    "rate_limit_per_hour": instance.rate_limit_per_hour,
                    "is_active": instance.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        self.instance = instance
        limit_widgets(self.fields, FORM_LIMITS)  # checked by the intake form services
        team_field = self.fields["team"]
        assert isinstance(team_field, forms.ModelChoiceField)
        team_field.queryset = teams_visible_to(user).filter(is_active=True).order_by("name")
        if role_of(user) == Role.ADMIN:
            team_field.empty_label = _("No team (leads wait for an admin)")
        else:
            team_field.required = True
            team_field.empty_label = None
            if instance is None and getattr(user, "team_id", None):
                self.initial.setdefault("team", user.team_id)
        # Numbers go to the page as plain strings: the shared field template would localise
        # them ("10,000"), which number inputs and IntegerField cannot read back.
        rate_field = self.fields["rate_limit_per_hour"]
        rate_field.widget.attrs.update(min="1", max=str(MAX_RATE_LIMIT))
        if self.initial.get("rate_limit_per_hour") is not None:
            self.initial["rate_limit_per_hour"] = str(self.initial["rate_limit_per_hour"])
        if instance is None:
            self.initial.setdefault("rate_limit_per_hour", "20")
            del self.fields["is_active"]
        else:
            source_field = self.fields["default_source"]
            assert isinstance(source_field, forms.ChoiceField)
            source_field.choices = Source.choices
            source_field.required = True

    def changes(self) -> dict[str, Any]:
        """The fields the user changed, as the update service takes them."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name in self.cleaned_data}
