from django.db import models
from django.utils.translation import gettext_lazy as _


class ClockKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    PROMISE = "promise", _("Promise")


class StopReason(models.TextChoices):
    RESPONDED = "responded", _("Responded")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged with a promise")
    PROMISE_KEPT = "promise_kept", _("Promise kept")
    CANCELLED = "cancelled", _("No longer needed")


# Stops that count as an answer to the client (speed-of-first-contact statistics).
ANSWERED_REASONS = (StopReason.RESPONDED, StopReason.ACKNOWLEDGED, StopReason.PROMISE_KEPT)


class ClockStatus(models.TextChoices):
    OK = "ok", _("On time")
    NEAR = "near", _("Nearly due")
    BREACHED = "breached", _("Overdue")


class TemplateKey(models.TextChoices):
    """The recurring messages a sales team sends, each a configurable template (SPEC §7)."""

    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement of receipt")
    KEEP_ALIVE = "keep_alive", _("Keep-alive")
    FAREWELL = "farewell", _("Farewell letter")
    FOLLOW_UP = "follow_up", _("Follow-up")
    GREETINGS = "greetings", _("Greetings")
    SUMMARY = "summary", _("Summary after a call")
    SURVEY = "survey", _("Satisfaction survey")
    EXIT_SURVEY = "exit_survey", _("Exit questionnaire")
