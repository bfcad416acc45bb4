"""The retention settings page and the team policy API: admins change the company limits, heads
their team's policy (audited, field errors), nobody another team's."""

from __future__ import annotations

from decimal import Decimal

from clientela.conftest import make_user
from clientela.core.models import AuditEntry
from clientela.core.roles import Role
from clientela.retention.models import RetentionPolicy, RetentionSettings
from clientela.retention.settings_services import POLICY_FIELDS

POLICY = {
    "leak_alert_percent": "12.5",
    "concentration_alert_percent": "25",
    "offer_every_days": "40",
    "offer_min_gap_days": "30",
    "renewal_notice_days": "60",
    "survey_after_won_days": "14",
    "survey_every_days": "180",
    "reactivation_window_days": "60",
    "repeat_purchase_months": "12",
    "repeat_purchase_target_percent": "90",
}


def test_page_doors(client, world):
    for user, status in (
        (world.manager_north, 403),
        (world.marketer_north, 403),
        (world.head_north, 200),
        (world.admin, 200),
    ):
        client.force_login(user)
        assert client.get("/settings/retention/").status_code == status
    client.force_login(world.head_north)
    assert client.get(f"/settings/retention/?team={world.south.pk}").status_code == 404


def test_head_saves_their_team_policy_with_field_errors(client, world):
    client.force_login(world.head_north)
    bad = client.post(
        f"/settings/retention/?team={world.north.pk}",
        {**POLICY, "form": "policy", "team": world.north.pk, "leak_alert_percent": "150"},
    )
    assert bad.status_code == 422
    assert not RetentionPolicy.objects.exists()
    ok = client.post(
        f"/settings/retention/?team={world.north.pk}", {**POLICY, "form": "policy", "team": world.north.pk}
    )
    assert ok.status_code == 302
    policy = RetentionPolicy.objects.get(team=world.north)
    assert (policy.leak_alert_percent, policy.offer_every_days) == (Decimal("12.5"), 40)
    assert AuditEntry.objects.filter(object_id=str(policy.pk)).exists()
    # The head may not change the company's limits.
    assert (
        client.post(
            "/settings/retention/", {"form": "company", "new_days": 30, "passive_days": 90}
        ).status_code
        == 403
    )


def test_admin_changes_the_company_limits(client, world):
    client.force_login(world.admin)
    assert (
        client.post(
            "/settings/retention/", {"form": "company", "new_days": 0, "passive_days": 90}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/settings/retention/", {"form": "company", "new_days": 30, "passive_days": 120}
        ).status_code
        == 302
    )
    row = RetentionSettings.objects.get(pk=1)
    assert (row.new_days, row.passive_days) == (30, 120)


def test_policy_api(client, world, api_token):
    url = f"/api/v1/retention/policies/{world.north.pk}"
    head = api_token(world.head_north)
    assert client.get(url, headers=head).json()["leak_alert_percent"] == "10.00"
    bad = client.put(
        url,
        {"leak_alert_percent": "101", "offer_every_days": 0},
        content_type="application/json",
        headers=head,
    )
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"leak_alert_percent", "offer_every_days"}
    ok = client.put(url, {"leak_alert_percent": "15"}, content_type="application/json", headers=head)
    assert ok.status_code == 200 and ok.json()["leak_alert_percent"] == "15.00"
    assert set(ok.json()) == {"team", *POLICY_FIELDS}
    head_south = make_user("hsouth", Role.HEAD, world.south)
    assert client.get(url, headers=api_token(head_south)).status_code == 404
    assert (
        client.put(
            url, {"leak_alert_percent": "1"}, content_type="application/json", headers=api_token(head_south)
        ).status_code
        == 404
    )
    assert client.get(url, headers=api_token(world.manager_north)).status_code == 403
