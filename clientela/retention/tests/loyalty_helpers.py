"""What the loyalty tests share: clients of both teams, leads, a logged-in API."""

from __future__ import annotations

from clientela.clients.models import Client, Contact
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.models import Lead


def make_clients(world) -> dict[str, Client]:
    """Mara's (North) client with a contact, Nelu's (North) and Sándor's (South)."""
    north = Client.objects.create(
        name="Ștefan & Fiii", country="RO", owner=world.manager_north, team=world.north
    )
    north2 = Client.objects.create(
        name="Kovács Kft", country="HU", owner=world.manager_north2, team=world.north
    )
    south = Client.objects.create(
        name="ООО Морозов", country="RO", owner=world.manager_south, team=world.south
    )
    Contact.objects.create(client=north, first_name="Ioana", last_name="Pop", position="CFO")
    Contact.objects.create(client=north, first_name="Radu", last_name="Ene", position="CTO")
    Contact.objects.create(client=south, first_name="Olga", last_name="Ivanova")
    return {"north": north, "north2": north2, "south": south}


def make_lead(world, owner=None, team=None, referred_by_client=None, **fields) -> Lead:
    owner = owner or world.manager_north
    ctx = IntakeContext(
        door="manual",
        by=owner,
        team=team or world.north,
        owner=owner,
        referred_by_client=referred_by_client,
    )
    data = {"name": "Алексей Морозов", "phone": "+40721123456", "company": "ООО Вектор", **fields}
    return Lead.objects.get(pk=intake_submit(raw=RawLead(**data), ctx=ctx).id)
