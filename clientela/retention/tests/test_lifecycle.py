"""The client lifecycle with its history: transitions by time, by contact and by decision, the
status limits as settings, reading the past exactly, and who may do what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clientela.clients.choices import ClientStatus
from clientela.clients.models import Client
from clientela.clients.services.client import client_delete
from clientela.clients.services.derived import client_record_activity
from clientela.clients.status import client_status
from clientela.clients.tests.factories import make_client
from clientela.conftest import login
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.retention import hooks, lifecycle
from clientela.retention.choices import ChangeKind
from clientela.retention.models import ChurnReason, ClientStatusChange

UTC = dt.UTC
T0 = dt.datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def day(n: int) -> dt.datetime:
    """`n` days after T0 (the moment the clients of these tests became clients)."""
    return T0 + dt.timedelta(days=n)


def client_since(
    owner, *, created: dt.datetime, contact: dt.datetime | None = None, name: str = ""
) -> Client:
    """A client that became one at `created` and was last in touch at `contact` (stored dates)."""
    client = make_client(owner, name=name)
    Client.objects.filter(pk=client.pk).update(
        created_at=created, last_activity_at=contact, last_contact_at=contact or created
    )
    client.refresh_from_db()
    return client


def history(client: Client) -> list[tuple[str, str, str, dt.datetime]]:
    return [
        (row.from_status, row.to_status, row.kind, row.at)
        for row in ClientStatusChange.objects.filter(client=client).order_by("at", "id")
    ]


# --- by the passing of time and by contact ------------------------------------------------------


def test_new_active_passive_by_time_only_with_the_moments_they_happened(world):
    """Nobody looked for 400 days: the sweep records both steps at their own dates —
    new → active at created + 90, active → passive at last contact (day 10) + 180 = day 190."""
    client = client_since(world.manager_north, created=T0, contact=day(10))

    added = lifecycle.sync_history(now=day(400))

    assert added == 3
    assert history(client) == [
        ("", "new", ChangeKind.BECAME_CLIENT, T0),
        ("new", "active", ChangeKind.TIME, day(90)),
        ("active", "passive", ChangeKind.TIME, day(190)),
    ]
    row = ClientStatusChange.objects.filter(client=client).last()
    assert (row.owner_id, row.team_id) == (world.manager_north.pk, world.north.pk)


def test_a_contact_ends_the_passive_spell_at_its_moment(world):
    client = client_since(world.manager_north, created=T0, contact=day(10))
    lifecycle.sync_history(now=day(200))  # new → active (90), active → passive (190)
    client_record_activity(client=client, at=day(250))  # a call on day 250

    lifecycle.sync_history(now=day(260))
    assert history(client)[-1] == ("passive", "active", ChangeKind.CONTACT, day(250))

    # …and 180 quiet days after that call it is passive again (day 430).
    lifecycle.sync_history(now=day(500))
    assert history(client)[-1] == ("active", "passive", ChangeKind.TIME, day(430))
    assert len(history(client)) == 5


def test_a_whole_passive_active_passive_round_while_nobody_looked(world):
    client = client_since(world.manager_north, created=T0, contact=day(10))
    lifecycle.sync_history(now=day(200))
    client_record_activity(client=client, at=day(250))

    lifecycle.sync_history(now=day(500))  # both the return (250) and the new quiet spell (430)

    assert history(client)[-2:] == [
        ("passive", "active", ChangeKind.CONTACT, day(250)),
        ("active", "passive", ChangeKind.TIME, day(430)),
    ]


def test_sync_is_idempotent(world):
    client_since(world.manager_north, created=T0, contact=day(10))
    client_since(world.manager_north, created=day(300))
    first = lifecycle.sync_history(now=day(400))
    rows = ClientStatusChange.objects.count()

    assert first == 5  # 3 + the second one: became a client (day 300), active on day 390
    assert lifecycle.sync_history(now=day(400)) == 0
    assert lifecycle.sync_history(now=day(400)) == 0
    assert ClientStatusChange.objects.count() == rows


def test_sync_is_a_few_queries_whatever_the_number_of_clients(world, django_assert_max_num_queries):
    for index in range(40):
        client_since(world.manager_north, created=day(index), contact=day(index + 5))
    lifecycle.settings_row()  # the settings row exists (made on first use)
    lifecycle.current_limits()  # the limits are read once per process, not per sweep

    # … the candidates, the settings lock, the insert and chaining each row to the next (one
    # UPDATE per batch, not per client)
    with django_assert_max_num_queries(7):
        added = lifecycle.sync_history(now=day(400))

    assert added == 40 * 3
    with django_assert_max_num_queries(4):
        assert lifecycle.sync_history(now=day(400)) == 0


def test_each_history_row_knows_when_the_next_one_began(world):
    """`next_at` chains a client's rows in order of their moments, whichever order they were
    written in; the last row has none (its status is in force now)."""
    client = client_since(world.manager_north, created=T0, contact=day(10))
    lifecycle.sync_history(now=day(400))  # new (0), active (90), passive (190)
    rows = list(ClientStatusChange.objects.filter(client=client).order_by("at"))
    assert [r.next_at for r in rows] == [rows[1].at, rows[2].at, None]
    # a decision recorded between two rows (written last) slots into the chain
    middle = ClientStatusChange.objects.create(
        client=client, from_status="active", to_status="lost", kind="decision", at=day(150)
    )
    rows = list(ClientStatusChange.objects.filter(client=client).order_by("at"))
    assert [r.pk for r in rows][2] == middle.pk
    assert [r.next_at for r in rows] == [day(90), day(150), day(190), None]
    middle.delete()
    assert list(
        ClientStatusChange.objects.filter(client=client).order_by("at").values_list("next_at", flat=True)
    ) == [day(90), day(190), None]


# --- reading the past --------------------------------------------------------------------------


def test_counts_at_a_past_moment_are_exact(world):
    """Three clients, by hand:
    A: created day 0, last contact day 10 → new 0–90, active 90–190, passive from 190.
    B: created day 100, contact day 150 → new 100–190, active from 190 (passive at 330).
    C: created day 0, contact day 200, lost on day 250 by decision.
    South: D created day 0 (another team: not in Mara's counts)."""
    a = client_since(world.manager_north, created=T0, contact=day(10), name="A")
    client_since(world.manager_north, created=day(100), contact=day(150), name="B")
    c = client_since(world.manager_north, created=T0, contact=day(200), name="C")
    client_since(world.manager_south, created=T0, name="D")
    lifecycle.sync_history(now=day(240))
    Client.objects.filter(pk=c.pk).update(lost_at=day(250), lost_reason="quality")
    lifecycle.sync_history(now=day(300))

    counts = lifecycle.status_counts_at
    assert counts(world.admin, day(50)) == {"new": 3, "active": 0, "passive": 0, "lost": 0}
    assert counts(world.manager_north, day(50)) == {"new": 2, "active": 0, "passive": 0, "lost": 0}
    assert counts(world.manager_north, day(120)) == {"new": 1, "active": 2, "passive": 0, "lost": 0}
    assert counts(world.manager_north, day(200)) == {"new": 0, "active": 2, "passive": 1, "lost": 0}
    assert counts(world.manager_north, day(260)) == {"new": 0, "active": 1, "passive": 1, "lost": 1}
    assert counts(world.manager_south, day(260)) == {"new": 0, "active": 0, "passive": 1, "lost": 0}
    assert counts(world.admin, day(200), team=world.south) == {"new": 0, "active": 0, "passive": 1, "lost": 0}
    assert counts(world.admin, day(200), owner=world.manager_north)["active"] == 2
    assert counts(world.manager_north, day(-1)) == {"new": 0, "active": 0, "passive": 0, "lost": 0}
    passive_then = lifecycle.clients_with_status_at(world.manager_north, day(200), ClientStatus.PASSIVE)
    assert list(passive_then) == [a]
    assert list(lifecycle.clients_with_status_at(world.manager_south, day(200), ClientStatus.ACTIVE)) == []


# --- the limits are settings -------------------------------------------------------------------


def test_the_limits_are_settings_and_change_the_status(world):
    now = timezone.now()
    client = client_since(
        world.manager_north, created=now - dt.timedelta(days=400), contact=now - dt.timedelta(days=60)
    )
    assert client_status(client) == ClientStatus.ACTIVE  # 60 quiet days < 180

    lifecycle.retention_settings_update(by=world.admin, new_days=30, passive_days=45)

    assert client_status(client) == ClientStatus.PASSIVE  # 60 quiet days > 45
    fresh = client_since(world.manager_north, created=now - dt.timedelta(days=40))
    assert client_status(fresh) == ClientStatus.ACTIVE  # no longer new after 30 days
    assert lifecycle.current_limits() == (30, 45)


def test_changing_a_limit_does_not_rewrite_the_past(world):
    client = client_since(world.manager_north, created=T0, contact=day(10))
    lifecycle.sync_history(now=day(400))
    before = history(client)

    lifecycle.retention_settings_update(by=world.admin, new_days=30, passive_days=60)
    lifecycle.sync_history(now=day(400))

    assert history(client) == before


def test_settings_are_checked_and_for_admins_only(world):
    with pytest.raises(BusinessError) as refused:
        lifecycle.retention_settings_update(by=world.admin, new_days=0, passive_days="many")
    assert set(refused.value.errors) == {"new_days", "passive_days"}
    with pytest.raises(PermissionDeniedError):
        lifecycle.retention_settings_update(by=world.head_north, new_days=60, passive_days=120)
    assert lifecycle.current_limits() == (90, 180)


# --- decisions: lost and won back --------------------------------------------------------------


def test_losing_a_client_is_a_decision_with_reason_day_and_who(world):
    now = timezone.now()
    client = client_since(
        world.manager_north, created=now - dt.timedelta(days=300), contact=now - dt.timedelta(days=20)
    )
    heard = []

    def on_lost(**kwargs):
        heard.append(kwargs)

    hooks.CLIENT_LOST.register(on_lost)
    try:
        yesterday = (now - dt.timedelta(days=1)).date()
        change = lifecycle.client_lose(
            by=world.manager_north,
            client=client,
            reason="attitude",
            lost_on=yesterday,
            note="Nobody answered their complaint.",
            options={"exit_questionnaire": True, "contact_id": None},
        )
    finally:
        hooks.CLIENT_LOST.unregister(on_lost)

    client.refresh_from_db()
    assert client_status(client) == ClientStatus.LOST
    assert (change.from_status, change.to_status, change.kind) == ("active", "lost", ChangeKind.DECISION)
    assert change.by == world.manager_north and change.reason == "attitude"
    assert change.at.date() == yesterday and client.lost_at == change.at
    assert heard[0]["change"] == change and heard[0]["options"] == {
        "exit_questionnaire": True,
        "contact_id": None,
    }
    assert [row[:3] for row in history(client)] == [
        ("", "new", ChangeKind.BECAME_CLIENT),
        ("new", "active", ChangeKind.TIME),
        ("active", "lost", ChangeKind.DECISION),
    ]
    assert lifecycle.sync_history() == 0  # the decision is in the history already

    with pytest.raises(ConflictError):
        client_delete(by=world.admin, client=client)  # lost clients are kept
    with pytest.raises(ConflictError):
        lifecycle.client_lose(by=world.manager_north, client=client, reason="quality")


def test_a_loss_without_a_reason_or_with_a_bad_day_is_refused(world):
    client = make_client(world.manager_north)
    ChurnReason.objects.filter(code="no_reason").update(is_active=False)
    cases = [
        ({"reason": ""}, "reason"),
        ({"reason": "bored"}, "reason"),
        ({"reason": "no_reason"}, "reason"),  # taken out of use
        ({"reason": "quality", "lost_on": timezone.now().date() + dt.timedelta(days=2)}, "lost_on"),
        ({"reason": "quality", "lost_on": dt.date(2001, 1, 1)}, "lost_on"),
        ({"reason": "quality", "lost_on": "31/02"}, "lost_on"),
    ]
    for values, field in cases:
        with pytest.raises(BusinessError) as refused:
            lifecycle.client_lose(by=world.manager_north, client=client, **values)
        assert field in refused.value.errors, values
    client.refresh_from_db()
    assert client.lost_at is None
    assert not ClientStatusChange.objects.filter(client=client, to_status="lost").exists()


def test_a_loss_dated_back_replaces_the_automatic_steps_after_it(world):
    now = timezone.now()
    client = client_since(
        world.manager_north, created=now - dt.timedelta(days=600), contact=now - dt.timedelta(days=400)
    )
    lifecycle.sync_history()  # … active → passive 220 days ago
    assert history(client)[-1][1] == "passive"
    lost_on = (now - dt.timedelta(days=300)).date()

    lifecycle.client_lose(by=world.head_north, client=client, reason="competition", lost_on=lost_on)

    steps = history(client)
    assert [(row[0], row[1]) for row in steps] == [("", "new"), ("new", "active"), ("active", "lost")]
    assert steps[-1][3].date() == lost_on


def test_winning_back(world):
    now = timezone.now()
    client = client_since(
        world.manager_north, created=now - dt.timedelta(days=500), contact=now - dt.timedelta(days=300)
    )
    lifecycle.client_lose(by=world.manager_north, client=client, reason="quality")
    heard = []

    def on_won_back(**kwargs):
        heard.append(kwargs)

    hooks.CLIENT_WON_BACK.register(on_won_back)
    try:
        change = lifecycle.client_win_back(by=world.head_north, client=client, note="New terms.")
    finally:
        hooks.CLIENT_WON_BACK.unregister(on_won_back)

    client.refresh_from_db()
    assert client.lost_at is None
    assert client_status(client) == ClientStatus.ACTIVE  # the return counts as contact
    assert (change.from_status, change.to_status, change.kind, change.by) == (
        "lost",
        "active",
        ChangeKind.WON_BACK,
        world.head_north,
    )
    assert heard and heard[0]["change"] == change
    assert [row[1] for row in history(client)] == ["new", "active", "passive", "lost", "active"]
    with pytest.raises(ConflictError):
        lifecycle.client_win_back(by=world.head_north, client=client)


def test_a_loss_and_return_outside_the_decision_are_caught_by_the_sweep(world):
    client = client_since(world.manager_north, created=T0, contact=day(10))
    lifecycle.sync_history(now=day(100))
    Client.objects.filter(pk=client.pk).update(lost_at=day(120), lost_reason="quality")
    lifecycle.sync_history(now=day(130))
    assert history(client)[-1] == ("active", "lost", ChangeKind.DECISION, day(120))


def test_others_cannot_decide_on_a_client_they_do_not_work(world):
    client = make_client(world.manager_north)
    for outsider in (world.manager_south, world.marketer_north):
        with pytest.raises(PermissionDeniedError):
            lifecycle.client_lose(by=outsider, client=client, reason="quality")


# --- the taxonomy ----------------------------------------------------------------------------


def test_the_taxonomy_is_configurable_and_read_in_the_readers_language(world):
    from django.utils import translation

    reason = lifecycle.churn_reason_create(
        by=world.admin,
        names={"en": "Company closed", "ro": "Firma s-a închis"},
        practice_share="2.5",
        staff_attitude=False,
    )
    assert reason.code == "company-closed" and reason.position == 5
    with translation.override("ro"):
        assert reason.label == "Firma s-a închis"
    with translation.override("hu"):
        assert reason.label == "Company closed"  # no Hungarian name yet: English

    lifecycle.churn_reason_update(by=world.admin, reason=reason, data={"names": {"hu": "Megszűnt a cég"}})
    reason.refresh_from_db()
    with translation.override("hu"):
        assert reason.label == "Megszűnt a cég"

    lifecycle.churn_reasons_reorder(by=world.admin, codes=["company-closed", "attitude"])
    assert [r.code for r in lifecycle.active_reasons()][:3] == ["company-closed", "attitude", "no_reason"]

    lifecycle.churn_reason_update(by=world.admin, reason=reason, data={"is_active": False})
    assert "company-closed" not in lifecycle.reason_codes()

    with pytest.raises(BusinessError) as refused:
        lifecycle.churn_reason_create(by=world.admin, names={"ro": "fără engleză"}, practice_share="140")
    assert {"names.en", "practice_share"} <= set(refused.value.errors)
    with pytest.raises(PermissionDeniedError):
        lifecycle.churn_reason_create(by=world.head_north, names={"en": "Nope"})


# --- the doors -------------------------------------------------------------------------------


def test_status_history_api_is_scoped(world, client, api_token):
    north = client_since(world.manager_north, created=T0, contact=day(10))
    lifecycle.sync_history(now=day(400))
    url = f"/api/v1/clients/{north.pk}/status-history"

    mine = client.get(url, headers=api_token(world.manager_north))
    assert mine.status_code == 200
    assert [(row["from_status"], row["to_status"], row["kind"]) for row in mine.json()] == [
        ("", "new", "became_client"),
        ("new", "active", "time"),
        ("active", "passive", "time"),
    ]
    assert mine.json()[2]["at"].startswith("2026-07-10")  # day 190
    assert client.get(url, headers=api_token(world.manager_south)).status_code == 404
    assert client.get(url, headers=api_token(world.marketer_north)).status_code in (403, 404)
    lose = client.post(
        f"/api/v1/clients/{north.pk}/lost",
        {"reason": "attitude"},
        content_type="application/json",
        headers=api_token(world.manager_south),
    )
    assert lose.status_code == 404


def test_lost_and_win_back_through_the_api(world, client, api_token):
    north = make_client(world.manager_north)
    headers = api_token(world.manager_north)
    url = f"/api/v1/clients/{north.pk}/lost"

    refused = client.post(url, {"note": "no reason given"}, content_type="application/json", headers=headers)
    assert refused.status_code == 422 and "reason" in refused.json()["errors"]

    done = client.post(url, {"reason": "attitude"}, content_type="application/json", headers=headers)
    assert done.status_code == 200
    body = done.json()
    assert (body["to_status"], body["reason"], body["by_id"]) == ("lost", "attitude", world.manager_north.pk)
    assert "attitude" in body["reason_label"].lower()
    lost_list = client.get("/api/v1/clients?status=lost", headers=headers).json()
    assert north.pk in [row["id"] for row in lost_list["items"]]  # still found, under "lost"

    back = client.post(
        f"/api/v1/clients/{north.pk}/win-back", {}, content_type="application/json", headers=headers
    )
    assert back.status_code == 200 and back.json()["kind"] == "won_back"


def test_settings_and_taxonomy_api(world, client, api_token):
    admin, manager = api_token(world.admin), api_token(world.manager_north)
    assert client.get("/api/v1/retention/settings", headers=manager).json() == {
        "new_days": 90,
        "passive_days": 180,
    }
    put = client.put(
        "/api/v1/retention/settings",
        {"new_days": 60, "passive_days": 5000},
        content_type="application/json",
        headers=admin,
    )
    assert put.status_code == 422 and "passive_days" in put.json()["errors"]
    forbidden = client.put(
        "/api/v1/retention/settings",
        {"new_days": 60, "passive_days": 120},
        content_type="application/json",
        headers=manager,
    )
    assert forbidden.status_code == 403
    ok = client.put(
        "/api/v1/retention/settings",
        {"new_days": 60, "passive_days": 120},
        content_type="application/json",
        headers=admin,
    )
    assert ok.json() == {"new_days": 60, "passive_days": 120}

    reasons = client.get("/api/v1/retention/churn-reasons", headers=manager).json()
    assert [r["practice_share"] for r in reasons] == ["3.00", "5.00", "10.00", "14.00", "68.00"]
    assert [r["code"] for r in reasons if r["staff_attitude"]] == ["attitude"]
    made = client.post(
        "/api/v1/retention/churn-reasons",
        {"names": {"en": "Moved abroad"}},
        content_type="application/json",
        headers=admin,
    )
    assert made.status_code == 201
    code = made.json()["code"]
    patched = client.patch(
        f"/api/v1/retention/churn-reasons/{code}",
        {"is_active": False},
        content_type="application/json",
        headers=admin,
    )
    assert patched.json()["is_active"] is False
    assert (
        client.patch(
            f"/api/v1/retention/churn-reasons/{code}",
            {"is_active": True},
            content_type="application/json",
            headers=manager,
        ).status_code
        == 403
    )


def test_the_card_shows_the_history_and_loses_through_the_taxonomy(world, client):
    north = client_since(world.manager_north, created=T0, contact=day(10))
    lifecycle.sync_history()
    login(client, world.manager_north)

    page = client.get(f"/clients/{north.pk}/").content.decode()
    assert 'id="client-status-history"' in page and 'name="lost_on"' in page
    assert 'name="exit_questionnaire"' in page

    refused = client.post(f"/clients/{north.pk}/lost/", {"reason": "", "lost_on": "2026-12-01"}, follow=True)
    assert refused.status_code == 200
    north.refresh_from_db()
    assert north.lost_at is None

    today = timezone.now().date().isoformat()
    client.post(f"/clients/{north.pk}/lost/", {"reason": "attitude", "lost_on": today, "note": "rude"})
    north.refresh_from_db()
    assert north.lost_at is not None and north.lost_reason == "attitude"
    change = ClientStatusChange.objects.get(client=north, to_status="lost")
    assert change.by == world.manager_north
    page = client.get(f"/clients/{north.pk}/").content.decode()
    assert 'data-testid="win-back"' in page

    client.post(f"/clients/{north.pk}/reactivate/")
    assert ClientStatusChange.objects.filter(
        client=north, kind=ChangeKind.WON_BACK, by=world.manager_north
    ).exists()

    login(client, world.manager_south)
    assert client.get(f"/clients/{north.pk}/").status_code == 404
    assert (
        client.post(f"/clients/{north.pk}/lost/", {"reason": "attitude", "lost_on": today}).status_code == 404
    )


def test_the_taxonomy_page_is_for_admins(world, client):
    login(client, world.head_north)
    assert client.get("/retention/churn-reasons/").status_code == 403
    login(client, world.admin)
    assert client.get("/retention/churn-reasons/").status_code == 200
    added = client.post(
        "/retention/churn-reasons/",
        {"new-name_en": "Bankrupt", "new-name_ro": "Faliment", "new-practice_share": "1"},
        follow=True,
    )
    assert "Bankrupt" in added.content.decode()
    reason = ChurnReason.objects.get(code="bankrupt")
    client.post(f"/retention/churn-reasons/{reason.pk}/", {"move": "up"})
    reason.refresh_from_db()
    assert reason.position == 5 and ChurnReason.objects.get(code="attitude").position == 6
    missing_name = client.post("/retention/churn-reasons/", {"new-name_ro": "Doar română"})
    assert missing_name.status_code == 422


def test_a_received_payment_is_a_purchase_that_ends_passivity(world):
    from clientela.deals.models import Pipeline
    from clientela.deals.payments.services import payment_create
    from clientela.deals.services import deal_create

    now = timezone.now()
    buyer = client_since(world.manager_north, created=now - dt.timedelta(days=700))
    deal = deal_create(
        by=world.manager_north,
        client=buyer,
        pipeline=Pipeline.objects.get(code="corporate"),
        amount="100",
        currency="RON",
    )
    Client.objects.filter(pk=buyer.pk).update(
        last_activity_at=None, last_contact_at=now - dt.timedelta(days=400)
    )
    buyer.refresh_from_db()
    assert client_status(buyer) == ClientStatus.PASSIVE

    paid_on = (now - dt.timedelta(days=3)).date()
    payment_create(by=world.manager_north, deal=deal, kind="received", amount="100", paid_on=paid_on)

    buyer.refresh_from_db()
    assert buyer.last_contact_at.date() == paid_on
    assert client_status(buyer) == ClientStatus.ACTIVE


def test_a_built_in_reason_can_be_renamed_in_one_language(world):
    from django.utils import translation

    attitude = ChurnReason.objects.get(code="attitude")
    with translation.override("ro"):
        built_in = attitude.label
    lifecycle.churn_reason_update(
        by=world.admin, reason=attitude, data={"names": {"en": "Our people let them down"}}
    )
    attitude.refresh_from_db()
    with translation.override("en"):
        assert attitude.label == "Our people let them down"
    with translation.override("ro"):
        assert attitude.label == built_in  # other languages keep the translated name
