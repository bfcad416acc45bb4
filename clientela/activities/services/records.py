"""What an activity or task is about, and who may write one.

* **Activities and tasks** are linked to records the author may see; the contact's / deal's client
  is filled in, and they agree (a deal of another client is refused); the team follows the record
  (scope).
* `by=None` is the system (inbound mail, a job); a person needs the right to work records.
* A record is **closed** when every linked lead/deal is (a lead converted or refused, a deal won
  or lost) — the next-step rule does not ask for a next contact then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Model
from django.utils.translation import gettext as _

from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.permissions import require
from clientela.deals.choices import DealStatus
from clientela.leads.choices import LeadStatus
from clientela.users.models import User

if TYPE_CHECKING:
    from clientela.activities.models import Task


@dataclass(frozen=True)
class Records:
    """The records an activity or task is about (any may be None)."""

    lead: Any = None
    client: Any = None
    contact: Any = None
    deal: Any = None

    def any(self) -> bool:
        return any(item is not None for item in (self.lead, self.client, self.contact, self.deal))

    def as_fields(self) -> dict[str, Any]:
        return {"lead": self.lead, "client": self.client, "contact": self.contact, "deal": self.deal}

    @property
    def team(self) -> Any:
        for record in (self.deal, self.lead, self.client):
            if record is not None and record.team_id:
                return record.team
        return None

    @property
    def owner(self) -> Any:
        for record in (self.deal, self.lead, self.client):
            if record is not None and record.owner_id:
                return record.owner
        return None


def require_worker(by: User | None) -> None:
    """`by=None` is the system (inbound mail, a job); a person needs the right to work records."""
    if by is not None:
        require(by, "work_records")


def _visible(by: User, record: Model) -> bool:
    return type(record)._default_manager.visible_to(by).filter(pk=record.pk).exists()  # type: ignore[attr-defined]


def resolve_records(
    *, by: User | None, lead: Any = None, client: Any = None, contact: Any = None, deal: Any = None
) -> Records:
    """Check the links (the author sees each record, they agree) and fill in the implied client."""
    if deal is not None and client is None:
        client = deal.client
    if contact is not None and client is None:
        client = contact.client
    errors: dict[str, list[str]] = {}
    if deal is not None and client is not None and deal.client_id != client.pk:
        errors["deal"] = [_("This deal belongs to another client.")]
    if contact is not None and client is not None and contact.client_id != client.pk:
        errors["contact"] = [_("This contact works at another client.")]
    if errors:
        raise BusinessError(_("The linked records do not belong together."), errors=errors)
    records = Records(lead=lead, client=client, contact=contact, deal=deal)
    if by is not None:
        for name, record in records.as_fields().items():
            # The client implied by a visible deal/contact is reachable through it.
            implied = name == "client" and (deal is not None or contact is not None)
            if record is not None and not implied and not _visible(by, record):
                raise PermissionDeniedError(_("You cannot work on this record."))
    return records


def record_closed(records: Records) -> bool:
    """Every linked lead/deal is closed (a lead converted or refused, a deal won or lost)."""
    closables = []
    if records.lead is not None:
        closables.append(records.lead.status in (LeadStatus.CONVERTED, LeadStatus.REFUSED))
    if records.deal is not None:
        closables.append(records.deal.status != DealStatus.OPEN)
    return bool(closables) and all(closables)


def records_of(task: Task) -> Records:
    """The records a task is about."""
    return Records(lead=task.lead, client=task.client, contact=task.contact, deal=task.deal)
