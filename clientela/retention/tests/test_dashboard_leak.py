"""The retention dashboard and the leak API: who sees what, bad input, exports = the table."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from clientela.conftest import make_user
from clientela.core.roles import Role
from clientela.retention.tests.test_leak import build

# October 2026 as a custom period (see test_leak for the hand computation).
OCTOBER = "period=custom&from=2026-10-01&to=2026-10-31"


def rows_of(answer) -> list[tuple[int, int, str | None]]:
    return [(row["active_at_start"], row["lost"], row["rate"]) for row in answer.json()["rows"]]


def test_api_leak_rate_per_role(client, world, api_token):
    build(world)
    url = f"/api/v1/retention/leak-rate?{OCTOBER}"
    assert rows_of(client.get(url, headers=api_token(world.admin))) == [(6, 4, "66.67")]
    assert rows_of(client.get(url, headers=api_token(world.head_north))) == [(5, 3, "60.00")]
    assert rows_of(client.get(url, headers=api_token(world.manager_north))) == [(2, 2, "100.00")]
    assert client.get(url, headers=api_token(world.marketer_north)).status_code == 403
    head_south = make_user("hsouth", Role.HEAD, world.south)
    assert rows_of(client.get(url, headers=api_token(head_south))) == [(1, 1, "100.00")]
    # The South head asking for the North team: a field error, nothing of the North.
    refused = client.get(f"{url}&team={world.north.pk}", headers=api_token(head_south))
    assert refused.status_code == 422 and "team" in refused.json()["errors"]


def test_api_trend_and_breakdown(client, world, api_token):
    build(world)
    answer = client.get(
        "/api/v1/retention/leak-rate?period=month&periods=3&by=team", headers=api_token(world.admin)
    )
    assert answer.status_code == 200
    assert len(answer.json()["rows"]) == 3


@pytest.mark.parametrize(
    "query,field",
    [
        ("period=week", "period"),
        ("periods=99", "periods"),
        ("size=huge", "size"),
        ("by=colour", "by"),
        ("period=custom&from=2026-10-31&to=2026-10-01", "to"),
        ("country=Romania", "country"),
    ],
)
def test_api_bad_input_is_a_field_error(client, world, api_token, query, field):
    answer = client.get(f"/api/v1/retention/leak-rate?{query}", headers=api_token(world.admin))
    assert answer.status_code == 422
    assert field in answer.json()["errors"]


def test_api_churn_reasons_report(client, world, api_token):
    build(world)
    answer = client.get(f"/api/v1/retention/churn-reasons/report?{OCTOBER}", headers=api_token(world.admin))
    assert answer.status_code == 200
    body = answer.json()
    reasons = {row["reason"]: (row["lost"], row["share"], row["practice_share"]) for row in body["reasons"]}
    assert reasons["attitude"] == (2, "50.00", "68.00")
    attitude = {row["owner"]: row["staff_attitude_lost"] for row in body["staff_attitude_by_manager"]}
    assert attitude == {world.manager_north.pk: 1, world.manager_south.pk: 1}
    mine = client.get(
        f"/api/v1/retention/churn-reasons/report?{OCTOBER}", headers=api_token(world.manager_north)
    )
    assert [row["owner"] for row in mine.json()["staff_attitude_by_manager"]] == [world.manager_north.pk]


def test_dashboard_per_role(client, world):
    build(world)
    client.force_login(world.marketer_north)
    assert client.get("/retention/").status_code == 403
    client.force_login(world.manager_north)
    page = client.get(f"/retention/?{OCTOBER}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Leak rate" in text and "Epsilon Leak" not in text
    client.force_login(world.head_north)
    text = client.get(f"/retention/?{OCTOBER}").content.decode()
    assert "Churn reasons" in text and "Sándor" not in text
    client.force_login(world.admin)
    text = client.get(f"/retention/?{OCTOBER}&by=team").content.decode()
    assert "South" in text and "North" in text


def test_dashboard_shows_the_alert_state(client, world):
    import datetime as dt

    from clientela.retention import leak_alerts

    build(world)
    leak_alerts.team_leak_check(team=world.north, now=dt.datetime(2026, 11, 3, tzinfo=dt.UTC))
    client.force_login(world.head_north)
    assert 'data-testid="leak-alert"' in client.get("/retention/").content.decode()


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_export_has_the_numbers_of_the_table(client, world):
    build(world)
    client.force_login(world.head_north)
    export = client.get(f"/retention/?{OCTOBER}&export=csv&figure=leak-rate")
    assert export.status_code == 200
    header, *rows = _csv(export)
    assert len(rows) == 1
    values = dict(zip(header, rows[0], strict=False))
    assert (values["Active at start"], values["Lost"], Decimal(values["Leak rate"])) == (
        "5",
        "3",
        Decimal("60.00"),
    )
    reasons = _csv(client.get(f"/retention/?{OCTOBER}&export=csv&figure=churn-reasons"))
    by_reason = {row[0]: row for row in reasons[1:]}
    assert by_reason["Indifferent or improper attitude of staff and management"][1] == "1"
    xlsx = client.get(f"/retention/?{OCTOBER}&export=xlsx&figure=staff-attitude")
    assert xlsx.status_code == 200


def test_dashboard_bad_filter_is_shown_not_a_crash(client, world):
    client.force_login(world.admin)
    page = client.get("/retention/?period=week&team=abc&size=huge")
    assert page.status_code == 200
    assert "is-invalid" in page.content.decode()


def test_south_head_dashboard_shows_nothing_of_the_north(client, world):
    build(world)
    head_south = make_user("hsouth", Role.HEAD, world.south)
    client.force_login(head_south)
    text = client.get(f"/retention/?{OCTOBER}&by=owner").content.decode()
    assert str(world.manager_south) in text
    for north in (world.manager_north, world.manager_north2):
        assert str(north) not in text
    export = _csv(client.get(f"/retention/?{OCTOBER}&export=csv&figure=leak-rate"))
    assert export[1][3:6] == ["1", "1", "100.00"]
