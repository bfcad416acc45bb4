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

from clientela.core.listspec.filters import (
    Choice,
    DateRange,
    Filter,
    Flag,
    Owner,
    Ref,
    Search,
    Team,
    Text,
    TriState,
    check_choice,
)
from clientela.core.listspec.spec import (
    Column,
    ListFilterForm,
    ListQuery,
    ListSpec,
    ListState,
    ListValues,
    Preset,
)

__all__ = [
    "Choice",
    "Column",
    "DateRange",
    "Filter",
    "Flag",
    "ListFilterForm",
    "ListQuery",
    "ListSpec",
    "ListState",
    "ListValues",
    "Owner",
    "Preset",
    "Ref",
    "Search",
    "Team",
    "Text",
    "TriState",
    "check_choice",
]
