"""The kinds of filter a list declares (see `core.listspec`): each gives its page form
field(s), its API parameter(s) and how it narrows a queryset."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import field_validator

if TYPE_CHECKING:
    from clientela.core.listspec.spec import ListValues

Choices = Sequence[tuple[str, Any]]
ChoiceSource = Choices | Callable[[Any], Iterable[Any]]
Apply = Callable[[QuerySet[Any], Any], QuerySet[Any]]

# Default labels (lazy: the reader's language is known per request).
SEARCH_LABEL = gettext_lazy("Search")
OWNER_LABEL = gettext_lazy("Owner")
TEAM_LABEL = gettext_lazy("Team")
EVERY_TEAM = gettext_lazy("Every team")


class DateInput(forms.DateInput):
    input_type = "date"


def check_choice(value: str, allowed: Sequence[str]) -> str:
    """The API's answer to a value outside a filter's choices: a field error naming them."""
    value = (value or "").strip()
    if value and value not in allowed:
        raise ValueError(_("Choose one of: %s.") % ", ".join(allowed))
    return value


def _as_pairs(items: Iterable[Any]) -> list[tuple[str, str]]:
    """Choices from (value, label) pairs or from records (their pk and their name)."""
    pairs = []
    for item in items:
        if isinstance(item, tuple):
            pairs.append((str(item[0]), item[1]))
        else:
            pairs.append((str(item.pk), str(item)))
    return pairs


def _int(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() else None


# --- Filters -------------------------------------------------------------------------------------


@dataclass
class Filter:
    """One filter of a list. Subclasses say how it appears on the page and in the API."""

    name: str
    label: Any = ""
    lookup: str = ""  # narrow with `field=value` …
    apply: Apply | None = None  # … or with this
    page: bool = True
    api: bool = True
    # `apply` also runs for the empty value (archived: "" means the working records).
    apply_empty: bool = False
    # Narrowed by the spec's `prepare` instead (it needs what only the list knows, e.g. the
    # clients' completeness norms).
    by_prepare: bool = False

    def value_defaults(self) -> dict[str, Any]:
        return {self.name: ""}

    # the page
    def form_fields(self) -> dict[str, forms.Field]:
        return {self.name: forms.CharField(label=self.label, required=False)}

    def set_options(self, form: forms.Form, options: list[Any]) -> None:
        """Put a viewer's choices on the form field (filters with computed choices)."""

    def from_form(self, cleaned: dict[str, Any], viewer: Any) -> dict[str, Any]:
        return {self.name: cleaned.get(self.name) or ""}

    def clean_form(self, form: forms.Form, cleaned: dict[str, Any]) -> None:
        """Checks across this filter's fields (a date range the wrong way round)."""

    # the API
    def api_fields(self) -> dict[str, tuple[Any, Any]]:
        return {self.name: (str, "")}

    def api_validators(self) -> dict[str, Any]:
        return {}

    def from_api(self, query: Any) -> dict[str, Any]:
        return {name: getattr(query, name) for name in self.api_fields()}

    # the queryset
    def narrow(self, queryset: QuerySet[Any], values: ListValues) -> QuerySet[Any]:
        value = getattr(values, self.name)
        if self.by_prepare:
            return queryset
        if self.apply is not None and self.apply_empty:
            return self.apply(queryset, value)
        if value in ("", None, False):
            return queryset
        if self.apply is not None:
            return self.apply(queryset, value)
        return queryset.filter(**{self.lookup or self.name: value})

    @property
    def options_source(self) -> Callable[[Any], Iterable[Any]] | None:
        return None


@dataclass
class Search(Filter):
    """The search box: `condition(text)` is the (index-assisted) Q of the list."""

    name: str = "q"
    label: Any = SEARCH_LABEL
    condition: Callable[[str], Q] | None = None
    max_length: int = 200

    def form_fields(self) -> dict[str, forms.Field]:
        return {self.name: forms.CharField(label=self.label, required=False, max_length=self.max_length)}

    def from_form(self, cleaned: dict[str, Any], viewer: Any) -> dict[str, Any]:
        return {self.name: (cleaned.get(self.name) or "").strip()}

    def from_api(self, query: Any) -> dict[str, Any]:
        return {self.name: getattr(query, self.name).strip()}

    def narrow(self, queryset: QuerySet[Any], values: ListValues) -> QuerySet[Any]:
        text = getattr(values, self.name)
        if not text or self.condition is None:
            return queryset
        return queryset.filter(self.condition(text))


@dataclass
class Text(Filter):
    """Free text (campaign, industry, tag, country); `clean` normalises it or raises
    `ValueError` with the message both doors show."""

    max_length: int = 100
    clean: Callable[[str], str] | None = None
    input_max_length: int | None = None

    def _clean(self, value: str) -> str:
        value = (value or "").strip()
        return self.clean(value) if self.clean and value else value

    def form_fields(self) -> dict[str, forms.Field]:
        spec = self

        class TextField(forms.CharField):
            def clean(self, value: Any) -> Any:
                value = super().clean(value)
                try:
                    return spec._clean(value)
                except ValueError as exc:
                    raise forms.ValidationError(str(exc)) from exc

        return {self.name: TextField(label=self.label, required=False, max_length=self.max_length)}

    def api_validators(self) -> dict[str, Any]:
        return {f"_{self.name}": field_validator(self.name)(lambda cls, value: self._clean(value))}


@dataclass
class Choice(Filter):
    """One of a fixed set (`choices`), or of the viewer's (`choices=callable(viewer)`, e.g.
    pipelines: the API then takes the record's id, `api_type=int`)."""

    choices: ChoiceSource = ()
    empty: Any = ""
    api_type: type = str

    @property
    def options_source(self) -> Callable[[Any], Iterable[Any]] | None:
        return self.choices if callable(self.choices) else None

    def form_fields(self) -> dict[str, forms.Field]:
        static = [] if callable(self.choices) else list(self.choices)
        return {
            self.name: forms.ChoiceField(
                label=self.label, required=False, choices=[("", self.empty), *static]
            )
        }

    def set_options(self, form: forms.Form, options: list[Any]) -> None:
        choice_field: Any = form.fields[self.name]
        choice_field.choices = [("", self.empty), *_as_pairs(options)]

    def value_defaults(self) -> dict[str, Any]:
        return {self.name: None if self.api_type is int else ""}

    def from_form(self, cleaned: dict[str, Any], viewer: Any) -> dict[str, Any]:
        value = cleaned.get(self.name) or ""
        return {self.name: _int(value) if self.api_type is int else value}

    def api_fields(self) -> dict[str, tuple[Any, Any]]:
        if self.api_type is int:
            return {self.name: (int | None, None)}
        return {self.name: (str, "")}

    def api_validators(self) -> dict[str, Any]:
        if callable(self.choices):
            return {}
        allowed = [str(value) for value, _label in self.choices]
        return {f"_{self.name}": field_validator(self.name)(lambda cls, value: check_choice(value, allowed))}


@dataclass
class TriState(Filter):
    """Yes, no or either: "yes"/"no" on the page, `true`/`false` in the API."""

    yes: Any = ""
    no: Any = ""
    empty: Any = ""

    def value_defaults(self) -> dict[str, Any]:
        return {self.name: None}

    def form_fields(self) -> dict[str, forms.Field]:
        choices = [("", self.empty), ("yes", self.yes), ("no", self.no)]
        return {self.name: forms.ChoiceField(label=self.label, required=False, choices=choices)}

    def from_form(self, cleaned: dict[str, Any], viewer: Any) -> dict[str, Any]:
        value = cleaned.get(self.name) or ""
        return {self.name: True if value == "yes" else False if value == "no" else None}

    def api_fields(self) -> dict[str, tuple[Any, Any]]:
        return {self.name: (bool | None, None)}

    def narrow(self, queryset: QuerySet[Any], values: ListValues) -> QuerySet[Any]:
        value = getattr(values, self.name)
        if value is None:
            return queryset
        return queryset.filter(**{self.lookup or self.name: value})


@dataclass
class Owner(Filter):
    """Who owns the record. Page: "me", "none" (the team queue, with `unassigned`) or a
    person of `choices(viewer)`; API: `owner` (an id) and `unassigned=true`. Values: `owner`
    (an id or None) and `unassigned`."""

    name: str = "owner"
    label: Any = OWNER_LABEL
    choices: Callable[[Any], Iterable[Any]] | None = None
    unassigned: Any = None  # the label of "none"; None: no such choice (nor API parameter)
    lookup: str = "owner_id"

    @property
    def options_source(self) -> Callable[[Any], Iterable[Any]] | None:
        return self.choices

    def value_defaults(self) -> dict[str, Any]:
        defaults: dict[str, Any] = {self.name: None}
        if self.unassigned is not None:
            defaults["unassigned"] = False
        return defaults

    def form_fields(self) -> dict[str, forms.Field]:
        return {self.name: forms.ChoiceField(label=self.label, required=False)}

    def set_options(self, form: forms.Form, options: list[Any]) -> None:
        fixed: list[tuple[str, Any]] = [("", gettext_lazy("Anyone")), ("me", gettext_lazy("Me"))]
        if self.unassigned is not None:
            fixed.append(("none", self.unassigned))
        owner_field: Any = form.fields[self.name]
        owner_field.choices = [*fixed, *_as_pairs(options)]

    def from_form(self, cleaned: dict[str, Any], viewer: Any) -> dict[str, Any]:
        owner = cleaned.get(self.name) or ""
        values: dict[str, Any] = {self.name: getattr(viewer, "pk", None) if owner == "me" else _int(owner)}
        if self.unassigned is not None:
            values["unassigned"] = owner == "none"
        return values

    def api_fields(self) -> dict[str, tuple[Any, Any]]:
        fields: dict[str, tuple[Any, Any]] = {self.name: (int | None, None)}
        if self.unassigned is not None:
            fields["unassigned"] = (bool, False)
        return fields

    def narrow(self, queryset: QuerySet[Any], values: ListValues) -> QuerySet[Any]:
        if self.unassigned is not None and values.unassigned:
            return queryset.filter(**{self.lookup.removesuffix("_id") + "__isnull": True})
        owner = getattr(values, self.name)
        return queryset.filter(**{self.lookup: owner}) if owner else queryset


@dataclass
class Team(Choice):
    """The team, among the viewer's (`choices(viewer)`); an id in both doors."""

    name: str = "team"
    label: Any = TEAM_LABEL
    empty: Any = EVERY_TEAM
    lookup: str = "team_id"
    api_type: type = int


@dataclass
class Ref(Filter):
    """A related record's id, in the API only (a client, a stage, a head office) — or on the
    page too (`page=True`: a hidden field, e.g. a report's link to the leads of one import)."""

    page: bool = False

    def value_defaults(self) -> dict[str, Any]:
        return {self.name: None}

    def form_fields(self) -> dict[str, forms.Field]:
        return {
            self.name: forms.IntegerField(
                label=self.label, required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
            )
        }

    def from_form(self, cleaned: dict[str, Any], viewer: Any) -> dict[str, Any]:
        return {self.name: cleaned.get(self.name) or None}

    def api_fields(self) -> dict[str, tuple[Any, Any]]:
        return {self.name: (int | None, None)}


@dataclass
class Flag(Filter):
    """A yes-only switch (`overdue_receivables=true`), in the API only."""

    page: bool = False

    def value_defaults(self) -> dict[str, Any]:
        return {self.name: False}

    def api_fields(self) -> dict[str, tuple[Any, Any]]:
        return {self.name: (bool, False)}

    def narrow(self, queryset: QuerySet[Any], values: ListValues) -> QuerySet[Any]:
        value = bool(getattr(values, self.name))
        if self.apply is None or not (value or self.apply_empty):
            return queryset
        return self.apply(queryset, value)


@dataclass
class DateRange(Filter):
    """From and to dates (inclusive) on a date-time field: `<name>_from`, `<name>_to`."""

    field: str = ""
    from_label: Any = ""
    to_label: Any = ""

    @property
    def names(self) -> tuple[str, str]:
        return f"{self.name}_from", f"{self.name}_to"

    def value_defaults(self) -> dict[str, Any]:
        start, end = self.names
        return {start: None, end: None}

    def form_fields(self) -> dict[str, forms.Field]:
        start, end = self.names
        return {
            start: forms.DateField(label=self.from_label, required=False, widget=DateInput),
            end: forms.DateField(label=self.to_label, required=False, widget=DateInput),
        }

    def from_form(self, cleaned: dict[str, Any], viewer: Any) -> dict[str, Any]:
        start, end = self.names
        return {start: cleaned.get(start), end: cleaned.get(end)}

    def clean_form(self, form: forms.Form, cleaned: dict[str, Any]) -> None:
        start, end = self.names
        if cleaned.get(start) and cleaned.get(end) and cleaned[start] > cleaned[end]:
            form.add_error(end, _("The end is before the start."))

    def api_fields(self) -> dict[str, tuple[Any, Any]]:
        start, end = self.names
        return {start: (dt.date | None, None), end: (dt.date | None, None)}

    def narrow(self, queryset: QuerySet[Any], values: ListValues) -> QuerySet[Any]:
        start, end = (getattr(values, name) for name in self.names)
        if start:
            queryset = queryset.filter(**{f"{self.field}__date__gte": start})
        if end:
            queryset = queryset.filter(**{f"{self.field}__date__lte": end})
        return queryset
