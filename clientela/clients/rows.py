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

from collections.abc import Iterable
from html import escape
from typing import Any

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from clientela.clients.choices import ClientKind, ClientStatus

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


def client_rows(clients: Iterable[Any], *, can_hand_over: bool) -> list[SafeString]:
    """One `<tr>` per client of the list page (annotated by `clients.selectors.client_list`,
    with `completeness_normal` set by the view)."""
    statuses = _status_labels()
    archived = _text(_("archived"))
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
            label = _text(_("Select %(name)s") % {"name": client})
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
        for tag in client.tags.all():
            sub.append(f' <span class="badge bg-azure-lt">{_text(tag.name)}</span>')
        badge = f' <span class="badge bg-secondary-lt">{archived}</span>' if client.is_archived else ""
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
        cells.append(
            f'<td class="text-nowrap" title="{_text(formats.localize(created))}">'
            f"{_text(formats.date_format(created, 'SHORT_DATE_FORMAT'))}</td>"
        )
        cells.append("</tr>")
        rows.append(mark_safe("".join(cells)))  # noqa: S308 (every value escaped above)
    return rows
