"""Satisfaction figures against a hand computation: NPS the standard way, CSAT average and share
satisfied, the weighted index — per period and in total, over what each viewer may see."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clientela.conftest import login
from clientela.retention import surveys
from clientela.retention.satisfaction import satisfaction_figures, weighted_index
from clientela.retention.surveys_models import SatisfactionFactor
from clientela.retention.tests.surveys_helpers import answered, make_client, sent_survey

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
JUNE = dt.datetime(2026, 6, 3, 9, 0, tzinfo=dt.UTC)
MAY = dt.datetime(2026, 5, 20, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def scored(world):
    """North (Mara's client): NPS in June 10 9 8 7 6 3, in May 10 10 2; CSAT in June 5 4 2 1;
    indexes 3.25 and 4.50 in June. South: one NPS 0 in June."""
    north = make_client(world)
    for score in (10, 9, 8, 7, 6, 3):
        answered(north, "nps", score=score, at=JUNE)
    for score in (10, 10, 2):
        answered(north, "nps", score=score, at=MAY)
    for score in (5, 4, 2, 1):
        answered(north, "csat", score=score, at=JUNE)
    answered(north, "index", index="3.25", at=JUNE)
    answered(north, "index", index="4.50", at=JUNE)
    answered(north, "nps", score=10, at=dt.datetime(2025, 1, 5, tzinfo=dt.UTC))  # outside the window
    south = make_client(world, south=True)
    answered(south, "nps", score=0, at=JUNE)
    return north, south


def test_nps_csat_and_index_match_a_hand_computation(world, scored):
    figures = satisfaction_figures(viewer=world.manager_north, periods=2, now=NOW)
    may, june = figures["rows"]
    assert may["start"] == dt.date(2026, 5, 1) and june["start"] == dt.date(2026, 6, 1)
    # June: promoters 10, 9 (2) − detractors 6, 3 (2) of 6 answers → 0.
    assert (june["nps"], june["promoters"], june["detractors"], june["nps_answers"]) == (
        Decimal("0.0"),
        2,
        2,
        6,
    )
    # May: 2 promoters, 1 detractor of 3 → 33.3.
    assert may["nps"] == Decimal("33.3")
    # Both months: 4 promoters, 3 detractors of 9 → 100 × 1 / 9 = 11.1.
    total = figures["total"]
    assert total["nps"] == Decimal("11.1") and total["nps_answers"] == 9
    # CSAT 5 4 2 1 → average 3.00; satisfied (4–5) 2 of 4 = 50 %.
    assert (total["csat"], total["csat_satisfied_percent"]) == (Decimal("3.00"), Decimal("50.0"))
    # Index (3.25 + 4.50) / 2 = 3.875 → 3.88; as a share of the 1–5 scale (3.88 − 1) / 4 = 72 %.
    assert (total["index"], total["index_percent"]) == (Decimal("3.88"), Decimal("72.0"))
    assert may["csat"] is None and may["index"] is None


def test_figures_are_scoped_to_what_the_viewer_sees(world, scored):
    # The South's detractor counts for the admin only: 4 promoters, 4 detractors of 10 → 0.
    assert satisfaction_figures(viewer=world.admin, periods=2, now=NOW)["total"]["nps"] == Decimal("0.0")
    assert satisfaction_figures(viewer=world.head_north, periods=2, now=NOW)["total"]["nps"] == Decimal(
        "11.1"
    )
    assert satisfaction_figures(viewer=world.manager_south, periods=2, now=NOW)["total"]["nps"] == Decimal(
        "-100.0"
    )
    # Another manager of the North does not see Mara's client's answers.
    assert satisfaction_figures(viewer=world.manager_north2, periods=2, now=NOW)["total"]["answers"] == 0
    # The admin asking for the North team only gets the North's.
    team = satisfaction_figures(viewer=world.admin, periods=2, now=NOW, team_id=world.north.pk)
    assert team["total"]["nps"] == Decimal("11.1")


def test_quarters_and_years_group_the_same_answers(world, scored):
    quarter = satisfaction_figures(viewer=world.head_north, period="quarter", periods=1, now=NOW)
    assert quarter["rows"][0]["start"] == dt.date(2026, 4, 1) and quarter["rows"][0]["nps_answers"] == 9
    year = satisfaction_figures(viewer=world.head_north, period="year", periods=2, now=NOW)
    # 2025 holds the one answer of January 2025, outside the monthly window above.
    assert [row["nps_answers"] for row in year["rows"]] == [1, 9]


def test_the_weighted_index_is_the_weighted_average_of_the_factor_scores(world):
    # quality 30, delivery 20, price 15, service 15, staff attitude 20 (the defaults):
    # (5×30 + 4×20 + 3×15 + 2×15 + 1×20) / 100 = 325 / 100 = 3.25.
    client = make_client(world)
    survey, token = sent_survey(client, "index")
    weights = dict(SatisfactionFactor.objects.values_list("code", "weight"))
    assert weights == {
        "quality": Decimal(30),
        "delivery": Decimal(20),
        "price": Decimal(15),
        "service": Decimal(15),
        "staff_attitude": Decimal(20),
    }
    data = {
        "factor_quality": 5,
        "factor_delivery": 4,
        "factor_price": 3,
        "factor_service": 2,
        "factor_staff_attitude": 1,
    }
    survey = surveys.survey_answer(token=token, data=data)
    assert survey.index_value == Decimal("3.25")
    assert weighted_index([(4, Decimal(1)), (2, Decimal(3))]) == Decimal("2.50")  # (4 + 6) / 4
    # A later change of the weights does not rewrite the answer's scores.
    SatisfactionFactor.objects.filter(code="quality").update(weight=1)
    assert survey.factor_scores.get(factor__code="quality").weight == Decimal(30)


def test_figures_api_answers_the_same_numbers_and_rejects_bad_periods(world, scored, client, api_token):
    headers = api_token(world.head_north)
    answer = client.get("/api/v1/retention/satisfaction?period=month&periods=60", headers=headers)
    assert answer.status_code == 200
    body = answer.json()
    assert len(body["rows"]) == 60
    assert client.get("/api/v1/retention/satisfaction?period=week", headers=headers).status_code == 422
    assert client.get("/api/v1/retention/satisfaction?periods=0", headers=headers).status_code == 422


def test_factors_are_changed_by_admins_only(world, client, api_token):
    from clientela.retention.satisfaction import ensure_default_factors

    ensure_default_factors()
    quality = SatisfactionFactor.objects.get(code="quality")
    url = f"/api/v1/retention/satisfaction-factors/{quality.pk}"
    head = client.patch(
        url, {"weight": 50}, content_type="application/json", headers=api_token(world.head_north)
    )
    assert head.status_code == 403
    bad = client.patch(url, {"weight": 0}, content_type="application/json", headers=api_token(world.admin))
    assert bad.status_code == 422 and "weight" in str(bad.json())
    ok = client.patch(url, {"weight": 50}, content_type="application/json", headers=api_token(world.admin))
    assert ok.status_code == 200 and Decimal(ok.json()["weight"]) == Decimal(50)
    added = client.post(
        "/api/v1/retention/satisfaction-factors",
        {"name": "Packaging", "weight": 5},
        content_type="application/json",
        headers=api_token(world.admin),
    )
    assert added.status_code == 201 and added.json()["code"] == "packaging"
    # The settings page: admins only; a weight change there is saved.
    assert login(client, world.head_north).get("/settings/satisfaction/").status_code == 403
    page = login(client, world.admin)
    assert page.get("/settings/satisfaction/").status_code == 200
    form = {f"weight_{f.pk}": str(f.weight) for f in SatisfactionFactor.objects.all()}
    form |= {f"active_{f.pk}": "on" for f in SatisfactionFactor.objects.all()}
    form[f"weight_{quality.pk}"] = "40"
    assert page.post("/settings/satisfaction/", form).status_code == 302
    assert SatisfactionFactor.objects.get(pk=quality.pk).weight == Decimal(40)


def test_the_dashboard_tile_gives_the_figures_with_links_to_the_answers(world, scored, client, rf):
    from django.utils import timezone

    from clientela.retention.hooks import DASHBOARD_TILES

    tile = next(t for t in DASHBOARD_TILES if t.key == "satisfaction")
    assert tile.position == 40
    request = rf.get("/retention/")
    request.user = world.manager_north
    # The tile shows the last 12 months up to today: move the answers there.
    from clientela.retention.surveys_models import Survey

    Survey.objects.update(answered_at=timezone.now())
    nps, csat = tile.figures(request)
    assert nps.key == "nps" and csat.key == "csat-index"
    this_month = nps.rows[-1]
    # Mara's client's 10 NPS answers, all this month now — 10 9 8 7 6 3 10 10 2 10:
    # 5 promoters, 3 detractors of 10 → 20.
    assert (this_month["promoters"], this_month["detractors"], this_month["answers"]) == (5, 3, 10)
    assert this_month["nps"] == Decimal("20.0") and nps.footer["nps"] == Decimal("20.0")
    # Each number links to the answers behind it, and that page shows them (and only what Mara sees).
    page = login(client, world.manager_north).get(this_month["_links"]["detractors"])
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<tr>") - 1 == 3 and "msouth client" not in html
    assert (
        login(client, world.admin).get(this_month["_links"]["detractors"]).content.decode().count("<tr>") - 1
        == 4
    )
