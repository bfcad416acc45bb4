"""The client list's rows, rendered in Python.

A page shows 50 clients. Through the template engine a row costs about a millisecond (some
twenty-five variable lookups, localisation of every value, three included badges), which alone
took the list past its 100 ms budget at 200,000 clients (docs/performance.md, "Third round").
As for the kanban cards (`deals.cards`), a row is built here by plain string formatting with
every value passed through `html.escape` — what Django's `escape` does, without its wrappers.
The markup is the one `clients/client_list.html` had, and the badges are those of
`clients/_status_badge.html`, `clients/_owner.html` and `clients/_completeness_badge.html`
(keep them alike).
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from typing import Any

from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from clientela.clients.choices import ClientKind, ClientStatus
from clientela.clients.models import Client

_STATUS_CLASS: dict[str, str] = {
    ClientStatus.NEW: "bg-blue-lt",
    ClientStatus.ACTIVE: "bg-green-lt",
    ClientStatus.PASSIVE: "bg-orange-lt",
    ClientStatus.LOST: "bg-secondary-lt",
}


def _status_labels() -> dict[str, str]:  # per page: in the request's language
    return {
        ClientStatus.NEW: _("New"),
        ClientStatus.ACTIVE: _("Active"),
        ClientStatus.PASSIVE: _("Passive"),
        ClientStatus.LOST: _("Lost"),
    }


def _text(value: Any) -> str:
    return escape(str(value), quote=True)


def tag_names(client_ids: list[int]) -> dict[int, list[str]]:
    """Each client's tag names in tag order, in one query of two columns (the ORM's
    prefetch of the same cost ~5 ms a page, building a tag object per row)."""
    names: dict[int, list[str]] = defaultdict(list)
    through = Client.tags.through.objects.filter(client_id__in=client_ids)
    for client_id, name in through.order_by("tag__key").values_list("client_id", "tag__name"):
        names[client_id].append(name)
    return names


def client_rows(clients: list[Any], *, can_hand_over: bool) -> list[SafeString]:
    """One `<tr>` per client of the list page (annotated by `clients.selectors.client_list`,
    with `completeness_normal` set by the view; tags are read here, not prefetched)."""
    statuses = _status_labels()
    tags = tag_names([client.pk for client in clients])
    # The formats of the request's language, looked up once (not twice per row).
    moment_format, day_format = get_format("DATETIME_FORMAT"), get_format("SHORT_DATE_FORMAT")
    days: dict[Any, str] = {}  # a page's clients often joined on the same days
    select_label = _("Select %(name)s")
    archived = _text(_("archived"))
    abc_title = _text(_("ABC class"))
    private_person = _text(_("Private person"))
    team_queue = _text(_("Team queue"))
    completeness_title = _text(_("Card completeness"))
    root = reverse("clients:detail", args=[0])[: -len("0/")]
    rows = []
    for client in clients:
        url = f"{root}{client.pk}/"
        name = _text(client.name)
        cells = [f'<tr data-href="{url}">']
        if can_hand_over:
            label = _text(select_label % {"name": client})
            cells.append(
                '<td><input class="form-check-input m-0 align-middle" type="checkbox" name="ids" '
                f'value="{client.pk}" form="bulk-form" data-row-check aria-label="{label}"></td>'
            )
        sub = []
        if client.kind == ClientKind.PERSON:
            sub.append(private_person)
        else:
            sub.append(_text(client.legal_form))
            if client.tax_id:
                sub.append(f" · {_text(client.tax_id)}")
        if client.headquarters_id and client.headquarters is not None:
            branch = _("branch of %(hq)s") % {"hq": client.headquarters.name}
            sub.append(f" · {_text(branch)}")
        for tag in tags.get(client.pk, ()):
            sub.append(f' <span class="badge bg-azure-lt">{_text(tag)}</span>')
        badge = f' <span class="badge bg-secondary-lt">{archived}</span>' if client.is_archived else ""
        if client.abc_class:
            badge += f' <span class="badge bg-purple-lt" title="{abc_title}">{_text(client.abc_class)}</span>'

        cells.append(
            f'<td><a href="{url}" class="text-reset fw-medium">{name}</a>{badge}'
            f'<div class="small text-secondary text-truncate lead-cell-sub">{"".join(sub)}</div></td>'
        )
        status = getattr(client, "status", "")
        if status in _STATUS_CLASS:
            cells.append(
                f'<td><span class="badge {_STATUS_CLASS[status]}">{_text(statuses[status])}</span></td>'
            )
        else:
            cells.append("<td></td>")
        cells.append(f'<td class="text-truncate">{_text(client.industry) if client.industry else "—"}</td>')
        where = _text(client.city)
        if client.country:
            where += f" ({_text(client.country)})"
        cells.append(f'<td class="text-truncate">{where}</td>')
        owner = client.owner
        if owner is not None:
            person = _text(owner)
            cells.append(
                '<td><span class="d-inline-flex align-items-center text-nowrap">'
                f'<span class="avatar avatar-xs me-1" title="{person}" aria-hidden="true">'
                f"{_text(owner.initials)}</span>{person}</span></td>"
            )
        else:
            cells.append(f'<td><span class="text-secondary">{team_queue}</span></td>')
        cells.append(f'<td class="text-end">{_text(formats.localize(client.contact_count))}</td>')
        percent = client.completeness_percent
        level = (
            "bg-green-lt"
            if percent >= 100
            else "bg-teal-lt"
            if client.completeness_normal
            else "bg-orange-lt"
        )
        cells.append(
            f'<td class="text-end"><span class="badge {level}" title="{completeness_title}">'
            f"{_text(formats.localize(percent))}%</span></td>"
        )
        created = timezone.localtime(client.created_at)
        day = days.get(created.date())
        if day is None:
            day = days[created.date()] = _text(dateformat.format(created, day_format))
        cells.append(
            f'<td class="text-nowrap" title="{_text(dateformat.format(created, moment_format))}">{day}</td>'
        )
        cells.append("</tr>")
        rows.append(mark_safe("".join(cells)))  # noqa: S308 (every value escaped above)
    return rows
