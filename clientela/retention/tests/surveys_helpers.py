"""Records the satisfaction tests share: a North client of Mara's with a consenting contact, a
South one, and surveys as if their letter had gone out (the token known to the test)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.utils import timezone

from clientela.clients.models import Client, Contact
from clientela.retention.satisfaction import ensure_default_factors
from clientela.retention.surveys import token_hash
from clientela.retention.surveys_models import Survey, SurveyStatus


def make_client(
    world: Any, *, south: bool = False, name: str = "", consent: bool = True, email: str = ""
) -> Client:
    owner = world.manager_south if south else world.manager_north
    team = world.south if south else world.north
    client = Client.objects.create(
        name=name or f"{owner.username} client", country="RO", owner=owner, team=team
    )
    Contact.objects.create(
        client=client,
        first_name="Ana",
        last_name="Pop",
        email=email or f"ana.{client.pk}@example.com",
        consent=consent,
        preferred_language="ro" if not south else "hu",
    )
    return client


def sent_survey(
    client: Client, kind: str = "nps", *, deal: Any = None, days_left: int = 10
) -> tuple[Survey, str]:
    """A survey whose letter went out: (survey, the token of its link)."""
    ensure_default_factors()
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    survey = Survey.objects.create(
        kind=kind,
        client=client,
        contact=client.contacts.first(),
        deal=deal,
        occasion=f"test:{secrets.token_hex(6)}",
        email="ana@example.com",
        language="ro",
        token_hash=token_hash(token),
        status=SurveyStatus.SENT,
        sent_at=now,
        expires_at=now + dt.timedelta(days=days_left),
    )
    return survey, token


def answered(
    client: Client, kind: str, *, score: int | None = None, index: str | None = None, at: dt.datetime
) -> Survey:
    """An answered survey (for the figures), answered at `at`."""
    from decimal import Decimal

    return Survey.objects.create(
        kind=kind,
        client=client,
        occasion=f"test:{secrets.token_hex(6)}",
        language="en",
        status=SurveyStatus.ANSWERED,
        score=score,
        index_value=Decimal(index) if index else None,
        answered_at=at,
    )
