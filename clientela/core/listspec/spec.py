"""A list's declaration (`ListSpec`), the values both doors produce (`ListValues`), and one
request's view of a list page (`ListState`); see `core.listspec`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django import forms
from django.db.models import Model, QuerySet
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from pydantic import create_model, field_validator

from clientela.core.lists import querystring, sort_links
from clientela.core.listspec.filters import Filter, check_choice
from clientela.core.pagination import PageParams
from clientela.core.permissions import Action

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
