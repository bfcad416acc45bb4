"""Sending surveys and taking answers: consent, once per occasion (also when a worker dies
mid-send), the public page's refusals (forged, expired, answered, out of range), what a low score
and a promoter set off, the exit questionnaire of a lost client, and who may pass each door."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from clientela.activities.models import Task
from clientela.conftest import login
from clientela.core.errors import BusinessError
from clientela.core.models import Notification
from clientela.retention import surveys
from clientela.retention.hooks import CLIENT_LOST
from clientela.retention.models import ClientStatusChange
from clientela.retention.surveys_models import Survey, SurveyStatus
from clientela.retention.tests.surveys_helpers import make_client, sent_survey


def run_worker() -> None:
    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", "--no-reload", verbosity=0
    )


def link_path(letter) -> str:
    return letter.body.split("http://testserver", 1)[1].split()[0]


# --- consent --------------------------------------------------------------------------------------


def test_no_consent_no_survey_and_the_refusal_says_why(world):
    client = make_client(world, consent=False)
    with pytest.raises(BusinessError) as refused:
        surveys.survey_send(by=world.manager_north, client=client, kind="nps")
    assert "contact" in refused.value.errors
    contact = client.contacts.get()
    with pytest.raises(BusinessError) as named:
        surveys.survey_send(by=world.manager_north, client=client, kind="nps", contact=contact)
    assert "agreed" in named.value.errors["contact"][0]
    assert surveys.survey_trigger(client=client, kind="nps", occasion="every:x") is None
    assert not Survey.objects.exists()


def test_a_contact_without_email_is_not_asked(world):
    client = make_client(world)
    client.contacts.update(email="")
    with pytest.raises(BusinessError):
        surveys.survey_send(by=world.manager_north, client=client, kind="csat")
    assert not Survey.objects.exists()


# --- once per occasion ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_trigger_twice_sends_one_letter_and_a_redelivered_job_sends_nothing(world, client):
    from clientela.deals.defaults import ensure_defaults
    from clientela.deals.models import Deal, Pipeline

    ensure_defaults()
    customer = make_client(world)
    pipeline = Pipeline.objects.get(code="corporate")
    won = pipeline.stages.get(is_won=True) if hasattr(pipeline, "stages") else None
    deal = Deal.objects.create(
        title="Chairs",
        client=customer,
        pipeline=pipeline,
        stage=won,
        status="won",
        owner=world.manager_north,
        team=world.north,
        amount=100,
        currency="RON",
        closed_at=timezone.now() - dt.timedelta(days=15),
    )
    assert surveys.surveys_due() == 1  # 14 days after the win (the default)
    assert surveys.surveys_due() == 0  # the same occasion: nothing new
    assert surveys.send_after_won(deal).occasion == f"won:{deal.pk}"  # the deferred job finds it too
    run_worker()
    assert len(mail.outbox) == 1
    letter = mail.outbox[0]
    assert letter.to == [customer.contacts.get().email]
    assert "Chairs" in letter.body  # the Romanian contact gets the Romanian letter about the deal
    survey = Survey.objects.get()
    assert survey.status == SurveyStatus.SENT and survey.deal == deal and survey.language == "ro"
    surveys.send_survey.call(survey_id=survey.pk)  # a re-delivered job
    run_worker()
    assert len(mail.outbox) == 1
    # The link works; the database keeps only its hash.
    token = link_path(letter).strip("/").split("/")[-1]
    assert token not in survey.token_hash and surveys.survey_for_token(token) == survey


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_its_claim_sends_nothing_again(world):
    customer = make_client(world)
    survey = surveys.survey_send(by=world.manager_north, client=customer, kind="nps")
    # The worker claimed the survey (committed) and died before SMTP answered.
    Survey.objects.filter(pk=survey.pk).update(status=SurveyStatus.SENDING)
    run_worker()
    assert surveys.survey_deliver(survey_id=survey.pk) is False
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_consent_withdrawn_before_the_letter_goes_out_stops_it(world):
    customer = make_client(world)
    survey = surveys.survey_send(by=world.manager_north, client=customer, kind="csat")
    customer.contacts.update(consent=False)
    run_worker()
    assert mail.outbox == []
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.FAILED and survey.token_hash == ""


def test_periodic_surveys_go_to_active_clients_once_per_period(world):
    customer = make_client(world)
    old = timezone.now() - dt.timedelta(days=200)
    type(customer).objects.filter(pk=customer.pk).update(created_at=old, last_contact_at=timezone.now())
    passive = make_client(world, name="Sleeping SRL")
    type(passive).objects.filter(pk=passive.pk).update(created_at=old, last_contact_at=old)
    assert surveys.surveys_due() == 1
    assert surveys.surveys_due() == 0
    assert Survey.objects.get().client == customer
    # Never when the team says 0.
    from clientela.retention.models import RetentionPolicy

    Survey.objects.all().delete()
    RetentionPolicy.objects.create(team=world.north, survey_every_days=0)
    assert surveys.surveys_due() == 0


def test_winning_a_deal_schedules_the_survey(world, monkeypatch):
    from clientela.deals import services as deal_services
    from clientela.deals.board import services as board_services
    from clientela.deals.defaults import ensure_defaults
    from clientela.deals.models import Pipeline

    ensure_defaults()
    customer = make_client(world)
    deal = deal_services.deal_create(
        by=world.manager_north,
        client=customer,
        pipeline=Pipeline.objects.get(code="corporate"),
        amount="1000.00",
        currency="RON",
    )
    scheduled: list[tuple] = []
    monkeypatch.setattr(surveys, "enqueue_on_commit", lambda job, **kw: scheduled.append((job, kw)))
    board_services.deal_win(by=world.manager_north, deal=deal)
    assert len(scheduled) == 1 and scheduled[0][1] == {"deal_id": deal.pk}
    assert scheduled[0][0].run_after >= timezone.now() + dt.timedelta(days=13)  # 14 days by default


# --- the public page ------------------------------------------------------------------------------


def test_the_page_takes_one_answer_in_range(world, client):
    customer = make_client(world)
    survey, token = sent_survey(customer, "nps")
    url = f"/s/{token}/"
    page = client.get(url)
    assert page.status_code == 200 and 'name="score"' in page.content.decode()
    out_of_range = client.post(url, {"score": "11", "comment": "x"})
    assert out_of_range.status_code == 422
    assert "0" in out_of_range.content.decode() and "10" in out_of_range.content.decode()
    assert client.post(url, {"score": "abc"}).status_code == 422
    survey.refresh_from_db()
    assert survey.answered_at is None
    done = client.post(url, {"score": "8", "comment": "Good\x00 work\x1b"})
    assert done.status_code == 200
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.status) == (8, "Good work", SurveyStatus.ANSWERED)
    again = client.post(url, {"score": "0"})
    assert again.status_code == 409
    survey.refresh_from_db()
    assert survey.score == 8  # nothing recorded twice
    assert client.get(url).status_code == 409


def test_forged_and_expired_links_get_a_clear_page(world, client):
    customer = make_client(world)
    forged = client.get("/s/not-a-real-token/")
    assert forged.status_code == 404 and b"survey-state" in forged.content
    assert client.post("/s/not-a-real-token/", {"score": "5"}).status_code == 404
    survey, token = sent_survey(customer, "csat", days_left=-1)
    assert client.get(f"/s/{token}/").status_code == 410
    assert client.post(f"/s/{token}/", {"score": "5"}).status_code == 410
    survey.refresh_from_db()
    assert survey.score is None
    with pytest.raises(BusinessError) as exc:
        surveys.survey_answer(token=token, data={"score": 5})
    assert exc.value.status == 410


def test_the_page_speaks_the_survey_language_and_can_switch(world, client):
    customer = make_client(world)
    _survey, token = sent_survey(customer, "csat")
    romanian = client.get(f"/s/{token}/").content.decode()
    assert 'lang="ro"' in romanian
    hungarian = client.get(f"/s/{token}/?lang=hu").content.decode()
    assert "Elküld" in hungarian or "Küldés" in hungarian


def test_csat_out_of_range_and_the_index_needs_every_factor(world):
    customer = make_client(world)
    _survey, token = sent_survey(customer, "csat")
    with pytest.raises(BusinessError) as exc:
        surveys.survey_answer(token=token, data={"score": 0})
    assert exc.value.status == 422 and "score" in exc.value.errors
    _index, index_token = sent_survey(customer, "index")
    with pytest.raises(BusinessError) as missing:
        surveys.survey_answer(token=index_token, data={"factor_quality": 5})
    assert "factor_delivery" in missing.value.errors


# --- consequences ------------------------------------------------------------------------------------


def test_a_detractor_gets_an_owner_task_and_the_head_is_told(world):
    world.manager_north.language = "ro"
    world.manager_north.save(update_fields=["language"])
    customer = make_client(world, name="Alfa SRL")
    _survey, token = sent_survey(customer, "nps")
    surveys.survey_answer(token=token, data={"score": 4, "comment": "Slow delivery"})
    task = Task.objects.get(client=customer)
    assert task.assignee == world.manager_north and task.description == "Slow delivery"
    from django.utils import translation

    with translation.override("en"):
        assert "Alfa SRL" in task.shown_title and "4" in task.shown_title
    assert Notification.objects.filter(user=world.head_north, verb="survey_low_score").exists()


@pytest.mark.parametrize(
    ("kind", "data", "low"),
    [
        ("csat", {"score": 2}, True),
        ("csat", {"score": 3}, False),
        ("nps", {"score": 7}, False),
        (
            "index",
            {
                "factor_quality": 2,
                "factor_delivery": 2,
                "factor_price": 2,
                "factor_service": 2,
                "factor_staff_attitude": 2,
            },
            True,
        ),
    ],
)
def test_low_scores_and_not_low_ones(world, kind, data, low):
    customer = make_client(world)
    _survey, token = sent_survey(customer, kind)
    surveys.survey_answer(token=token, data=data)
    assert Task.objects.filter(client=customer).exists() is low
    assert Notification.objects.filter(user=world.head_north, verb="survey_low_score").exists() is low


def test_a_promoter_gets_a_referral_task(world):
    customer = make_client(world, name="Beta SRL")
    _survey, token = sent_survey(customer, "nps")
    surveys.survey_answer(token=token, data={"score": 10})
    task = Task.objects.get(client=customer)
    assert "referral" in task.shown_title and task.assignee == world.manager_north
    assert not Notification.objects.filter(user=world.head_north, verb="survey_low_score").exists()


# --- exit questionnaire ----------------------------------------------------------------------------------


def _lose(world, customer, options):
    change = ClientStatusChange.objects.create(
        client=customer,
        from_status="active",
        to_status="lost",
        kind="decision",
        at=timezone.now(),
        reason="price",
    )
    type(customer).objects.filter(pk=customer.pk).update(lost_at=timezone.now(), lost_reason="competition")
    for hook in CLIENT_LOST:
        hook(by=world.manager_north, client=customer, change=change, options=options)
    return change


def test_marking_lost_with_the_exit_questionnaire_sends_it_once(world, client):
    customer = make_client(world)
    _lose(world, customer, {})
    assert not Survey.objects.exists()
    change = _lose(world, customer, {"exit_questionnaire": True})
    survey = Survey.objects.get()
    assert survey.kind == "exit" and survey.occasion == f"exit:{change.pk}"
    for hook in CLIENT_LOST:
        hook(by=world.manager_north, client=customer, change=change, options={"exit_questionnaire": True})
    assert Survey.objects.count() == 1
    # No consenting contact: nothing sent, the loss itself goes on.
    other = make_client(world, consent=False, name="Gamma SRL")
    _lose(world, other, {"exit_questionnaire": True, "contact_id": other.contacts.get().pk})
    assert Survey.objects.count() == 1


def test_the_exit_answer_shows_on_the_client_card(world, client):
    from clientela.retention.models import ChurnReason

    customer = make_client(world)
    _survey, token = sent_survey(customer, "exit")
    reason = ChurnReason.objects.filter(is_active=True).first()
    with pytest.raises(BusinessError) as none:
        surveys.survey_answer(token=token, data={"reason": "nonsense"})
    assert "reason" in none.value.errors
    surveys.survey_answer(token=token, data={"reason": reason.code, "comment": "Your staff ignored us"})
    card = login(client, world.manager_north).get(f"/clients/{customer.pk}/").content.decode()
    assert "Your staff ignored us" in card and str(reason.label) in card


# --- doors ------------------------------------------------------------------------------------------


def test_send_from_the_card(world, client):
    customer = make_client(world)
    contact = customer.contacts.get()
    page = login(client, world.manager_north)
    answer = page.post(f"/clients/{customer.pk}/survey/", {"kind": "csat", "contact": contact.pk})
    assert answer.status_code == 302
    assert Survey.objects.get().kind == "csat"
    assert page.get(f"/clients/{customer.pk}/").status_code == 200
    other = login(client, world.manager_south)
    assert other.post(f"/clients/{customer.pk}/survey/", {"kind": "csat"}).status_code == 404
    assert Survey.objects.count() == 1


def test_api_send_list_and_detail_are_scoped(world, client, api_token):
    north = make_client(world)
    south = make_client(world, south=True)
    mara = api_token(world.manager_north)
    sent = client.post(
        "/api/v1/retention/surveys",
        {"client": north.pk, "kind": "nps"},
        content_type="application/json",
        headers=mara,
    )
    assert sent.status_code == 201 and sent.json()["status"] == "queued"
    foreign = client.post(
        "/api/v1/retention/surveys",
        {"client": south.pk, "kind": "nps"},
        content_type="application/json",
        headers=mara,
    )
    assert foreign.status_code == 422 and "client" in foreign.json()["errors"]
    marketer = client.post(
        "/api/v1/retention/surveys",
        {"client": north.pk, "kind": "nps"},
        content_type="application/json",
        headers=api_token(world.marketer_north),
    )
    assert marketer.status_code == 403
    south_survey, _token = sent_survey(south, "nps")
    listed = client.get("/api/v1/retention/surveys", headers=mara).json()
    assert [item["client_id"] for item in listed["items"]] == [north.pk]
    assert client.get(f"/api/v1/retention/surveys/{south_survey.pk}", headers=mara).status_code == 404
    admin = client.get(f"/api/v1/retention/surveys/{south_survey.pk}", headers=api_token(world.admin))
    assert admin.status_code == 200 and admin.json()["kind"] == "nps"
    assert client.get("/api/v1/retention/surveys?answered=true", headers=mara).json()["count"] == 0


def test_the_index_and_exit_pages_ask_their_own_questions(world, client):
    from clientela.retention.models import ChurnReason

    customer = make_client(world)
    survey, token = sent_survey(customer, "index")
    page = client.get(f"/s/{token}/?lang=en").content.decode()
    assert all(
        f'name="factor_{code}"' in page
        for code in ("quality", "delivery", "price", "service", "staff_attitude")
    )
    assert "Staff attitude" in page
    half = client.post(f"/s/{token}/", {"factor_quality": "5"})
    assert half.status_code == 422
    scores = {f"factor_{code}": "4" for code in ("quality", "delivery", "price", "service", "staff_attitude")}
    assert client.post(f"/s/{token}/", scores).status_code == 200
    survey.refresh_from_db()
    assert str(survey.index_value) == "4.00"
    _exit, exit_token = sent_survey(customer, "exit")
    exit_page = client.get(f"/s/{exit_token}/").content.decode()
    assert all(f'value="{r.code}"' in exit_page for r in ChurnReason.objects.filter(is_active=True))
