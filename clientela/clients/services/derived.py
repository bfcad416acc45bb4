"""Values stored on clients and contacts from what happens elsewhere, so lists filter on an index.

The search key (after any change; also for records made elsewhere, e.g. lead conversion), and
the stored last activity and last contact that `clients.status` reads: activities, deals and
e-mail call `client_record_activity`; the intake pipeline and the importer `clients_touched`.
None of these is audited (the change or the touch itself is).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import models
from django.utils import timezone

from clientela.clients.models import Client, Contact
from clientela.clients.search import client_search_text, contact_search_text


def client_refresh_search(client: Client) -> None:
    """Recompute the search key (after any change; also for records made elsewhere)."""
    client.search_text = client_search_text(client)
    Client.objects.filter(pk=client.pk).update(search_text=client.search_text)


def contact_refresh_search(contact: Contact) -> None:
    contact.search_text = contact_search_text(contact)
    Contact.objects.filter(pk=contact.pk).update(search_text=contact.search_text)


def client_record_activity(*, client: Client, at: dt.datetime | None = None) -> None:
    """A contact or purchase happened (activities, deals and e-mail call this): keeps the status
    current (`last_activity_at` and the stored last contact). Only moves forward; one UPDATE;
    not audited (the activity itself is)."""
    at = at or timezone.now()
    older_activity = models.Q(last_activity_at__isnull=True) | models.Q(last_activity_at__lt=at)
    older_contact = models.Q(last_contact_at__lt=at)
    Client.objects.filter(pk=client.pk).filter(older_activity | older_contact).update(
        last_activity_at=models.Case(
            models.When(older_activity, then=models.Value(at)), default=models.F("last_activity_at")
        ),
        last_contact_at=models.Case(
            models.When(older_contact, then=models.Value(at)), default=models.F("last_contact_at")
        ),
    )


def clients_touched(*, client_ids: Iterable[int], at: dt.datetime) -> None:
    """These clients got in touch at `at` (the intake pipeline matched an enquiry to them, to one
    of their contacts or to a lead converted into them; the importer's touches): their stored
    last contact becomes the later of what it was and `at`. One UPDATE; not audited (the touch
    itself is)."""
    ids = {int(pk) for pk in client_ids if pk is not None}
    if not ids:
        return
    Client.objects.filter(pk__in=ids, last_contact_at__lt=at).update(last_contact_at=at)
