"""Forms of the lead settings pages. They parse what was typed; settings_services validate and write."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clientela.core.roles import Role
from clientela.leads.choices import AssignmentStrategy, Origin, QualificationItem, Source, Temperature
from clientela.leads.models import DistributionRule, LeadPolicy, RefusalReason, TemperatureRule
from clientela.leads.policy import DEFAULT_REFUSAL_REASONS
from clientela.users.models import Team, User

_separators = re.compile(r"[,;\n]")


class ListField(forms.CharField):
    """A list typed as comma-separated text ("RO, HU, MD")."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        return [part.strip() for part in _separators.split(text or "") if part.strip()]


def _checkboxes(choices: Any, label: Any, help_text: Any = "") -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


class LeadPolicyForm(forms.Form):
    qualification_items = forms.MultipleChoiceField(
        label=_("Required qualification items"),
        choices=QualificationItem.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A lead is qualified when all the checked items hold."),
    )
    capacity_cap = forms.IntegerField(
        label=_("Capacity cap"),
        min_value=1,
        help_text=_("Managers with this many open leads and active clients get no new leads."),
    )
    strategy = forms.ChoiceField(
        label=_("Assignment within a group"),
        choices=AssignmentStrategy.choices,
        help_text=_("Used by rules that do not choose their own."),
    )
    conversion_window_days = forms.IntegerField(
        label=_("Conversion window (days)"),
        min_value=7,
        max_value=3650,
        help_text=_("Managers are ranked by their conversion rate over this many days."),
    )
    min_closed_for_ranking = forms.IntegerField(
        label=_("Closed leads before a manager is ranked"),
        min_value=0,
        help_text=_("With fewer converted or refused leads in the window, a manager is a beginner."),
    )
    top_converter_share = forms.IntegerField(
        label=_("Best converters (% of ranked managers)"),
        min_value=1,
        max_value=100,
        help_text=_("Hot and warm leads go to this top share."),
    )
    hot_warm_to_beginners = forms.BooleanField(
        label=_("Hot and warm leads may go to beginners"), required=False
    )

    @classmethod
    def for_policy(cls, policy: LeadPolicy, data: Any = None) -> LeadPolicyForm:
        initial = {
            "qualification_items": policy.required_items,
            "capacity_cap": policy.capacity_cap,
            "strategy": policy.strategy,
            "conversion_window_days": policy.conversion_window_days,
            "min_closed_for_ranking": policy.min_closed_for_ranking,
            "top_converter_share": policy.top_converter_share,
            "hot_warm_to_beginners": policy.hot_warm_to_beginners,
        }
        return cls(data, initial=initial)


class DistributionRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    countries = ListField(
        label=_("Countries"),
        required=False,
        help_text=_("Two-letter codes separated by commas, e.g. RO, MD. Empty: any country."),
    )
    regions = ListField(
        label=_("Regions"),
        required=False,
        help_text=_(
            "As written on the lead, separated by commas. With countries, both must match. Empty: any region."
        ),
    )
    industries = ListField(
        label=_("Industries"), required=False, help_text=_("Separated by commas. Empty: any industry.")
    )
    products = ListField(
        label=_("Product interests"),
        required=False,
        help_text=_("A lead matches when its interest contains one of these. Empty: any interest."),
    )
    temperatures = _checkboxes(Temperature.choices, _("Temperatures"), _("None checked: any temperature."))
    members = forms.ModelMultipleChoiceField(
        label=_("Managers"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None checked: every manager of the team."),
    )
    best_converters_only = forms.BooleanField(
        label=_("Best converters only"),
        required=False,
        help_text=_("Every lead of this rule goes to the top converters, whatever its temperature."),
    )
    strategy = forms.ChoiceField(
        label=_("Assignment"),
        choices=[("", _("Team default")), *AssignmentStrategy.choices],
        required=False,
    )

    def __init__(self, *args: Any, team: Team, rule: DistributionRule | None = None, **kwargs: Any) -> None:
        if rule is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": rule.name,
                    "countries": rule.countries,
                    "regions": rule.regions,
                    "industries": rule.industries,
                    "products": rule.products,
                    "temperatures": rule.temperatures,
                    "members": list(rule.members.values_list("pk", flat=True)),
                    "best_converters_only": rule.best_converters_only,
                    "strategy": rule.strategy,
                },
            )
        super().__init__(*args, **kwargs)
        members: Any = self.fields["members"]
        members.queryset = User.objects.filter(team=team, role=Role.MANAGER, is_active=True).order_by(
            "first_name", "last_name", "username"
        )


class TemperatureRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    team = forms.ChoiceField(label=_("Applies to"), required=False)
    temperature = forms.ChoiceField(label=_("Temperature"), choices=Temperature.choices)
    sources = _checkboxes(Source.choices, _("Sources"), _("None checked: any source."))
    origins = _checkboxes(Origin.choices, _("Origins"), _("None checked: any origin."))
    keywords = ListField(
        label=_("Answer keywords"),
        required=False,
        help_text=_("Any of these words in the message or interest, separated by commas."),
    )
    min_touches = forms.IntegerField(
        label=_("At least this many touches"), min_value=0, required=False, initial=0
    )
    max_age_days = forms.IntegerField(
        label=_("In touch within (days)"),
        min_value=1,
        required=False,
        help_text=_("Empty: however long ago."),
    )

    def __init__(
        self,
        *args: Any,
        teams: list[Team],
        company_wide: bool,
        rule: TemperatureRule | None = None,
        **kwargs: Any,
    ) -> None:
        if rule is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": rule.name,
                    "team": rule.team_id or "",
                    "temperature": rule.temperature,
                    "sources": rule.sources,
                    "origins": rule.origins,
                    "keywords": rule.keywords,
                    "min_touches": rule.min_touches,
                    "max_age_days": rule.max_age_days,
                },
            )
        super().__init__(*args, **kwargs)
        self.teams = {str(team.pk): team for team in teams}
        choices: list[tuple[str, Any]] = [("", _("Every team"))] if company_wide else []
        choices += [(str(team.pk), team.name) for team in teams]
        team_field: Any = self.fields["team"]
        team_field.choices = choices
        team_field.required = not company_wide
        if rule is not None:
            # A rule stays in its list; make a new rule for another team.
            team_field.disabled = True

    def clean_team(self) -> Team | None:
        value = self.cleaned_data.get("team") or ""
        if not value:
            return None
        return self.teams[value]


class RefusalReasonForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"), max_length=40, help_text=_("Short identifier used by the API and imports.")
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    position = forms.IntegerField(label=_("Order"), min_value=0, required=False)

    def __init__(self, *args: Any, reason: RefusalReason | None = None, **kwargs: Any) -> None:
        if reason is not None:
            kwargs.setdefault(
                "initial", {"code": reason.code, "name": reason.name, "position": reason.position}
            )
        super().__init__(*args, **kwargs)
        if reason is not None:
            self.fields["code"].disabled = True
            if reason.code in DEFAULT_REFUSAL_REASONS:
                self.fields["name"].disabled = True
                self.fields["name"].help_text = _("Built-in reasons are shown translated in every language.")
