"""Temperature rules: each criterion, their order, and hand-set values surviving recomputes."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads.choices import LeadEventKind, Origin, Source, Temperature
from clientela.leads.models import Lead, TemperatureRule
from clientela.leads.scoring import leads_rescore
from clientela.leads.services.edit import lead_update
from clientela.leads.temperature import evaluate_temperature, rule_matches

_phones = itertools.count(200000)


def arrive(world, team=None, **fields) -> Lead:
    ctx = IntakeContext(door="api", team=team or world.north, default_source="web_form")
    data = {"name": "Ana Pop", "phone": f"+40721{next(_phones)}", **fields}
    return Lead.objects.get(pk=intake_submit(raw=RawLead(**data), ctx=ctx).id)


def temperature_rule(
    name: str, temperature: str, team=None, position: int = 1, **criteria
) -> TemperatureRule:
    return TemperatureRule.objects.create(
        name=name, temperature=temperature, team=team, position=position, **criteria
    )


def test_source_rule_sets_temperature_and_says_why(world):
    temperature_rule("Call me = hot", Temperature.HOT, sources=[Source.CALLBACK])
    hot = arrive(world, source="callback_widget")
    other = arrive(world, source="webinar")
    assert hot.temperature == Temperature.HOT
    assert hot.temperature_reasons == ["company rule “Call me = hot”", "source is Callback request"]
    assert other.temperature == "" and other.temperature_reasons == []


def test_origin_rule(world):
    temperature_rule("Referrals are warm", Temperature.WARM, origins=[Origin.SEED])
    assert arrive(world, source="referral").temperature == Temperature.WARM
    assert arrive(world, source="cold_call").temperature == ""


def test_answer_keywords_ignore_case_and_accents(world):
    temperature_rule("Asks the price", Temperature.HOT, keywords=["preț", "invoice"])
    lead = arrive(world, message="Care este PRETUL pentru 20 de licențe?")
    assert lead.temperature == Temperature.HOT
    assert "answer mentions “preț”" in lead.temperature_reasons
    assert arrive(world, interest="Invoice module").temperature == Temperature.HOT
    assert arrive(world, message="Just browsing").temperature == ""


def test_engagement_rule_heats_up_a_lead_that_comes_back(world):
    temperature_rule("Came back", Temperature.WARM, min_touches=2)
    lead = arrive(world, phone="+40721555001")
    assert lead.temperature == ""
    arrive(world, phone="0721 555 001")  # the same person again: a touch, then a recompute
    lead.refresh_from_db()
    assert lead.touch_count == 2
    assert lead.temperature == Temperature.WARM and "2 touches" in lead.temperature_reasons


def test_recency_rule_needs_a_recent_touch(world):
    rule = temperature_rule("Active this week", Temperature.HOT, max_age_days=7)
    lead = arrive(world)
    assert lead.temperature == Temperature.HOT and "in touch within 7 days" in lead.temperature_reasons
    lead.last_touch_at = timezone.now() - dt.timedelta(days=8)
    assert rule_matches(rule, lead) == []


def test_every_criterion_must_hold(world):
    rule = temperature_rule("Hot webinar regulars", Temperature.HOT, sources=[Source.WEBINAR], min_touches=3)
    lead = Lead(source=Source.WEBINAR, touch_count=2, last_touch_at=timezone.now())
    assert rule_matches(rule, lead) == []
    lead.touch_count = 3
    assert rule_matches(rule, lead) == ["source is Webinar", "3 touches"]


def test_first_matching_rule_wins_and_inactive_rules_are_ignored(world):
    temperature_rule("Off", Temperature.COLD, position=0, sources=[Source.WEB_FORM], is_active=False)
    temperature_rule("Forms are warm", Temperature.WARM, position=1, sources=[Source.WEB_FORM])
    temperature_rule("Everything is cold", Temperature.COLD, position=2)
    assert arrive(world).temperature == Temperature.WARM
    catch_all = arrive(world, source="webinar")
    assert catch_all.temperature == Temperature.COLD
    assert catch_all.temperature_reasons == ["company rule “Everything is cold”", "applies to every lead"]


def test_team_rule_comes_before_company_wide_rule(world):
    temperature_rule("Company: forms are cold", Temperature.COLD, position=0, sources=[Source.WEB_FORM])
    temperature_rule(
        "North: forms are hot", Temperature.HOT, team=world.north, position=9, sources=[Source.WEB_FORM]
    )
    north = arrive(world)
    south = arrive(world, team=world.south, phone=f"+3620{next(_phones)}0")
    assert (
        north.temperature == Temperature.HOT
        and north.temperature_reasons[0] == "team rule “North: forms are hot”"
    )
    assert south.temperature == Temperature.COLD, "another team's rule never applies"


def test_temperature_given_at_intake_stays_when_no_rule_matches(world):
    lead = arrive(world, temperature="warm")
    assert lead.temperature == Temperature.WARM and lead.temperature_reasons == ["given at intake"]


def test_hand_set_temperature_is_kept_on_every_recompute(world):
    temperature_rule("Call me = hot", Temperature.HOT, sources=[Source.CALLBACK])
    lead = arrive(world, source="callback_widget", phone="+40721555002")
    head = world.head_north
    lead_update(by=head, lead=lead, data={"temperature": Temperature.COLD})
    lead.refresh_from_db()
    assert (lead.temperature, lead.temperature_manual) == (Temperature.COLD, True)
    arrive(world, source="callback_widget", phone="+40721555002")  # a touch recomputes
    lead.refresh_from_db()
    assert lead.temperature == Temperature.COLD
    assert lead.temperature_reasons == ["Set by hand by Helga"]
    leads_rescore()
    lead.refresh_from_db()
    assert lead.temperature == Temperature.COLD
    assert evaluate_temperature(lead)[0] == Temperature.COLD


def test_clearing_the_hand_set_value_gives_the_rules_back(world):
    temperature_rule("Call me = hot", Temperature.HOT, sources=[Source.CALLBACK])
    lead = arrive(world, source="callback_widget")
    lead_update(by=world.head_north, lead=lead, data={"temperature": Temperature.COLD})
    lead_update(by=world.head_north, lead=lead, data={"temperature": ""})
    lead.refresh_from_db()
    assert lead.temperature == Temperature.HOT and not lead.temperature_manual


def test_rescore_job_cools_leads_whose_recency_ran_out(world):
    temperature_rule("Active this week", Temperature.HOT, position=1, max_age_days=7)
    temperature_rule("Otherwise cold", Temperature.COLD, position=2)
    lead = arrive(world)
    assert lead.temperature == Temperature.HOT
    Lead.objects.filter(pk=lead.pk).update(last_touch_at=timezone.now() - dt.timedelta(days=10))
    assert leads_rescore() == 1
    lead.refresh_from_db()
    assert lead.temperature == Temperature.COLD
    event = lead.events.get(kind=LeadEventKind.TEMPERATURE)
    assert event.data == {"old": "hot", "new": "cold"}
