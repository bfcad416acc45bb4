from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskKind(models.TextChoices):
    FIRST_CONTACT = "first_contact", _("First contact")
    CALL_BACK = "call_back", _("Call back")
    RECONTACT = "recontact", _("Re-contact")
    FOLLOW_UP = "follow_up", _("Follow-up")
    PROMISE = "promise", _("Promise")
    NEXT_STEP = "next_step", _("Next step")
    KEEP_ALIVE = "keep_alive", _("Keep-alive")
    MEETING = "meeting", _("Meeting")
    CALL = "call", _("Call")
    OTHER = "other", _("Task")


# Completing a task of these kinds closes a conversation with the client: the next-step rule applies.
CONVERSATION_TASK_KINDS = (TaskKind.CALL, TaskKind.MEETING, TaskKind.CALL_BACK, TaskKind.FIRST_CONTACT)


class Priority(models.IntegerChoices):
    LOW = 0, _("Low")
    NORMAL = 1, _("Normal")
    HIGH = 2, _("High")
    URGENT = 3, _("Urgent")


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    EMAIL = "email", _("E-mail")
    MEETING = "meeting", _("Meeting")
    PROPOSAL = "proposal", _("Commercial proposal")
    PRICE_LIST = "price_list", _("Price list")
    PRINTED = "printed", _("Printed materials")
    NOTE = "note", _("Note")


# Kinds that are an offer to the client (the offer guard and the post-sale cadence count them).
OFFER_KINDS = (ActivityKind.PROPOSAL, ActivityKind.PRICE_LIST)

# Kinds that are a touch with the client (they move "last contact" and stop response clocks).
CONTACT_KINDS = (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING)


class Direction(models.TextChoices):
    IN = "in", _("Inbound")
    OUT = "out", _("Outbound")


class Outcome(models.TextChoices):
    # Calls
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    LEFT_MESSAGE = "left_message", _("Left a message")
    CALL_BACK_LATER = "call_back_later", _("Asked to call back later")
    # Meetings
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    NO_SHOW = "no_show", _("No-show")


CALL_OUTCOMES = (
    Outcome.REACHED,
    Outcome.NO_ANSWER,
    Outcome.BUSY,
    Outcome.WRONG_NUMBER,
    Outcome.LEFT_MESSAGE,
    Outcome.CALL_BACK_LATER,
)
MEETING_OUTCOMES = (Outcome.HELD, Outcome.CANCELLED, Outcome.RESCHEDULED, Outcome.NO_SHOW)
# A call with these outcomes reached the person: it counts as a contact (stops the first-response clock).
CONTACT_OUTCOMES = (Outcome.REACHED, Outcome.LEFT_MESSAGE, Outcome.CALL_BACK_LATER, Outcome.HELD)


class Recurrence(models.TextChoices):
    NONE = "", _("Does not repeat")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    YEARLY = "yearly", _("Yearly")
