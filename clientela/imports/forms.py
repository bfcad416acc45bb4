"""Forms of the import screens: the upload, and the column mapping built from the file."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.imports.files import fields_for
from clientela.imports.leads import can_import, importable_teams
from clientela.imports.models import ImportJob, ImportKind
from clientela.imports.records import can_import_records, record_teams
from clientela.leads.choices import Source
from clientela.users.models import Team

MAX_UPLOAD_BYTES = 512 * 1024 * 1024


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("The file holds"),
        choices=ImportKind.choices,
        initial=ImportKind.LEADS,
        required=False,
        help_text=gettext_lazy("Leads by default."),
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (any common encoding, comma or semicolon) or XLSX, with a header row."),
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"),
        queryset=Team.objects.none(),
        help_text=gettext_lazy(
            "Leads are distributed by this team's rules; clients without a personal manager stay in it."
        ),
    )
    default_country = forms.CharField(
        label=gettext_lazy("Default country"),
        max_length=2,
        required=False,
        help_text=gettext_lazy(
            "For phone numbers without a country code, and the country of clients without one. "
            "Empty: the team's country."
        ),
    )
    default_source = forms.ChoiceField(
        label=gettext_lazy("Source of rows without one"), choices=Source.choices, initial=Source.IMPORT
    )
    default_campaign = forms.CharField(
        label=gettext_lazy("Campaign of rows without one"), max_length=100, required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        kinds = [(value, label) for value, label in ImportKind.choices if self._may(value)]
        kind_field = self.fields["kind"]
        assert isinstance(kind_field, forms.ChoiceField)
        kind_field.choices = kinds
        if len(kinds) == 1:
            kind_field.initial = kinds[0][0]
        either = {t.pk: t for t in [*importable_teams(user), *record_teams(user)]}
        teams = sorted(either.values(), key=lambda t: t.name)
        team_field = self.fields["team"]
        assert isinstance(team_field, forms.ModelChoiceField)
        team_field.queryset = Team.objects.filter(pk__in=[t.pk for t in teams]).order_by("name")
        if user.team_id in {t.pk for t in teams}:
            self.fields["team"].initial = user.team_id
        elif len(teams) == 1:
            self.fields["team"].initial = teams[0].pk

    def _may(self, kind: str) -> bool:
        return can_import(self.user) if kind == ImportKind.LEADS else can_import_records(self.user)

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or ImportKind.LEADS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, team = data.get("kind"), data.get("team")
        if kind and team is not None:
            allowed = importable_teams(self.user) if kind == ImportKind.LEADS else record_teams(self.user)
            if team.pk not in {t.pk for t in allowed}:
                self.add_error("team", _("You cannot import into this team."))
        return data

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 512 MB; split it or use the command line.")
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload

    def clean_default_country(self) -> str:
        value = self.cleaned_data["default_country"].strip().upper()
        if value and (len(value) != 2 or not value.isalpha()):
            raise forms.ValidationError(_("Use a two-letter country code, e.g. RO, HU, MY."))
        return value


class MappingForm(forms.Form):
    """One choice per column of the file, pre-filled with the suggestion."""

    def __init__(self, *args: Any, job: ImportJob, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.job = job
        choices = [
            ("", _("— ignore this column —")),
            *[(name, str(label)) for name, label in fields_for(job.kind)],
        ]
        by_header = job.mapping or {}
        for index, header in enumerate(job.columns):
            key = header if header in by_header else f"#{index + 1}"
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or _("Column %(n)s") % {"n": index + 1},
                choices=choices,
                required=False,
                initial=by_header.get(key, ""),
            )

    def mapping(self) -> dict[str, str]:
        """`{header or #n: field}` for the service (duplicates and empty headers by number)."""
        result: dict[str, str] = {}
        headers = self.job.columns
        for index, header in enumerate(headers):
            target = self.cleaned_data.get(f"col_{index}", "")
            unique = header and headers.count(header) == 1
            result[header if unique else f"#{index + 1}"] = target
        return result

    def columns(self) -> list[tuple[int, Any]]:
        return [(index, self[f"col_{index}"]) for index in range(len(self.job.columns))]
