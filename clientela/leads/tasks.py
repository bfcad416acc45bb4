"""Background jobs of the leads app."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import translation

from clientela.comms.choices import TemplateKey
from clientela.comms.templates import render_message
from clientela.core.tasks import durable_task, run_once
from clientela.leads.choices import LeadEventKind
from clientela.leads.models import Lead
from clientela.leads.services.lifecycle import lead_event
from clientela.leads.services.refuse import lead_return_from_postponement, leads_return_due

QUESTIONNAIRE_SALT = "clientela.leads.refusal-questionnaire"


def questionnaire_token(lead: Lead) -> str:
    return signing.dumps({"lead": lead.pk}, salt=QUESTIONNAIRE_SALT)


def lead_from_questionnaire_token(token: str, max_age_days: int = 60) -> Lead | None:
    try:
        data = signing.loads(token, salt=QUESTIONNAIRE_SALT, max_age=max_age_days * 24 * 3600)
    except signing.BadSignature:
        return None
    return Lead.objects.filter(pk=data.get("lead")).first()


@durable_task(queue_name="email")
def send_farewell_letter(*, lead_id: int) -> bool:
    """Thank a refusing lead and ask, with a one-click questionnaire, why they declined. Once.

    The letter is the "farewell" message template (comms) in the owner's language.
    """
    lead = Lead.objects.select_related("owner").filter(pk=lead_id).first()
    if lead is None or not lead.email:
        return False

    def send() -> None:
        language = lead.owner.language if lead.owner and lead.owner.language else settings.LANGUAGE_CODE
        with translation.override(language):
            link = settings.SITE_URL + reverse(
                "leads:refusal_questionnaire", args=[questionnaire_token(lead)]
            )
        letter = render_message(
            TemplateKey.FAREWELL,
            language=language,
            context={"lead": lead, "manager": lead.owner, "questionnaire_url": link},
        )
        sender = settings.DEFAULT_FROM_EMAIL
        reply_to = [lead.owner.email] if lead.owner and lead.owner.email else None
        EmailMultiAlternatives(letter.subject, letter.body, sender, [lead.email], reply_to=reply_to).send()
        lead_event(lead, LeadEventKind.FAREWELL, None, letter.subject, to=lead.email)

    return run_once(f"farewell:{lead.pk}", send)


@durable_task()
def return_postponed_leads() -> int:
    """Periodic sweep: postponed leads whose date has come go back to their owners."""
    return leads_return_due()


@durable_task()
def return_postponed_lead(*, lead_id: int) -> bool:
    """Deferred to the start of the re-contact day; the periodic sweep is the safety net."""
    lead = Lead.objects.filter(pk=lead_id).first()
    return lead is not None and lead_return_from_postponement(lead=lead)
