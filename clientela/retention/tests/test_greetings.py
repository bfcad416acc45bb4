"""Greetings: consent, once only, the person's language, the day in the team's zone, skipping,
postponed leads, 29 February, holidays and who may do what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone as django_timezone

from clientela.clients.models import Client, Contact
from clientela.conftest import login
from clientela.core.models import AuditEntry
from clientela.leads.models import Lead
from clientela.retention import greetings
from clientela.retention.greetings import birthday_on, greetings_plan, greetings_send
from clientela.retention.greetings_defaults import ensure_default_holidays
from clientela.retention.greetings_models import Greeting, GreetingHoliday

# 7 December 2026, 12:00 UTC: the same day in Bucharest and in Kuala Lumpur.
NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


class _Seventh:
    """Django's time zone helpers, with "now" on the 7th."""

    def __getattr__(self, name):
        return getattr(django_timezone, name)

    @staticmethod
    def now():
        return NOW


@pytest.fixture(autouse=True)
def on_the_seventh(monkeypatch):
    """The greetings pages and API read the clock ("the coming week"): it is the 7th for them too."""
    monkeypatch.setattr(greetings, "timezone", _Seventh())


def _run(now=NOW):
    greetings_plan(today=now.date())
    return greetings_send(now=now)


@pytest.fixture
def people(world):
    north_client = Client.objects.create(
        name="Arbor SRL", country="RO", owner=world.manager_north, team=world.north
    )
    south_client = Client.objects.create(
        name="Puszta Kft", country="HU", owner=world.manager_south, team=world.south
    )
    ana = Contact.objects.create(
        client=north_client,
        first_name="Ana",
        last_name="Pop",
        email="ana@arbor.example",
        birthday=dt.date(1985, 12, 7),
        consent=True,
    )
    silent = Contact.objects.create(
        client=north_client, first_name="Sorin", email="sorin@arbor.example", birthday=dt.date(1990, 12, 7)
    )
    eva = Contact.objects.create(
        client=south_client,
        first_name="Éva",
        email="eva@puszta.example",
        birthday=dt.date(1979, 12, 9),
        consent=True,
    )
    return {"north_client": north_client, "ana": ana, "silent": silent, "eva": eva}


def test_a_birthday_is_greeted_once_on_the_day_in_the_contacts_language(people):
    assert _run() == 1
    assert len(mail.outbox) == 1
    letter = mail.outbox[0]
    assert letter.to == ["ana@arbor.example"]
    # Ana has no preferred language: her client is in Romania, so Romanian.
    assert letter.subject.startswith("Cele mai calde urări")
    assert "La mulți ani!" in letter.body and "Ana" in letter.body
    assert letter.reply_to == ["mnorth@example.com"]
    greeting = Greeting.objects.get(contact=people["ana"])
    assert (greeting.status, greeting.language, greeting.year) == ("sent", "ro", 2026)
    # Run again (and plan again): nothing more.
    assert _run() == 0
    assert _run(NOW + dt.timedelta(hours=6)) == 0
    assert len(mail.outbox) == 1
    assert Greeting.objects.filter(contact=people["ana"]).count() == 1


def test_no_consent_no_greeting(people):
    """Sorin gave no consent; Dora gave it but has no e-mail: neither is greeted."""
    Contact.objects.create(
        client=people["north_client"], first_name="Dora", birthday=dt.date(1970, 12, 7), consent=True
    )
    _run()
    assert [m.to for m in mail.outbox] == [["ana@arbor.example"]]
    assert not Greeting.objects.filter(contact=people["silent"]).exists()
    north = Greeting.objects.filter(contact__client=people["north_client"])
    assert list(north.values_list("contact__first_name", flat=True)) == ["Ana"]


def test_consent_withdrawn_after_planning_sends_nothing(people):
    greetings_plan(today=TODAY)
    Contact.objects.filter(pk=people["ana"].pk).update(consent=False)
    assert greetings_send(now=NOW) == 0
    assert mail.outbox == []
    assert Greeting.objects.get(contact=people["ana"]).status == "cancelled"


def test_the_preferred_language_wins(people):
    Contact.objects.filter(pk=people["ana"].pk).update(preferred_language="hu")
    _run()
    letter = mail.outbox[0]
    assert letter.subject.startswith("Szívből jövő jókívánságok")
    assert "Boldog születésnapot!" in letter.body


def test_a_worker_killed_while_sending_sends_nothing_again(people):
    """The greeting was claimed (committed as `sending`) and the worker died before marking it
    sent: whether the letter left or not, no run sends it again."""
    greetings_plan(today=TODAY)
    Greeting.objects.filter(contact=people["ana"]).update(status="sending")
    assert greetings_send(now=NOW) == 0
    assert mail.outbox == []


def test_the_day_is_the_teams_day(world, people):
    """Éva's birthday is 9 December; her team is in Kuala Lumpur (UTC+8). At 8 December 17:00 UTC
    it is already the 9th there: she is greeted; at 15:00 UTC it is not yet."""
    world.south.time_zone = "Asia/Kuala_Lumpur"
    world.south.save(update_fields=["time_zone"])
    greetings_plan(today=TODAY)
    assert greetings_send(now=dt.datetime(2026, 12, 8, 15, 0, tzinfo=dt.UTC)) == 0
    assert greetings_send(now=dt.datetime(2026, 12, 8, 17, 0, tzinfo=dt.UTC)) == 1
    assert mail.outbox[0].to == ["eva@puszta.example"]
    assert mail.outbox[0].subject.startswith("Szívből")  # a Hungarian client


def test_a_greeting_whose_day_passed_is_not_sent_late(people):
    greetings_plan(today=TODAY)
    assert greetings_send(now=NOW + dt.timedelta(days=1)) == 0
    assert Greeting.objects.get(contact=people["ana"]).status == "missed"
    assert mail.outbox == []


def test_the_manager_skips_a_greeting_a_week_ahead(client, world, people, api_token):
    greetings_plan(today=TODAY)
    login(client, world.manager_north)
    page = client.get("/retention/greetings/")
    assert page.status_code == 200
    assert "Ana Pop" in page.content.decode() and "Éva" not in page.content.decode()
    greeting = Greeting.objects.get(contact=people["ana"])
    response = client.post(f"/retention/greetings/{greeting.pk}/skip/")
    assert response.status_code == 302
    greeting.refresh_from_db()
    assert (greeting.status, greeting.skipped_by) == ("skipped", world.manager_north)
    assert AuditEntry.objects.filter(event="greeting_skipped", object_id=str(greeting.pk)).count() == 1
    assert greetings_send(now=NOW) == 0
    assert mail.outbox == []
    # Skipping twice is refused (422 in the API); another team's greeting is not found.
    headers = api_token(world.manager_north)
    again = client.post(f"/api/v1/retention/greetings/{greeting.pk}/skip", headers=headers)
    assert again.status_code == 422
    eva = Greeting.objects.get(contact=people["eva"])
    assert client.post(f"/api/v1/retention/greetings/{eva.pk}/skip", headers=headers).status_code == 404
    assert client.post(f"/retention/greetings/{eva.pk}/skip/").status_code == 404
    assert Greeting.objects.get(pk=eva.pk).status == "planned"


def test_upcoming_greetings_api_is_scoped(client, world, people, api_token):
    greetings_plan(today=TODAY)
    mine = client.get("/api/v1/retention/greetings/upcoming", headers=api_token(world.manager_north)).json()
    assert [(g["person"]["name"], g["occasion"]) for g in mine] == [("Ana Pop", "birthday")]
    assert mine[0]["client"]["name"] == "Arbor SRL"
    everyone = client.get("/api/v1/retention/greetings/upcoming", headers=api_token(world.admin)).json()
    assert {g["person"]["name"] for g in everyone} == {"Ana Pop", "Éva"}
    marketer = client.get("/api/v1/retention/greetings/upcoming", headers=api_token(world.marketer_north))
    assert marketer.status_code == 403


def test_a_postponed_lead_with_consent_is_greeted_on_its_countrys_holiday(world, people):
    GreetingHoliday.objects.create(
        country="RO",
        date=TODAY,
        name="Company Day",
        wishes={"en": "Happy Company Day!", "ro": "O zi frumoasă!"},
    )
    waiting = Lead.objects.create(
        first_name="Radu",
        email="radu@wait.example",
        status="postponed",
        consent=True,
        country="RO",
        owner=world.manager_north,
        team=world.north,
    )
    Lead.objects.create(
        first_name="Ion", email="ion@new.example", status="new", consent=True, country="RO", team=world.north
    )
    Lead.objects.create(
        first_name="Dan",
        email="dan@wait.example",
        status="postponed",
        consent=False,
        country="RO",
        team=world.north,
    )
    Lead.objects.create(
        first_name="Zsolt",
        email="zs@wait.example",
        status="postponed",
        consent=True,
        country="HU",
        team=world.south,
    )
    _run()
    sent = {m.to[0]: m for m in mail.outbox}
    # Ana twice (her birthday, the holiday) as two letters; the waiting lead once; nobody else.
    assert sorted(m.to[0] for m in mail.outbox) == [
        "ana@arbor.example",
        "ana@arbor.example",
        "radu@wait.example",
    ]
    assert "O zi frumoasă!" in sent["radu@wait.example"].body
    assert Greeting.objects.get(lead=waiting).status == "sent"
    _run()
    assert len(mail.outbox) == 3


def test_the_seeded_holidays_greet_in_the_persons_language(world, people):
    ensure_default_holidays()
    Contact.objects.filter(pk=people["ana"].pk).update(birthday=None, preferred_language="ru")
    new_year = dt.datetime(2027, 1, 1, 9, 0, tzinfo=dt.UTC)
    _run(new_year)
    letters = {m.to[0]: m for m in mail.outbox}
    assert "С Новым годом!" in letters["ana@arbor.example"].body
    assert "Boldog új évet!" in letters["eva@puszta.example"].body


def test_a_29_february_birthday_is_greeted_on_28_february_in_other_years(people):
    assert birthday_on(dt.date(2000, 2, 29), 2027) == dt.date(2027, 2, 28)
    assert birthday_on(dt.date(2000, 2, 29), 2028) == dt.date(2028, 2, 29)
    leap = people["ana"]
    Contact.objects.filter(pk=leap.pk).update(birthday=dt.date(2000, 2, 29))
    greetings_plan(today=dt.date(2027, 2, 25))
    assert list(Greeting.objects.filter(contact=leap).values_list("date", flat=True)) == [
        dt.date(2027, 2, 28)
    ]
    greetings_plan(today=dt.date(2028, 2, 25))
    assert sorted(Greeting.objects.filter(contact=leap).values_list("date", flat=True)) == [
        dt.date(2027, 2, 28),
        dt.date(2028, 2, 29),
    ]
    assert greetings_send(now=dt.datetime(2027, 2, 28, 10, tzinfo=dt.UTC)) == 1


def test_holidays_are_kept_by_heads_and_admins(client, world, api_token):
    head = api_token(world.head_north)
    created = client.post(
        "/api/v1/retention/greeting-holidays",
        {
            "country": "my",
            "date": "2027-09-16",
            "name": "Malaysia Day",
            "wishes": {"en": "Happy Malaysia Day!"},
        },
        content_type="application/json",
        headers=head,
    )
    assert created.status_code == 201, created.content
    holiday = created.json()
    assert (holiday["country"], holiday["wishes"]) == ("MY", {"en": "Happy Malaysia Day!"})
    twice = client.post(
        "/api/v1/retention/greeting-holidays",
        {"country": "MY", "date": "2027-09-16", "name": "Malaysia Day"},
        content_type="application/json",
        headers=head,
    )
    assert twice.status_code == 422 and "name" in twice.json()["errors"]
    bad = client.post(
        "/api/v1/retention/greeting-holidays",
        {"country": "Malaysia", "date": "2027-09-16", "name": "", "wishes": {"xx": "?"}},
        content_type="application/json",
        headers=head,
    )
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"country", "name", "wishes"}
    url = f"/api/v1/retention/greeting-holidays/{holiday['id']}"
    changed = client.patch(url, {"is_active": False}, content_type="application/json", headers=head)
    assert changed.status_code == 200 and changed.json()["is_active"] is False
    manager = api_token(world.manager_north)
    assert client.get("/api/v1/retention/greeting-holidays", headers=manager).status_code == 403
    assert (
        client.patch(url, {"name": "X"}, content_type="application/json", headers=manager).status_code == 403
    )
    assert client.delete(url, headers=head).status_code == 204
    assert not GreetingHoliday.objects.filter(pk=holiday["id"]).exists()


def test_the_holidays_page(client, world):
    ensure_default_holidays()
    login(client, world.head_north)
    page = client.get("/retention/greetings/holidays/?year=2026&country=RO")
    assert page.status_code == 200
    assert "Orthodox Easter" in page.content.decode()
    added = client.post(
        "/retention/greetings/holidays/",
        {
            "country": "RO",
            "date": "2026-06-01",
            "name": "Children's Day",
            "is_active": "on",
            "wish_ro": "La mulți ani, copii!",
        },
    )
    assert added.status_code == 302
    assert GreetingHoliday.objects.get(name="Children's Day").wishes == {"ro": "La mulți ani, copii!"}
    login(client, world.manager_north)
    assert client.get("/retention/greetings/holidays/").status_code == 403


def test_the_work_list_shows_the_coming_greetings(client, world, people, monkeypatch):
    greetings_plan(today=dt.date.today())
    Greeting.objects.update(date=dt.date.today() + dt.timedelta(days=2))
    login(client, world.manager_north)
    page = client.get("/").content.decode()
    assert 'id="home-greetings"' in page and "Ana Pop" in page and "Éva" not in page
    login(client, world.manager_south)
    assert "Éva" in client.get("/").content.decode()
    Greeting.objects.update(status="skipped")
    assert 'id="home-greetings"' not in client.get("/").content.decode()


def test_planned_greetings_follow_a_handover_from_the_passive_list(client, world, people):
    greetings_plan(today=TODAY)
    login(client, world.head_north)
    response = client.post(
        "/clients/handover/",
        {
            "ids": [people["north_client"].pk],
            "to_user": world.manager_north2.pk,
            "next": "/retention/passive/",
        },
    )
    assert response.status_code == 302
    greeting = Greeting.objects.get(contact=people["ana"])
    assert greeting.owner == world.manager_north2
    login(client, world.manager_north)
    assert client.post(f"/retention/greetings/{greeting.pk}/skip/").status_code == 404
