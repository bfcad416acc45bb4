"""Lead settings pages: who may open them, what they change, and the errors they show."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.conftest import login, make_user
from clientela.core.audit import history_for
from clientela.core.roles import Role
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.models import DistributionRule, Lead, LeadPolicy, RefusalReason, TemperatureRule
from clientela.leads.services.refuse import lead_refuse

ROLES_STATUS = [("admin", 200), ("head", 200), ("manager", 403), ("marketer", 403)]


def rule(team, name, position=1, **fields) -> DistributionRule:
    return DistributionRule.objects.create(team=team, name=name, position=position, **fields)


def rule_post(**overrides) -> dict:
    data = {
        "name": "Hungary desk",
        "countries": "hu, md",
        "regions": "Pest, Chișinău",
        "industries": "Pharma, Retail",
        "products": "",
        "temperatures": ["hot", "warm"],
        "strategy": "round_robin",
    }
    data.update(overrides)
    return data


POLICY_POST = {
    "qualification_items": ["need", "budget"],
    "capacity_cap": "30",
    "strategy": "round_robin",
    "conversion_window_days": "90",
    "min_closed_for_ranking": "5",
    "top_converter_share": "40",
    "hot_warm_to_beginners": "on",
}


# --- Permission matrix ---------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), ROLES_STATUS)
@pytest.mark.parametrize(
    "page",
    [
        "/settings/leads/",
        "/settings/leads/teams/{north}/",
        "/settings/leads/teams/{north}/policy/",
        "/settings/leads/teams/{north}/rules/new/",
        "/settings/leads/temperature/",
        "/settings/leads/temperature/new/",
        "/settings/leads/refusal-reasons/",
    ],
)
def test_pages_by_role(client, world, role, status, page):
    response = login(client, world.by_role(role)).get(page.format(north=world.north.pk))
    assert response.status_code == status


def test_anonymous_is_sent_to_sign_in(client, world):
    response = client.get("/settings/leads/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("head", 403), ("manager", 403), ("marketer", 403)]
)
def test_only_admins_edit_refusal_reasons(client, world, role, status):
    assert (
        login(client, world.by_role(role)).get("/settings/leads/refusal-reasons/new/").status_code == status
    )


@pytest.mark.parametrize("role", ["manager", "marketer"])
def test_denied_roles_change_nothing(client, world, role):
    login(client, world.by_role(role))
    north = world.north.pk
    assert client.post(f"/settings/leads/teams/{north}/rules/new/", rule_post()).status_code == 403
    assert client.post(f"/settings/leads/teams/{north}/policy/", POLICY_POST).status_code == 403
    existing = rule(world.north, "Keep me")
    assert client.post(f"/settings/leads/rules/{existing.pk}/active/", {"active": "0"}).status_code == 403
    assert (
        client.post(
            "/settings/leads/temperature/new/", {"name": "X", "temperature": "hot", "team": north}
        ).status_code
        == 403
    )
    assert DistributionRule.objects.get().is_active and DistributionRule.objects.count() == 1
    assert not LeadPolicy.objects.exists() and not TemperatureRule.objects.exists()


def test_head_sees_only_their_teams(client, world):
    login(client, world.head_north)
    page = client.get("/settings/leads/").content.decode()
    assert "North" in page and "South" not in page
    south = world.south.pk
    assert client.get(f"/settings/leads/teams/{south}/").status_code == 404
    assert client.post(f"/settings/leads/teams/{south}/rules/new/", rule_post()).status_code == 404
    assert client.post(f"/settings/leads/teams/{south}/policy/", POLICY_POST).status_code == 404
    southern = rule(world.south, "Southern")
    assert client.post(f"/settings/leads/rules/{southern.pk}/", rule_post(name="Hijacked")).status_code == 404
    assert client.post(f"/settings/leads/rules/{southern.pk}/move/", {"direction": "up"}).status_code == 404
    assert DistributionRule.objects.get(pk=southern.pk).name == "Southern"
    assert not LeadPolicy.objects.exists()


def test_admin_sees_every_team(client, world):
    page = login(client, world.admin).get("/settings/leads/").content.decode()
    assert "North" in page and "South" in page
    assert client.get(f"/settings/leads/teams/{world.south.pk}/").status_code == 200


# --- Lead policy ---------------------------------------------------------------------------


def test_head_saves_their_team_policy(client, world):
    login(client, world.head_north)
    response = client.post(f"/settings/leads/teams/{world.north.pk}/policy/", POLICY_POST)
    assert response.status_code == 302
    policy = LeadPolicy.objects.get(team=world.north)
    assert policy.qualification_items == ["need", "budget"]
    assert (policy.capacity_cap, policy.strategy, policy.conversion_window_days) == (30, "round_robin", 90)
    assert (policy.min_closed_for_ranking, policy.top_converter_share, policy.hot_warm_to_beginners) == (
        5,
        40,
        True,
    )
    assert history_for(policy).get().actor == world.head_north
    client.post(f"/settings/leads/teams/{world.north.pk}/policy/", {**POLICY_POST, "capacity_cap": "45"})
    assert history_for(policy).first().changes == {"capacity_cap": [30, 45]}


def test_policy_form_shows_field_errors(client, world):
    login(client, world.admin)
    bad = {**POLICY_POST, "qualification_items": [], "top_converter_share": "0", "capacity_cap": "lots"}
    response = client.post(f"/settings/leads/teams/{world.north.pk}/policy/", bad)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("invalid-feedback") >= 3
    assert not LeadPolicy.objects.exists()


def test_policy_page_shows_the_defaults(client, world):
    page = (
        login(client, world.head_north)
        .get(f"/settings/leads/teams/{world.north.pk}/policy/")
        .content.decode()
    )
    assert 'value="50"' in page and 'value="180"' in page


# --- Distribution rules --------------------------------------------------------------------


def test_head_creates_a_rule_with_members_of_the_team(client, world):
    login(client, world.head_north)
    rule(world.north, "Existing", position=4)
    response = client.post(
        f"/settings/leads/teams/{world.north.pk}/rules/new/",
        rule_post(members=[world.manager_north2.pk], best_converters_only="on"),
    )
    assert response.status_code == 302
    created = DistributionRule.objects.get(name="Hungary desk")
    assert created.team == world.north and created.position == 5, "new rules go last"
    assert created.countries == ["HU", "MD"] and created.industries == ["Pharma", "Retail"]
    assert created.regions == ["Pest", "Chișinău"]
    assert created.temperatures == ["hot", "warm"] and created.strategy == "round_robin"
    assert created.best_converters_only and list(created.members.all()) == [world.manager_north2]
    assert created.created_by == world.head_north
    events = {entry.event or entry.action for entry in history_for(created)}
    assert events == {"create", "members"}


def test_unknown_country_code_is_a_field_error(client, world):
    login(client, world.head_north)
    response = client.post(
        f"/settings/leads/teams/{world.north.pk}/rules/new/", rule_post(countries="RO, XX, Romania")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Unknown country code: XX, ROMANIA." in page
    assert not DistributionRule.objects.exists()


def test_members_picker_offers_only_the_teams_managers(client, world):
    login(client, world.head_north)
    url = f"/settings/leads/teams/{world.north.pk}/rules/new/"
    page = client.get(url).content.decode()
    assert "Mara" in page and "Nelu" in page
    assert "Sándor" not in page and "Kati" not in page
    response = client.post(url, rule_post(members=[world.manager_south.pk]))
    assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    assert not DistributionRule.objects.exists()


def test_missing_name_is_a_field_error(client, world):
    login(client, world.admin)
    response = client.post(f"/settings/leads/teams/{world.north.pk}/rules/new/", rule_post(name=""))
    assert response.status_code == 200 and "invalid-feedback" in response.content.decode()


def test_edit_rule_is_audited(client, world):
    existing = rule(world.north, "Romania", countries=["RO"])
    existing.members.set([world.manager_north])
    login(client, world.head_north)
    response = client.post(
        f"/settings/leads/rules/{existing.pk}/",
        rule_post(
            name="Romania & Moldova",
            countries="RO, MD",
            members=[world.manager_north.pk, world.manager_north2.pk],
        ),
    )
    assert response.status_code == 302
    existing.refresh_from_db()
    assert existing.name == "Romania & Moldova" and existing.countries == ["RO", "MD"]
    assert set(existing.members.all()) == {world.manager_north, world.manager_north2}
    update = history_for(existing).get(action="update")
    assert update.changes["countries"] == [["RO"], ["RO", "MD"]] and update.actor == world.head_north
    assert history_for(existing).filter(event="members").exists()


def test_edit_page_shows_the_rule(client, world):
    existing = rule(world.north, "Romania", countries=["RO", "MD"], temperatures=["hot"])
    page = login(client, world.admin).get(f"/settings/leads/rules/{existing.pk}/").content.decode()
    assert (
        'value="RO, MD"' in page
        and 'value="hot" id="id_temperatures_2" class="form-check-input" checked' in page
    )


def test_move_rules_up_and_down(client, world):
    first, second, third = (rule(world.north, name, position=i) for i, name in enumerate("ABC", start=1))
    login(client, world.head_north)
    client.post(f"/settings/leads/rules/{third.pk}/move/", {"direction": "up"})
    order = list(
        DistributionRule.objects.filter(team=world.north).order_by("position").values_list("name", flat=True)
    )
    assert order == ["A", "C", "B"]
    client.post(f"/settings/leads/rules/{first.pk}/move/", {"direction": "down"})
    order = list(
        DistributionRule.objects.filter(team=world.north).order_by("position").values_list("name", flat=True)
    )
    assert order == ["C", "A", "B"]
    assert history_for(first).filter(event="moved").get().changes == {"position": [1, 2]}
    client.post(f"/settings/leads/rules/{third.pk}/move/", {"direction": "up"})  # already first: no change
    assert DistributionRule.objects.get(pk=third.pk).position == 1
    page = client.get(f"/settings/leads/teams/{world.north.pk}/").content.decode()
    assert page.index(">C<") < page.index(">A<") < page.index(">B<")
    assert second.pk


def test_switch_a_rule_off_and_on(client, world):
    first = rule(world.north, "First", position=1)
    rule(world.north, "Second", position=2)
    login(client, world.head_north)
    client.post(f"/settings/leads/rules/{first.pk}/active/", {"active": "0"})
    first.refresh_from_db()
    assert not first.is_active
    page = client.get(f"/settings/leads/teams/{world.north.pk}/").content.decode()
    assert "Switched off" in page
    client.post(f"/settings/leads/rules/{first.pk}/active/", {"active": "1"})
    first.refresh_from_db()
    assert first.is_active and first.position == 3, "a rule switched back on goes last"
    assert history_for(first).filter(action="update").count() == 2


def test_rule_numbers_on_the_page_match_the_assignment_reason(client, world):
    rule(world.north, "Off", position=1, is_active=False)
    rule(world.north, "Retail", position=2, industries=["Retail"])
    rule(world.north, "Everything else", position=3)
    ctx = IntakeContext(door="api", team=world.north, default_source="web_form")
    lead = Lead.objects.get(pk=intake_submit(raw=RawLead(name="A B", phone="+40721777001"), ctx=ctx).id)
    assert "rule 2 “Everything else”" in lead.assignment_reason
    page = login(client, world.head_north).get(f"/settings/leads/teams/{world.north.pk}/").content.decode()
    row = page[page.index("Everything else") - 300 : page.index("Everything else")]
    assert ">2<" in row


def test_team_page_lists_absent_and_new_managers(client, world):
    world.manager_north2.is_absent = True
    world.manager_north2.save()
    make_user("fresh", Role.MANAGER, world.north, first_name="Fresh")
    page = login(client, world.head_north).get(f"/settings/leads/teams/{world.north.pk}/").content.decode()
    assert "Absent" in page and "Fresh" in page


# --- Temperature rules ---------------------------------------------------------------------


def test_head_creates_a_team_temperature_rule(client, world):
    login(client, world.head_north)
    response = client.post(
        "/settings/leads/temperature/new/",
        {
            "name": "Call me is hot",
            "team": world.north.pk,
            "temperature": "hot",
            "sources": ["callback_widget"],
            "keywords": "price, invoice",
            "min_touches": "0",
            "max_age_days": "3",
        },
    )
    assert response.status_code == 302
    created = TemperatureRule.objects.get()
    assert (created.team, created.temperature, created.sources) == (world.north, "hot", ["callback_widget"])
    assert created.keywords == ["price", "invoice"] and created.max_age_days == 3
    assert history_for(created).get().actor == world.head_north


def test_head_cannot_create_company_wide_or_other_team_rules(client, world):
    login(client, world.head_north)
    for team in ("", world.south.pk):
        response = client.post(
            "/settings/leads/temperature/new/", {"name": "Sneaky", "team": team, "temperature": "hot"}
        )
        assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    assert not TemperatureRule.objects.exists()


def test_head_sees_company_rules_read_only(client, world):
    company = TemperatureRule.objects.create(name="Company rule", temperature="cold", position=1)
    login(client, world.head_north)
    page = client.get("/settings/leads/temperature/").content.decode()
    assert "Company rule" in page and f"/settings/leads/temperature/{company.pk}/" not in page
    assert client.get(f"/settings/leads/temperature/{company.pk}/").status_code == 403
    assert (
        client.post(f"/settings/leads/temperature/{company.pk}/active/", {"active": "0"}).status_code == 403
    )
    assert TemperatureRule.objects.get().is_active


def test_admin_creates_company_wide_rule_and_edits_it(client, world):
    login(client, world.admin)
    response = client.post(
        "/settings/leads/temperature/new/",
        {"name": "Referrals", "team": "", "temperature": "warm", "origins": ["seed"], "min_touches": "2"},
    )
    assert response.status_code == 302
    created = TemperatureRule.objects.get()
    assert created.team is None and created.origins == ["seed"] and created.min_touches == 2
    response = client.post(
        f"/settings/leads/temperature/{created.pk}/",
        {"name": "Referrals", "temperature": "hot", "origins": ["seed"], "min_touches": "2"},
    )
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.temperature == "hot" and created.team is None
    assert history_for(created).get(action="update").changes == {"temperature": ["warm", "hot"]}


def test_temperature_rule_errors_are_per_field(client, world):
    login(client, world.admin)
    response = client.post(
        "/settings/leads/temperature/new/",
        {"name": "", "team": "", "temperature": "boiling", "min_touches": "-1"},
    )
    assert response.status_code == 200
    assert response.content.decode().count("invalid-feedback") >= 3
    assert not TemperatureRule.objects.exists()


def test_temperature_rules_move_within_their_list(client, world):
    a = TemperatureRule.objects.create(name="A", temperature="hot", team=world.north, position=1)
    b = TemperatureRule.objects.create(name="B", temperature="cold", team=world.north, position=2)
    company = TemperatureRule.objects.create(name="C", temperature="cold", position=1)
    login(client, world.head_north)
    client.post(f"/settings/leads/temperature/{b.pk}/move/", {"direction": "up"})
    a.refresh_from_db()
    b.refresh_from_db()
    company.refresh_from_db()
    assert (b.position, a.position, company.position) == (1, 2, 1)


# --- Refusal reasons -----------------------------------------------------------------------


def test_admin_adds_a_refusal_reason(client, world):
    login(client, world.admin)
    response = client.post(
        "/settings/leads/refusal-reasons/new/", {"code": "went-bankrupt", "name": "Went bankrupt"}
    )
    assert response.status_code == 302
    created = RefusalReason.objects.get(code="went-bankrupt")
    assert str(created) == "Went bankrupt" and created.is_active
    assert (
        created.position == RefusalReason.objects.exclude(pk=created.pk).order_by("-position")[0].position + 1
    )
    assert history_for(created).get().actor == world.admin


def test_duplicate_code_is_a_field_error(client, world):
    login(client, world.admin)
    response = client.post("/settings/leads/refusal-reasons/new/", {"code": "price", "name": "Too dear"})
    assert (
        response.status_code == 200 and "A reason with this code exists already." in response.content.decode()
    )


def test_builtin_reasons_keep_their_translated_name(client, world):
    price = RefusalReason.objects.get(code="price")
    login(client, world.admin)
    client.post(f"/settings/leads/refusal-reasons/{price.pk}/", {"name": "Renamed", "position": "9"})
    price.refresh_from_db()
    assert price.name == "Price" and price.position == 9


def test_unused_reason_is_deleted_used_one_only_switched_off(client, world):
    ctx = IntakeContext(door="manual", by=world.manager_north, team=world.north, owner=world.manager_north)
    lead = Lead.objects.get(pk=intake_submit(raw=RawLead(name="A B", phone="+40721777002"), ctx=ctx).id)
    used, unused = RefusalReason.objects.get(code="price"), RefusalReason.objects.get(code="quality")
    lead_refuse(by=world.manager_north, lead=lead, reason=used)
    login(client, world.admin)
    page = client.get("/settings/leads/refusal-reasons/").content.decode()
    assert f"/settings/leads/refusal-reasons/{unused.pk}/delete/" in page
    assert f"/settings/leads/refusal-reasons/{used.pk}/delete/" not in page
    client.post(f"/settings/leads/refusal-reasons/{used.pk}/delete/")
    assert RefusalReason.objects.filter(pk=used.pk).exists(), "a used reason is never deleted"
    client.post(f"/settings/leads/refusal-reasons/{unused.pk}/delete/")
    assert not RefusalReason.objects.filter(pk=unused.pk).exists()
    client.post(f"/settings/leads/refusal-reasons/{used.pk}/active/", {"active": "0"})
    used.refresh_from_db()
    lead.refresh_from_db()
    assert not used.is_active and lead.refusal_reason == used


def test_head_cannot_change_refusal_reasons(client, world):
    price = RefusalReason.objects.get(code="price")
    login(client, world.head_north)
    assert (
        client.post(f"/settings/leads/refusal-reasons/{price.pk}/active/", {"active": "0"}).status_code == 403
    )
    assert client.post(f"/settings/leads/refusal-reasons/{price.pk}/delete/").status_code == 403
    assert RefusalReason.objects.get(pk=price.pk).is_active
    page = client.get("/settings/leads/refusal-reasons/").content.decode()
    assert "Price" in page and "/delete/" not in page


def test_settings_pages_query_count_does_not_grow_with_rules(client, world, django_assert_max_num_queries):
    def add_rules(count: int, start: int) -> None:
        for i in range(count):
            created = rule(
                world.north, f"Rule {start + i}", position=start + i, last_assigned=world.manager_north
            )
            created.members.set([world.manager_north, world.manager_north2])
            TemperatureRule.objects.create(
                name=f"T{start + i}", temperature="warm", team=world.north, position=i
            )

    login(client, world.head_north)
    pages = [f"/settings/leads/teams/{world.north.pk}/", "/settings/leads/", "/settings/leads/temperature/"]
    add_rules(2, 1)
    counts = []
    for page in pages:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page).status_code == 200
        counts.append(len(captured))
    add_rules(10, 3)
    for page, count in zip(pages, counts, strict=True):
        with django_assert_max_num_queries(count):
            client.get(page)
