"""Lead score: the prior's ordering, explanations that add up, learning from closed leads."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clientela.core.models import AuditEntry
from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.choices import LeadStatus, Origin, Source, Temperature
from clientela.leads.models import Lead, ScoringModel
from clientela.leads.scoring import (
    MIN_SAMPLE,
    current_model,
    explain,
    fit_logistic,
    lead_features,
    leads_rescore,
    rescore_open_leads,
    score_lead,
    scoring_train,
)

_numbers = itertools.count(300000)


def arrive(world, **fields) -> Lead:
    ctx = IntakeContext(door="api", team=world.north, default_source="web_form")
    data = {"name": "Ana Pop", "phone": f"+40721{next(_numbers)}", **fields}
    return Lead.objects.get(pk=intake_submit(raw=RawLead(**data), ctx=ctx).id)


def closed_leads(count: int, converted: int, **fields) -> None:
    """`count` closed leads with `fields`, the first `converted` of them converted."""
    now = timezone.now()
    Lead.objects.bulk_create(
        Lead(
            first_name="Closed",
            phone=f"+40731{next(_numbers)}",
            status=LeadStatus.CONVERTED if i < converted else LeadStatus.REFUSED,
            status_changed_at=now,
            **fields,
        )
        for i in range(count)
    )


def referral_and_list(**_ignored) -> tuple[Lead, Lead]:
    base = {"first_name": "A", "phone": "+40721000000", "company_name": "Alpha", "touch_count": 1}
    referral = Lead(source=Source.REFERRAL, origin=Origin.SEED, **base)
    purchased = Lead(source=Source.PURCHASED_LIST, origin=Origin.SPEAR, **base)
    return referral, purchased


def sums_up(score: int, factors: list[dict]) -> bool:
    return sum(f["points"] for f in factors) == score and 0 <= score <= 100


# --- Prior --------------------------------------------------------------------------------


def test_prior_orders_hot_above_warm_above_cold(world):
    hot, warm, cold = (arrive(world, temperature=t) for t in ("hot", "warm", "cold"))
    assert hot.score > warm.score > cold.score
    assert {"factor": "temperature", "value": "hot", "points": 35} in hot.score_factors


def test_prior_rewards_a_fuller_card_and_more_touches(world):
    sparse = Lead(first_name="A", phone="+40721000001", touch_count=1)
    full = Lead(
        first_name="A",
        phone="+40721000001",
        product="CRM",
        company_name="Alpha",
        source="web_form",
        touch_count=3,
    )
    assert score_lead(full)[0] > score_lead(sparse)[0]


@pytest.mark.parametrize("temperature", ["", "cold", "warm", "hot"])
@pytest.mark.parametrize("touches", [1, 2, 5])
def test_prior_factors_add_up_to_the_score(temperature, touches):
    lead = Lead(
        first_name="A",
        email="a@example.com",
        product="CRM",
        company_name="Alpha",
        source=Source.REFERRAL,
        origin=Origin.SEED,
        consent=True,
        temperature=temperature,
        touch_count=touches,
    )
    assert sums_up(*score_lead(lead))


def test_score_is_bounded_and_the_bound_is_explained():
    high = ScoringModel(weights={"_base": {"": 90.0}, "temperature": {"hot": 40.0}})
    low = ScoringModel(weights={"_base": {"": 10.0}, "temperature": {"cold": -55.4}})
    score, factors = score_lead(Lead(temperature="hot"), high)
    assert score == 100 and factors[-1] == {"factor": "bound", "value": "", "points": -30}
    assert sums_up(score, factors)
    score, factors = score_lead(Lead(temperature="cold"), low)
    assert score == 0 and factors[-1]["points"] == 45 and sums_up(score, factors)


def test_explanation_has_readable_labels():
    _score, factors = score_lead(Lead(temperature="hot", origin=Origin.SEED, touch_count=1))
    rows = explain(factors)
    assert {"label": "Temperature", "value": "Hot", "points": 35} in rows
    assert {"label": "Origin", "value": "Seed (word of mouth, referral)", "points": 15} in rows
    assert rows[0]["label"] == "Base"


# --- Learning -----------------------------------------------------------------------------


def test_too_few_closed_leads_means_no_model(db):
    closed_leads(MIN_SAMPLE - 1, converted=50, source=Source.REFERRAL)
    assert scoring_train() is None
    assert not ScoringModel.objects.exists()


def test_one_sided_history_means_no_model(db):
    closed_leads(MIN_SAMPLE + 50, converted=5, source=Source.REFERRAL)
    assert scoring_train() is None


def test_open_and_merged_leads_do_not_count_for_training(db):
    closed_leads(MIN_SAMPLE - 1, converted=60)
    Lead.objects.bulk_create(Lead(first_name="Open", phone=f"+40741{next(_numbers)}") for _ in range(50))
    assert scoring_train() is None


def test_training_learns_that_referrals_convert_better_than_purchased_lists(db):
    closed_leads(150, converted=120, source=Source.REFERRAL, origin=Origin.SEED)
    closed_leads(150, converted=8, source=Source.PURCHASED_LIST, origin=Origin.SPEAR)
    model = scoring_train()
    assert model is not None and model.sample_size == 300
    assert model.weights["source"]["referral"] > 0 > model.weights["source"]["purchased_list"]
    referral, purchased = referral_and_list()
    assert score_lead(referral, model)[0] - score_lead(purchased, model)[0] >= 20
    assert current_model() == model


def test_training_flips_the_prior_when_history_disagrees(db):
    referral, purchased = referral_and_list()
    assert score_lead(referral)[0] > score_lead(purchased)[0], "the prior favours referrals"
    closed_leads(150, converted=12, source=Source.REFERRAL, origin=Origin.SEED, temperature="hot")
    closed_leads(150, converted=110, source=Source.PURCHASED_LIST, origin=Origin.SPEAR, temperature="cold")
    model = scoring_train()
    assert model is not None
    assert score_lead(purchased, model)[0] > score_lead(referral, model)[0]
    hot, cold = Lead(temperature="hot"), Lead(temperature="cold")
    assert score_lead(cold, model)[0] > score_lead(hot, model)[0], "this company's cold leads convert better"


def test_trained_factors_add_up_and_unseen_values_are_neutral(db):
    closed_leads(150, converted=90, source=Source.REFERRAL, origin=Origin.SEED)
    closed_leads(150, converted=30, source=Source.WEBINAR, origin=Origin.NET)
    model = scoring_train()
    assert model is not None
    lead = Lead(first_name="A", source=Source.EXHIBITION, origin=Origin.SPEAR, temperature="hot")
    score, factors = score_lead(lead, model)
    assert sums_up(score, factors)
    assert not [f for f in factors if f["factor"] == "source"], "a source never seen adds nothing"


def test_trained_base_matches_the_overall_odds(db):
    closed_leads(400, converted=200)  # one kind of lead, even odds → about 50 points in total
    model = scoring_train()
    assert model is not None
    score, factors = score_lead(Lead(first_name="Closed", phone="+40731000000"), model)
    assert 48 <= score <= 52 and sums_up(score, factors)


def test_logistic_fit_recovers_known_log_odds():
    # one binary feature: 80% without it, 20% with it → coefficient ≈ logit(.2) − logit(.8)
    intercept, (with_feature, without_feature) = fit_logistic(
        [([1], 1000, 800), ([0], 1000, 200)], n_features=2, ridge=0.0
    )
    assert intercept + without_feature == pytest.approx(1.386, abs=0.01)
    assert intercept + with_feature == pytest.approx(-1.386, abs=0.01)


def test_training_cost_does_not_grow_with_history(db):
    closed_leads(150, converted=90, source=Source.REFERRAL)
    closed_leads(150, converted=30, source=Source.WEBINAR)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert scoring_train() is not None
        return len(captured)

    few = queries()
    closed_leads(600, converted=200, source=Source.WEBINAR)
    assert queries() == few


def test_training_features_match_scoring_features(db):
    closed_leads(
        MIN_SAMPLE,
        converted=100,
        company_name="Alpha",
        product="CRM",
        source=Source.EBOOK,
        origin=Origin.NET,
        consent=True,
        touch_count=2,
        temperature="warm",
    )
    model = scoring_train()
    assert model is not None
    lead = Lead.objects.filter(status=LeadStatus.CONVERTED).first()
    for factor, value in lead_features(lead).items():
        assert value in model.weights[factor], f"{factor}={value} was learnt under another name"


# --- Rescoring open leads -------------------------------------------------------------------


def test_rescore_updates_open_leads_in_batches(world):
    open_leads = [arrive(world, source="referral") for _ in range(25)]
    closed_leads(150, converted=10, source=Source.REFERRAL, origin=Origin.SEED)
    closed_leads(150, converted=120, source=Source.WEBINAR, origin=Origin.NET)
    model = scoring_train()
    with CaptureQueriesContext(connection) as captured:
        changed = leads_rescore(model=model, batch_size=10)
    assert changed == 25
    assert len(captured) < 25, "batched: no query per lead"
    for lead in open_leads:
        lead.refresh_from_db()
        assert (lead.score, lead.score_factors) == score_lead(lead, model)
    assert AuditEntry.objects.filter(event="rescored").get().changes["changed"] == 25
    assert leads_rescore(model=model) == 0, "nothing changes the second time"


def test_periodic_job_trains_then_rescores(world):
    lead = arrive(world, source="referral")
    closed_leads(150, converted=10, source=Source.REFERRAL, origin=Origin.SEED)
    closed_leads(150, converted=120, source=Source.WEBINAR, origin=Origin.NET)
    before = lead.score
    assert rescore_open_leads.call() == 1
    lead.refresh_from_db()
    assert ScoringModel.objects.count() == 1
    assert lead.score < before, "referrals convert poorly here, so this lead drops"


def test_lead_created_after_training_uses_the_model(world):
    closed_leads(150, converted=140, source=Source.WEBINAR, origin=Origin.NET)
    closed_leads(150, converted=5, source=Source.EBOOK, origin=Origin.NET)
    model = scoring_train()
    webinar, ebook = arrive(world, source="webinar"), arrive(world, source="ebook")
    assert webinar.score > ebook.score
    assert webinar.score_factors[0]["points"] == round(model.weights["_base"][""])
    assert Temperature.HOT not in (webinar.temperature, ebook.temperature)
