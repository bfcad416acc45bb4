"""One declaration per record list: its filters, orderings, presets and search, turned into the
page's filter form, the API's query schema and the queryset.

Lists of leads, clients, contacts and deals used to declare each filter three times (a
dataclass for the selector, a Django form for the page, a query schema for the API) with
converters between them. A `ListSpec` says it once; every door reads through it, so a filter
added here appears on the page, in the API and in the OpenAPI document together, and an unknown
value is a field error in both (never a 500).

How to declare a list (in the app, e.g. `leads/lists.py`)::

    LEADS = ListSpec(
        name="leads",
        model=Lead,
        url="leads:list",                                   # the page, for links
        filters=[
            Search(condition=search_condition),             # `q`
            Choice("status", _("Status"), choices=[("open", _("Open (not closed)")),
                   *LeadStatus.choices], empty=_("Any status"), apply=status_filter),
            Owner(choices=owner_choices, unassigned=_("Unassigned (team queue)")),
            Team(choices=team_choices),                     # choices: callable(viewer)
            Choice("temperature", _("Temperature"), choices=Temperature.choices,
                   empty=_("Any temperature")),             # narrows `temperature=value`
            Text("campaign", _("Campaign"), max_length=100),
            DateRange("created", field="created_at", from_label=_("Created from"),
                      to_label=_("Created to")),            # `created_from`, `created_to`
            Flag("include_merged", apply=..., apply_empty=True),   # API only
        ],
        orderings={"-created": ("-created_at", "-id"), "name": ("last_name", "id"), ...},
        default_ordering="-created",
        columns=[Column("name", _("Name"), sort="name"), Column("company", _("Company")), ...],
        presets=[Preset("mine", _("My open leads"), {"owner": "me", "status": "open"})],
        prepare=lambda leads, values, viewer: leads.select_related("owner", "team"),
    )

Then the page view is `state = LEADS.read(request)`, rows from the selector with
`state.values`, `render(..., state.context(leads=rows, pager=pager, ...))` with the shared
templates; the API is `LeadQuery = LEADS.query_schema("LeadQuery")` and `query.values()`.

What each piece gives:

- **Filters** (`Search`, `Text`, `Choice`, `TriState`, `Owner`, `Team`, `Ref`, `Flag`,
  `DateRange`) each know their page form field(s), their API field(s) and how they narrow a
  queryset (`lookup="field"` for an equality, or `apply(queryset, value)`). `page=False` /
  `api=False` keep a filter to one door. Choices are a list, or a callable taking the viewer
  (owners, teams, pipelines — the app that declares the spec passes them in, so core never
  imports the apps above it); they are worked out once per request (`ListState.options`).
- **Values** (`spec.values(q="…", owner=3)`) are what the selector receives from either door:
  one attribute per filter value (an `Owner` gives `owner` and `unassigned`, a `DateRange`
  `<name>_from` and `<name>_to`) and `ordering`.
- **The page**: `state = spec.read(request)` applies the preset (`?view=`), validates the
  bar (an invalid value is shown on the form and ignored), and gives the values, the sort, the
  sort links and everything the shared templates in `templates/core/_list_*.html` need
  (`state.context()`).
- **The API**: `spec.query_schema("LeadQuery")` is a django-ninja schema with the page/offset
  parameters and one parameter per API value; `query.values()` gives the values.
- **The queryset**: `spec.queryset(viewer, values)` — the viewer's scope
  (`Model.objects.restrict(viewer, Action.VIEW)`, or `scope` when a list knows better), the
  filters in the order declared, `prepare` (joins, annotations) and the ordering (always a
  total, index-friendly order ending in the id). `spec.count_parts(viewer, values)` is the
  same query per disjoint scope part (`visible_parts`) for `core.lists.paginate_bounded`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django import forms
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import create_model, field_validator

from clientela.core.lists import querystring, sort_links
from clientela.core.pagination import PageParams
from clientela.core.permissions import Action

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
    """A related record's id, in the API only (a client, a stage, a head office)."""

    page: bool = False

    def value_defaults(self) -> dict[str, Any]:
        return {self.name: None}

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


# --- Values, presets ---------------------------------------------------------------------------


class ListValues:
    """What a list is filtered and ordered by, from either door (see the module docstring)."""

    def __init__(self, spec: ListSpec, data: dict[str, Any]) -> None:
        unknown = set(data) - set(spec.defaults)
        if unknown:
            raise TypeError(f"{spec.name} has no filter {', '.join(sorted(unknown))}")
        self.__dict__["_spec"] = spec
        self.__dict__["_data"] = {**spec.defaults, **data}

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_data"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("ListValues are read-only: use replace()")

    def replace(self, **changes: Any) -> ListValues:
        return ListValues(self._spec, {**self._data, **changes})

    def used(self) -> dict[str, Any]:
        """The values that narrow the list (for audit entries)."""
        return {k: v for k, v in self._data.items() if v not in ("", None, False) and k != "ordering"}

    def __repr__(self) -> str:
        return f"<{self._spec.name} {self.used()}>"


@dataclass
class Preset:
    """A saved view kept in code: a tab on the list (`?view=key`) with its filters, and
    optionally a narrowing no filter expresses ("refused in the last 30 days")."""

    key: str
    label: Any
    params: dict[str, str]
    narrow: Callable[[QuerySet[Any]], QuerySet[Any]] | None = None
    hint: Any = ""


class ListFilterForm(forms.Form):
    """The list's filter bar. Invalid values are reported and ignored, never a 500."""

    spec: ClassVar[ListSpec]

    def __init__(self, *args: Any, options: dict[str, list[Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in self.spec.page_filters:
            if item.name in options:
                item.set_options(self, options[item.name])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for item in self.spec.page_filters:
            item.clean_form(self, cleaned)
        return cleaned


class ListQuery(PageParams):
    """Base of the API query schemas `ListSpec.query_schema` makes."""

    spec: ClassVar[ListSpec]

    def values(self) -> ListValues:
        data: dict[str, Any] = {}
        for item in self.spec.api_filters:
            data.update(item.from_api(self))
        return self.spec.values(**data, ordering=getattr(self, "ordering", self.spec.default_ordering))


# --- The spec ------------------------------------------------------------------------------------


@dataclass
class Column:
    """A column of the list's table: its head, and the sort its head links to (first click;
    the next one turns it round when the list has that ordering)."""

    key: str
    label: Any
    sort: str = ""
    css: str = ""


@dataclass
class ListSpec:
    name: str
    model: type[Model]
    url: str  # the page's URL name ("leads:list")
    filters: list[Filter]
    orderings: dict[str, tuple[Any, ...]]
    default_ordering: str
    columns: list[Column] = field(default_factory=list)
    presets: list[Preset] = field(default_factory=list)
    # The viewer's rows before filtering; default: what they may view.
    scope: Callable[[Any, ListValues], QuerySet[Any]] | None = None
    # Joins and annotations the rows need, after the filters; `context`: what the caller passed
    # to `queryset` beyond the viewer (the clients' policy, read once per page).
    prepare: Callable[..., QuerySet[Any]] | None = None
    # Orderings a viewer may not use (amounts for those who may not see them).
    hidden_orderings: Callable[[Any], set[str]] | None = None

    def __post_init__(self) -> None:
        self.defaults: dict[str, Any] = {"ordering": self.default_ordering}
        for item in self.filters:
            self.defaults.update(item.value_defaults())
        self.page_filters = [item for item in self.filters if item.page]
        self.api_filters = [item for item in self.filters if item.api]
        self.presets_by_key = {preset.key: preset for preset in self.presets}
        self.sortable = {column.key: column.sort for column in self.columns if column.sort}
        fields: dict[str, Any] = {}
        for item in self.page_filters:
            fields.update(item.form_fields())
        self.page_params = list(fields)
        self.form_class = type(f"{self.name.title()}FilterForm", (ListFilterForm,), {**fields, "spec": self})

    # -- values and the queryset --

    def values(self, **data: Any) -> ListValues:
        return ListValues(self, data)

    def ordering(self, key: str, viewer: Any = None) -> str:
        """`key` when it is an ordering of the list the viewer may use, else the default."""
        if key not in self.orderings:
            return self.default_ordering
        if self.hidden_orderings is not None and key in self.hidden_orderings(viewer):
            return self.default_ordering
        return key

    def filter(self, queryset: QuerySet[Any], values: ListValues) -> QuerySet[Any]:
        for item in self.filters:
            queryset = item.narrow(queryset, values)
        return queryset

    def queryset(
        self,
        viewer: Any,
        values: ListValues | None = None,
        *,
        visible: QuerySet[Any] | None = None,
        **context: Any,
    ) -> QuerySet[Any]:
        """The viewer's rows (or the part `visible` of them), filtered, prepared and ordered."""
        values = values or self.values()
        if visible is not None:
            rows = visible
        elif self.scope is not None:
            rows = self.scope(viewer, values)
        else:
            rows = self.model._default_manager.restrict(viewer, Action.VIEW)  # type: ignore[attr-defined]
        rows = self.filter(rows, values)
        if self.prepare is not None:
            rows = self.prepare(rows, values, viewer, **context)
        return rows.order_by(*self.orderings[self.ordering(values.ordering, viewer)])

    def count_parts(self, viewer: Any, values: ListValues, **context: Any) -> list[QuerySet[Any]]:
        """The same rows as disjoint querysets, one per scope part, for bounded counts."""
        parts = self.model._default_manager.visible_parts(viewer)  # type: ignore[attr-defined]
        return [self.queryset(viewer, values, visible=part, **context) for part in parts]

    # -- the API --

    def query_schema(self, name: str) -> type[ListQuery]:
        """A django-ninja query schema: paging, one parameter per API value, `ordering`."""
        fields: dict[str, Any] = {}
        validators: dict[str, Any] = {}
        for item in self.api_filters:
            fields.update(item.api_fields())
            validators.update(item.api_validators())
        fields["ordering"] = (str, self.default_ordering)
        allowed = list(self.orderings)
        default = self.default_ordering
        validators["_ordering"] = field_validator("ordering")(
            lambda cls, value: check_choice(value, allowed) or default
        )
        schema = create_model(name, __base__=ListQuery, __validators__=validators, **fields)
        schema.spec = self
        return schema

    # -- the page --

    def read(
        self,
        request: HttpRequest,
        *,
        params: QueryDict | None = None,
        options: dict[str, list[Any]] | None = None,
    ) -> ListState:
        """The page's state from its query string (`params`: another one, e.g. the board's):
        the preset (`view`), the filter bar (an invalid value is on the form and ignored), the
        values and the sort. `options`: choices the caller has already read (the board's active
        pipelines), instead of asking the filters' callables."""
        viewer = request.user
        params = request.GET if params is None else params
        preset = self.presets_by_key.get(params.get("view", ""))
        data: dict[str, Any] = dict(preset.params) if preset else {}
        data.update({key: params[key] for key in [*self.page_params, "sort"] if key in params})
        given = options or {}
        options = {
            item.name: given[item.name] if item.name in given else list(source(viewer))
            for item in self.page_filters
            if (source := item.options_source) is not None
        }
        form = self.form_class(data, options=options)
        form.is_valid()
        sort = self.ordering(data.get("sort", self.default_ordering), viewer)
        values: dict[str, Any] = {}
        for item in self.page_filters:
            values.update(item.from_form(form.cleaned_data, viewer))
        return ListState(
            spec=self,
            request=request,
            preset=preset,
            data=data,
            form=form,
            options=options,
            values=self.values(**values, ordering=sort),
        )


@dataclass
class ListState:
    """One request's view of a list: what `ListSpec.read` found in the query string."""

    spec: ListSpec
    request: HttpRequest
    preset: Preset | None
    data: dict[str, Any]
    form: forms.Form
    options: dict[str, list[Any]]
    values: ListValues

    @property
    def sort(self) -> str:
        return str(self.values.ordering)

    @property
    def filtering(self) -> bool:
        return any(self.data.get(key) for key in self.spec.page_params) or self.preset is not None

    @property
    def current(self) -> QueryDict:
        """The query string without the page number."""
        current = self.request.GET.copy()
        current.pop("page", None)
        return current

    @property
    def current_query(self) -> str:
        return querystring(self.current)

    def narrow(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The preset's own narrowing, if it has one."""
        if self.preset is not None and self.preset.narrow is not None:
            return self.preset.narrow(queryset)
        return queryset

    def context(self, *, hide: Iterable[str] = (), **extra: Any) -> dict[str, Any]:
        """What the shared list templates read (`templates/core/_list_*.html`); `hide`: columns
        this viewer does not get (amounts for those who may not see them)."""
        links = sort_links(self.current, self.sort, self.spec.sortable, allowed=self.spec.orderings)
        hidden = set(hide)
        columns = [
            {"label": column.label, "css": column.css, "link": links.get(column.key)}
            for column in self.spec.columns
            if column.key not in hidden
        ]
        return {
            "list_root": reverse(self.spec.url),
            "form": self.form,
            "preset": self.preset,
            "presets": self.spec.presets,
            "current_query": self.current_query,
            "sort": self.sort,
            "default_sort": self.spec.default_ordering,
            "sort_links": links,
            "columns": columns,
            "filtering": self.filtering,
            **extra,
        }
