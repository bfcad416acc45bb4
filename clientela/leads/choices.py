from django.db import models
from django.utils.translation import gettext_lazy as _


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_WORK = "in_work", _("In work")
    QUALIFIED = "qualified", _("Qualified")
    CONVERTED = "converted", _("Converted")
    REFUSED = "refused", _("Refused")
    POSTPONED = "postponed", _("Postponed")


# Statuses of a lead someone still works on: duplicates attach to these.
OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.IN_WORK, LeadStatus.QUALIFIED, LeadStatus.POSTPONED)


class Temperature(models.TextChoices):
    COLD = "cold", _("Cold")
    WARM = "warm", _("Warm")
    HOT = "hot", _("Hot")


class Origin(models.TextChoices):
    SEED = "seed", _("Seed (word of mouth, referral)")
    NET = "net", _("Net (inbound marketing)")
    SPEAR = "spear", _("Spear (outbound work)")


class Source(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    CALCULATOR = "landing_calculator", _("Calculator")
    DEMO_DOWNLOAD = "demo_download", _("Demo download")
    WEBINAR = "webinar", _("Webinar")
    EBOOK = "ebook", _("E-book")
    CALLBACK = "callback_widget", _("Callback request")
    INCOMING_CALL = "incoming_call", _("Incoming call")
    EMAIL = "email", _("E-mail")
    EXHIBITION = "exhibition", _("Exhibition")
    COLD_CALL = "cold_call", _("Cold call")
    PURCHASED_LIST = "purchased_list", _("Purchased list")
    REFERRAL = "referral", _("Referral")
    WORD_OF_MOUTH = "word_of_mouth", _("Word of mouth")
    SOCIAL = "social", _("Social media")
    MANUAL = "manual", _("Entered by hand")
    IMPORT = "import", _("Imported file")
    OTHER = "other", _("Other")


# The origin type a source implies when none is given (SPEC §3).
SOURCE_ORIGIN: dict[str, str] = {
    Source.WEB_FORM: Origin.NET,
    Source.CALCULATOR: Origin.NET,
    Source.DEMO_DOWNLOAD: Origin.NET,
    Source.WEBINAR: Origin.NET,
    Source.EBOOK: Origin.NET,
    Source.CALLBACK: Origin.NET,
    Source.INCOMING_CALL: Origin.NET,
    Source.EMAIL: Origin.NET,
    Source.SOCIAL: Origin.NET,
    Source.EXHIBITION: Origin.SPEAR,
    Source.COLD_CALL: Origin.SPEAR,
    Source.PURCHASED_LIST: Origin.SPEAR,
    Source.MANUAL: Origin.SPEAR,
    Source.IMPORT: Origin.SPEAR,
    Source.REFERRAL: Origin.SEED,
    Source.WORD_OF_MOUTH: Origin.SEED,
}


class QualificationItem(models.TextChoices):
    NEED = "need", _("Need")
    BUDGET = "budget", _("Budget / solvency")
    AUTHORITY = "authority", _("Authority (decision maker)")
    TIMING = "timing", _("Timing")


class LeadEventKind(models.TextChoices):
    CREATED = "created", _("Created")
    TOUCH = "touch", _("New touch")
    STATUS = "status", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    TEMPERATURE = "temperature", _("Temperature changed")
    QUALIFICATION = "qualification", _("Qualification updated")
    CONVERTED = "converted", _("Converted")
    REFUSED = "refused", _("Refused")
    POSTPONED = "postponed", _("Postponed")
    RETURNED = "returned", _("Returned from postponement")
    MERGED = "merged", _("Merged")
    EDITED = "edited", _("Edited")
    NOTE = "note", _("Note")
    FAREWELL = "farewell", _("Farewell letter sent")


class AssignmentStrategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round-robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")
