"""Test helpers: clients and contacts made through the services, as the product makes them."""

from __future__ import annotations

import itertools
from typing import Any

from clientela.clients.models import Client, Contact
from clientela.clients.services.client import client_create
from clientela.clients.services.contact import contact_create

_seq = itertools.count(1)


def make_client(owner: Any = None, team: Any = None, *, name: str = "", **data: Any) -> Client:
    """A client owned by `owner` (team: the owner's unless given), made as the system."""
    tags = data.pop("tags", [])
    headquarters = data.pop("headquarters", None)
    client = client_create(
        by=None,
        data={"name": name or f"Client {next(_seq)}", **data},
        owner=owner,
        headquarters=headquarters,
        tags=tags,
        check_permission=False,
    )
    if team is not None and client.team_id != team.pk:
        Client.objects.filter(pk=client.pk).update(team=team)
        client.refresh_from_db()
    return client


def make_contact(client: Client, **data: Any) -> Contact:
    n = next(_seq)
    values = {"first_name": "Ana", "last_name": f"Contact{n}", **data}
    return contact_create(by=None, client=client, data=values, check_permission=False)
