"""Sending satisfaction surveys and taking their answers (SPEC §8).

* `survey_send` — one survey to one contact of a client, for one occasion: by hand from the
  card or the API, after a won deal (`DEAL_WON` → a deferred job N days later, the daily sweep
  as the safety net), periodically to active clients, and the exit questionnaire when a client
  is marked lost (`CLIENT_LOST`). Only a contact with consent and an e-mail is asked; otherwise
  the refusal says why (a trigger records nothing). An occasion is asked once: a second trigger
  finds its survey and sends nothing.
* `survey_deliver` — the job: claims the survey in the database (a committed claim, keyed with
  `run_once`) before it makes the link's token and talks to SMTP, so a retried or re-delivered
  job — or one whose worker was killed mid-send — sends nothing again.
* `survey_answer` — the public page's answer: once per token, within its validity, scores in
  range; the consequences follow — a low score is a task for the client's owner and a notice to
  the team's head, a promoter a task to ask for a referral.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientela.activities.choices import Priority, TaskKind
from clientela.activities.services.task import task_create
from clientela.clients.choices import ClientStatus
from clientela.clients.models import Client, Contact
from clientela.clients.status import status_condition
from clientela.comms.choices import TemplateKey
from clientela.comms.templates import render_message
from clientela.core.audit import audit_create, audit_event
from clientela.core.errors import BusinessError, ConflictError
from clientela.core.language import in_language_of
from clientela.core.notifications import notify
from clientela.core.permissions import Action, require, require_record
from clientela.core.tasks import durable_task, enqueue_on_commit, run_once
from clientela.core.texts import Label, Message
from clientela.retention import satisfaction
from clientela.retention.models import ChurnReason, RetentionPolicy
from clientela.retention.surveys_models import (
    SCORE_RANGE,
    SatisfactionFactor,
    Survey,
    SurveyFactorScore,
    SurveyKind,
    SurveyStatus,
)

log = logging.getLogger(__name__)

VALID_DAYS = 30  # a survey link answers for this many days after it is sent
LANGUAGES = [code for code, _name in settings.LANGUAGES]
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
CLIENT_LOCKED = _("You cannot send surveys to this client.")


class SurveyGone(BusinessError):
    """The survey's link expired (HTTP 410)."""

    status = 410


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def survey_url(token: str) -> str:
    return settings.SITE_URL + reverse("retention:survey_answer", args=[token])


# --- Who is asked ---------------------------------------------------------------------------------


def main_contact(client: Client) -> Contact | None:
    """The client's contact to ask: the first working contact with consent and an e-mail."""
    return (
        Contact.objects.filter(client=client, is_archived=False, consent=True)
        .exclude(email="")
        .order_by("created_at", "id")
        .first()
    )


def refusal(contact: Contact | None) -> str:
    """Why this contact may not be asked ("" when they may)."""
    if contact is None:
        return str(_("The client has no contact who agreed to receive messages."))
    if not contact.consent:
        return str(_("%(contact)s has not agreed to receive messages.") % {"contact": contact})
    if not contact.email:
        return str(_("%(contact)s has no e-mail address.") % {"contact": contact})
    if contact.is_archived:
        return str(_("%(contact)s no longer works with this client.") % {"contact": contact})
    return ""


def language_for(contact: Contact | None, client: Client) -> str:
    """The contact's language, else the owner's, else the site's."""
    for language in (
        getattr(contact, "preferred_language", ""),
        getattr(client.owner, "language", "") if client.owner_id else "",
    ):
        if language and language.split("-")[0] in LANGUAGES:
            return language.split("-")[0]
    return settings.LANGUAGE_CODE.split("-")[0]


# --- Sending ------------------------------------------------------------------------------------


@transaction.atomic
def survey_send(
    *,
    by: Any,
    client: Client,
    kind: str,
    contact: Contact | None = None,
    deal: Any = None,
    subject: str = "",
    occasion: str = "",
) -> Survey:
    """Ask one contact of `client` a survey of `kind` for one `occasion` (a new one when none is
    named). `by` None is the system (a trigger). Returns the survey — the existing one when the
    occasion was asked already. Raises BusinessError (422, with the field) when the contact may not
    be asked: no consent, no e-mail, not the client's."""
    if by is not None:
        require(by, "work_records")
        require_record(by, client, Action.WORK, CLIENT_LOCKED)
    errors: dict[str, list[str]] = {}
    if kind not in SurveyKind.values:
        errors["kind"] = [_("Choose CSAT, NPS, the satisfaction index or the exit questionnaire.")]
    if contact is not None and contact.client_id != client.pk:
        errors["contact"] = [_("Choose a contact of this client.")]
    if deal is not None and deal.client_id != client.pk:
        errors["deal"] = [_("Choose a deal of this client.")]
    subject = CONTROL.sub("", " ".join((subject or "").split()))[:200]
    if errors:
        raise BusinessError(_("Some fields are not valid."), errors=errors)
    if contact is None:
        contact = main_contact(client)
    reason = refusal(contact)
    if reason:
        raise BusinessError(reason, errors={"contact": [reason]})
    assert contact is not None
    occasion = occasion or f"hand:{uuid.uuid4().hex}"
    existing = Survey.objects.filter(occasion=occasion).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            survey = Survey.objects.create(
                kind=kind,
                client=client,
                contact=contact,
                deal=deal,
                subject=subject,
                occasion=occasion,
                email=contact.email,
                language=language_for(contact, client),
                created_by=by,
            )
    except IntegrityError:  # the same occasion, asked at the same moment by another worker
        return Survey.objects.get(occasion=occasion)
    audit_create(actor=by, instance=survey, fields=["kind", "client", "contact", "deal", "occasion", "email"])
    enqueue_on_commit(send_survey, survey_id=survey.pk)
    return survey


def survey_trigger(**kwargs: Any) -> Survey | None:
    """A trigger's survey: None (and a log line saying why) when no one may be asked."""
    try:
        return survey_send(by=None, **kwargs)
    except BusinessError as exc:
        log.info("survey %s not sent: %s", kwargs.get("occasion"), exc.message)
        return None


def survey_deliver(*, survey_id: int, now: dt.datetime | None = None) -> bool:
    """Send the survey's letter once. Returns whether this call sent it."""
    survey = (
        Survey.objects.select_related("client", "client__owner", "contact", "deal")
        .filter(pk=survey_id)
        .first()
    )
    if survey is None or survey.status != SurveyStatus.QUEUED:
        return False
    if refusal(survey.contact) or survey.contact is None or survey.contact.email != survey.email:
        # Consent withdrawn (or the address changed) since the survey was queued: nothing goes out.
        Survey.objects.filter(pk=survey.pk, status=SurveyStatus.QUEUED).update(status=SurveyStatus.FAILED)
        return False
    token = secrets.token_urlsafe(32)  # made here, never stored in the queue nor the database
    now = now or timezone.now()

    def claim() -> None:
        Survey.objects.filter(pk=survey.pk, status=SurveyStatus.QUEUED).update(
            status=SurveyStatus.SENDING,
            token_hash=token_hash(token),
            sent_at=now,
            expires_at=now + dt.timedelta(days=VALID_DAYS),
        )

    if not run_once(f"retention.survey:{survey.pk}", claim):
        return False
    if not Survey.objects.filter(
        pk=survey.pk, status=SurveyStatus.SENDING, token_hash=token_hash(token)
    ).exists():
        return False
    key = TemplateKey.EXIT_SURVEY if survey.kind == SurveyKind.EXIT else TemplateKey.SURVEY
    owner = survey.client.owner
    try:
        with translation.override(survey.language):
            letter = render_message(
                key,
                language=survey.language,
                context={
                    "client": survey.client,
                    "contact": survey.contact,
                    "deal": survey.deal,
                    "manager": owner,
                    "survey_url": survey_url(token),
                },
            )
        reply_to = [owner.email] if owner is not None and owner.email else None
        EmailMultiAlternatives(
            letter.subject, letter.body, settings.DEFAULT_FROM_EMAIL, [survey.email], reply_to=reply_to
        ).send()
    except Exception:
        log.exception("survey %s could not be sent", survey.pk)
        Survey.objects.filter(pk=survey.pk).update(status=SurveyStatus.FAILED)
        return False
    Survey.objects.filter(pk=survey.pk, status=SurveyStatus.SENDING).update(status=SurveyStatus.SENT)
    return True


@durable_task(queue_name="email")
def send_survey(*, survey_id: int) -> bool:
    return survey_deliver(survey_id=survey_id)


# --- Triggers -----------------------------------------------------------------------------------


def policy_of(team: Any) -> RetentionPolicy:
    """The team's retention policy (its defaults when none is stored yet)."""
    if team is None:
        return RetentionPolicy()
    return RetentionPolicy.objects.filter(team=team).first() or RetentionPolicy(team=team)


def on_deal_won(*, by: Any, deal: Any) -> None:
    """`deals.hooks.DEAL_WON`: the survey goes out `survey_after_won_days` after the win."""
    days = policy_of(deal.team).survey_after_won_days
    if not days:
        return
    at = (deal.closed_at or timezone.now()) + dt.timedelta(days=days)
    enqueue_on_commit(survey_after_won.using(run_after=at), deal_id=deal.pk)


def send_after_won(deal: Any) -> Survey | None:
    if deal.client_id is None:
        return None
    return survey_trigger(client=deal.client, kind=SurveyKind.CSAT, deal=deal, occasion=f"won:{deal.pk}")


@durable_task()
def survey_after_won(*, deal_id: int) -> bool:
    from clientela.deals.models import Deal

    deal = Deal.objects.select_related("client").filter(pk=deal_id, status="won").first()
    return deal is not None and send_after_won(deal) is not None


def surveys_due(*, now: dt.datetime | None = None) -> int:
    """The daily sweep: won deals whose survey is due (the deferred job's safety net, within a
    month of the due day) and active clients whose periodic survey is due. Returns how many
    surveys it created."""
    from clientela.deals.models import Deal
    from clientela.users.models import Team

    now = now or timezone.now()
    created = 0
    policies = {team.pk: policy_of(team) for team in Team.objects.all()}
    for team_id, policy in policies.items():
        days = policy.survey_after_won_days
        if days:
            due = Deal.objects.filter(
                team_id=team_id,
                status="won",
                closed_at__lte=now - dt.timedelta(days=days),
                closed_at__gt=now - dt.timedelta(days=days + 30),
            ).select_related("client")
            deals = list(due)
            done = set(
                Survey.objects.filter(occasion__in=[f"won:{deal.pk}" for deal in deals]).values_list(
                    "occasion", flat=True
                )
            )
            for deal in deals:
                if f"won:{deal.pk}" not in done and send_after_won(deal):
                    created += 1
        every = policy.survey_every_days
        if every:
            period = (now.date() - dt.date(2000, 1, 1)).days // every
            # Only clients someone may be asked at (`main_contact`): the others would be refused
            # one by one every day.
            askable = Contact.objects.filter(client=OuterRef("pk"), is_archived=False, consent=True).exclude(
                email=""
            )
            clients = Client.objects.filter(
                status_condition(ClientStatus.ACTIVE, now=now), Exists(askable), team_id=team_id
            )
            asked = set(
                Survey.objects.filter(
                    client__team_id=team_id, created_at__gt=now - dt.timedelta(days=every)
                ).values_list("client_id", flat=True)
            )
            for client in clients.select_related("owner").iterator():
                if client.pk in asked:
                    continue
                survey = survey_trigger(
                    client=client, kind=SurveyKind.NPS, occasion=f"every:{client.pk}:{period}"
                )
                created += survey is not None
    return created


@durable_task()
def send_due_surveys() -> int:
    return surveys_due()


def on_client_lost(*, by: Any, client: Client, change: Any, options: Mapping[str, Any] | None = None) -> None:
    """`retention.hooks.CLIENT_LOST`: send the exit questionnaire when the loss asked for it."""
    options = options or {}
    if not options.get("exit_questionnaire"):
        return
    contact = None
    if options.get("contact_id"):
        contact = Contact.objects.filter(pk=options["contact_id"], client=client).first()
    survey_trigger(
        client=client,
        kind=SurveyKind.EXIT,
        contact=contact,
        occasion=f"exit:{getattr(change, 'pk', client.pk)}",
    )


# --- Answering ----------------------------------------------------------------------------------


def survey_for_token(token: str) -> Survey | None:
    """The survey a link names, or None for a forged or unknown one."""
    if not token or len(token) > 100:
        return None
    return (
        Survey.objects.select_related("client", "contact", "deal")
        .filter(token_hash=token_hash(token))
        .exclude(token_hash="")
        .first()
    )


def survey_state(survey: Survey | None, now: dt.datetime | None = None) -> str:
    """ "open", or why it cannot be answered: "unknown", "expired", "answered"."""
    if survey is None:
        return "unknown"
    if survey.answered_at is not None:
        return "answered"
    if survey.expires_at is None or survey.expires_at <= (now or timezone.now()):
        return "expired"
    return "open"


def _int(value: Any, field: str, low: int, high: int, errors: dict[str, list[str]]) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors[field] = [_("Choose a score.")]
        return None
    if not low <= number <= high:
        errors[field] = [_("Choose a score from %(low)s to %(high)s.") % {"low": low, "high": high}]
        return None
    return number


def clean_comment(value: Any) -> str:
    return CONTROL.sub("", str(value or "")).strip()[:2000]


def survey_answer(*, token: str, data: Mapping[str, Any], now: dt.datetime | None = None) -> Survey:
    """Record the answer to the survey `token` names, once. Raises BusinessError: 404 for a forged
    link, 410 for an expired one, 409 for one already answered, 422 with the fields for scores out
    of range."""
    now = now or timezone.now()
    with transaction.atomic():
        found = survey_for_token(token)
        survey = Survey.objects.select_for_update().filter(pk=found.pk).first() if found else None
        state = survey_state(survey, now)
        if state == "unknown" or survey is None:
            raise BusinessError(_("This link is not valid."), status=404)
        if state == "answered":
            raise ConflictError(_("This survey has been answered already. Thank you!"))
        if state == "expired":
            raise SurveyGone(_("This survey has expired."))
        errors: dict[str, list[str]] = {}
        scores: list[tuple[SatisfactionFactor, int]] = []
        if survey.kind in (SurveyKind.CSAT, SurveyKind.NPS):
            low, high = SCORE_RANGE[SurveyKind(survey.kind)]
            survey.score = _int(data.get("score"), "score", low, high, errors)
        elif survey.kind == SurveyKind.INDEX:
            for factor in SatisfactionFactor.objects.filter(is_active=True):
                score = _int(data.get(f"factor_{factor.code}"), f"factor_{factor.code}", 1, 5, errors)
                if score is not None:
                    scores.append((factor, score))
            if not scores and not errors:
                errors["__all__"] = [_("There is nothing to score.")]
        else:
            reason = ChurnReason.objects.filter(is_active=True, code=str(data.get("reason", ""))).first()
            if reason is None:
                errors["reason"] = [_("Choose one answer.")]
            else:
                survey.churn_reason = reason.code
        if errors:
            raise BusinessError(_("Some answers are not valid."), errors=errors)
        if scores:
            SurveyFactorScore.objects.bulk_create(
                SurveyFactorScore(survey=survey, factor=factor, score=score, weight=factor.weight)
                for factor, score in scores
            )
            survey.index_value = satisfaction.weighted_index((score, f.weight) for f, score in scores)
        survey.comment = clean_comment(data.get("comment"))
        survey.answered_at = now
        survey.status = SurveyStatus.ANSWERED
        survey.save(
            update_fields=["score", "index_value", "churn_reason", "comment", "answered_at", "status"]
        )
        audit_event(
            actor=None,
            instance=survey,
            event="answered",
            changes={"score": [None, survey.score], "index_value": [None, str(survey.index_value or "")]},
        )
        _consequences(survey)
    return survey


def _consequences(survey: Survey) -> None:
    """A low score: a task for the owner and a notice to the head. A promoter: a referral task."""
    client = survey.client
    owner = client.owner
    kind = Label("survey_kind", survey.kind, survey.get_kind_display())
    shown = survey.score if survey.score is not None else survey.index_value
    due = timezone.now() + dt.timedelta(days=1)
    url = reverse("clients:detail", args=[client.pk])
    if satisfaction.is_low(survey):
        if owner is not None:
            task_create(
                by=None,
                title=Message(satisfaction.LOW_SCORE_TASK, client=client.name, score=str(shown), kind=kind),
                due_at=due,
                assignee=owner,
                kind=TaskKind.FOLLOW_UP,
                priority=Priority.URGENT,
                client=client,
                deal=survey.deal,
                description=survey.comment,
            )
        head = client.team.head if client.team_id and client.team and client.team.head_id else None
        if head is not None:
            with in_language_of(head):
                text = _("%(client)s is unhappy: %(score)s in the %(kind)s survey") % {
                    "client": client.name,
                    "score": shown,
                    "kind": survey.get_kind_display(),
                }
            notify(user=head, verb="survey_low_score", text=text, url=url)
        if owner is not None and owner != head:
            with in_language_of(owner):
                text = _("%(client)s is unhappy: %(score)s in the %(kind)s survey") % {
                    "client": client.name,
                    "score": shown,
                    "kind": survey.get_kind_display(),
                }
            notify(user=owner, verb="survey_low_score", text=text, url=url)
    elif satisfaction.is_promoter(survey) and owner is not None:
        task_create(
            by=None,
            title=Message(satisfaction.REFERRAL_TASK, client=client.name, score=str(survey.score)),
            due_at=due,
            assignee=owner,
            kind=TaskKind.FOLLOW_UP,
            client=client,
            deal=survey.deal,
        )


# --- Registration ---------------------------------------------------------------------------------


def register() -> None:
    from clientela.clients.hooks import card_sections
    from clientela.core.periodic import PERIODIC_JOBS, Periodic
    from clientela.deals.hooks import DEAL_WON
    from clientela.retention.hooks import CLIENT_LOST

    DEAL_WON.register(on_deal_won)
    CLIENT_LOST.register(on_client_lost)
    PERIODIC_JOBS.register(Periodic(send_due_surveys, dt.timedelta(hours=24)))
    card_sections.register("retention/surveys/_client_section.html")
