"""Greetings: contacts' birthdays and the configured holidays, sent on the day (SPEC §8).

* **Who**: a client's contact with marketing consent and an e-mail (working contact of a working
  client) — on their birthday and on the holidays of their client's country (the team's default
  country when the client has none); a *postponed* lead with consent and an e-mail, on the
  holidays of its country, for as long as it waits.
* **Planned a week ahead** (`greetings_plan`, the periodic sweep): one `Greeting` row per
  (person, occasion, year) — a unique constraint, so planning twice plans nothing new. The
  manager sees them on `/retention/greetings/` and may skip one (`greeting_skip`, audited).
* **Sent on the day in the team's time zone** (`greetings_send`): the row is claimed (planned →
  sending, committed) before the letter goes out and marked sent after, so a second run, or a
  worker killed mid-run, sends nothing again. Consent and e-mail are checked again at that moment.
  The letter is the "greetings" message template (comms) in the person's language: the
  contact's preferred language, else the language of their country, else their manager's.
  A greeting is not a contact: it does not make a passive client active.
* **Birthdays on 29 February** are greeted on 28 February in the years without one.
* **Holidays** (`GreetingHoliday`): per country, a date per year; admins and heads add, change
  and remove them (`holiday_create`, `holiday_update`, `holiday_delete`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.clients.models import Contact
from clientela.comms.choices import TemplateKey
from clientela.comms.templates import render_message
from clientela.core.audit import audit_create, audit_event, model_update
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.permissions import Action, can, role_of, user_can
from clientela.core.roles import Role
from clientela.core.tasks import durable_task
from clientela.core.zones import zone_of
from clientela.leads.choices import LeadStatus
from clientela.leads.models import Lead
from clientela.retention.greetings_defaults import BIRTHDAY_WISH
from clientela.retention.greetings_models import (
    Greeting,
    GreetingHoliday,
    GreetingOccasion,
    GreetingStatus,
)
from clientela.users.models import Team, User

log = logging.getLogger(__name__)

AHEAD_DAYS = 7
LANGUAGES = [code for code, _name in settings.LANGUAGES]
COUNTRY_LANGUAGE = {
    "RO": "ro",
    "MD": "ro",
    "HU": "hu",
    "RU": "ru",
    "BY": "ru",
    "KZ": "ru",
    "MY": "ms",
    "BN": "ms",
}
HOLIDAY_FIELDS = ("country", "date", "name", "wishes", "is_active")


# --- Who is greeted, in which language -------------------------------------------------------------


def greetable_contacts() -> QuerySet[Contact]:
    return (
        Contact.objects.filter(consent=True, is_archived=False, client__is_archived=False)
        .exclude(email="")
        .select_related("client", "client__owner", "client__team")
    )


def greetable_leads() -> QuerySet[Lead]:
    return (
        Lead.objects.filter(status=LeadStatus.POSTPONED, consent=True)
        .exclude(email="")
        .select_related("owner", "team")
    )


def _language_of(preferred: str, country: str, manager: Any) -> str:
    if preferred in LANGUAGES:
        return preferred
    by_country = COUNTRY_LANGUAGE.get((country or "").upper())
    if by_country in LANGUAGES:
        return str(by_country)
    own = getattr(manager, "language", "") or ""
    return own if own in LANGUAGES else settings.LANGUAGE_CODE


def contact_language(contact: Contact) -> str:
    client = contact.client
    country = client.country or (client.team.default_country if client.team else "")
    return _language_of(contact.preferred_language, country, client.owner)


def lead_language(lead: Lead) -> str:
    country = lead.country or (lead.team.default_country if lead.team else "")
    return _language_of("", country, lead.owner)


def birthday_on(birthday: dt.date, year: int) -> dt.date:
    """The day a birthday is greeted in `year`: 29 February falls on 28 February in other years."""
    if birthday.month == 2 and birthday.day == 29 and not calendar.isleap(year):
        return dt.date(year, 2, 28)
    return birthday.replace(year=year)


def _birthday_condition(days: Iterable[dt.date]) -> Q:
    condition = Q(pk__in=[])
    for day in days:
        condition |= Q(birthday__month=day.month, birthday__day=day.day)
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            condition |= Q(birthday__month=2, birthday__day=29)
    return condition


def _country_condition(prefix: str, country: str) -> Q:
    return Q(**{f"{prefix}country": country}) | Q(
        **{f"{prefix}country": "", f"{prefix}team__default_country": country}
    )


# --- Planning ----------------------------------------------------------------------------------


def _already_planned(key: str, years: list[int], person: str = "contact") -> Exists:
    """People who already have a greeting for this occasion in these years (planning again in
    the next sweep skips them without building their rows)."""
    return Exists(Greeting.objects.filter(occasion_key=key, year__in=years, **{person: OuterRef("pk")}))


def _contact_greeting(
    contact: Contact, occasion: str, key: str, day: dt.date, holiday: Any = None
) -> Greeting:
    client = contact.client
    return Greeting(
        occasion=occasion,
        holiday=holiday,
        occasion_key=key,
        person_key=f"contact:{contact.pk}",
        contact=contact,
        year=day.year,
        date=day,
        owner=client.owner,
        team=client.team,
        email=contact.email,
        language=contact_language(contact),
    )


def greetings_plan(*, today: dt.date | None = None, days: int = AHEAD_DAYS) -> int:
    """Plan the greetings of the coming `days` (from yesterday, for the zones behind UTC).
    Returns how many new ones were planned; a greeting already planned, sent or skipped for the
    same person, occasion and year is never planned again."""
    today = today or timezone.now().date()
    window = [today + dt.timedelta(days=n) for n in range(-1, days + 1)]
    planned: list[Greeting] = []
    years = sorted({day.year for day in window})
    contacts = (
        greetable_contacts()
        .filter(birthday__isnull=False)
        .filter(_birthday_condition(window))
        .exclude(_already_planned("birthday", years))
    )
    for contact in contacts.iterator(chunk_size=1000):
        for day in window:
            if contact.birthday and birthday_on(contact.birthday, day.year) == day:
                planned.append(_contact_greeting(contact, GreetingOccasion.BIRTHDAY, "birthday", day))
    for holiday in GreetingHoliday.objects.filter(is_active=True, date__gte=window[0], date__lte=window[-1]):
        key = f"holiday:{holiday.pk}"
        people = greetable_contacts().filter(_country_condition("client__", holiday.country))
        for contact in people.iterator(chunk_size=1000):
            planned.append(_contact_greeting(contact, GreetingOccasion.HOLIDAY, key, holiday.date, holiday))
        for lead in (
            greetable_leads().filter(_country_condition("", holiday.country)).iterator(chunk_size=1000)
        ):
            planned.append(
                Greeting(
                    occasion=GreetingOccasion.HOLIDAY,
                    holiday=holiday,
                    occasion_key=key,
                    person_key=f"lead:{lead.pk}",
                    lead=lead,
                    year=holiday.date.year,
                    date=holiday.date,
                    owner=lead.owner,
                    team=lead.team,
                    email=lead.email,
                    language=lead_language(lead),
                )
            )
    before = Greeting.objects.count()
    Greeting.objects.bulk_create(planned, batch_size=500, ignore_conflicts=True)
    return Greeting.objects.count() - before


# --- Sending -----------------------------------------------------------------------------------


def _zone_of_team(team: Team | None) -> zoneinfo.ZoneInfo:
    name = getattr(team, "time_zone", "") or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _mark(greeting: Greeting, status: str, **changes: Any) -> None:
    Greeting.objects.filter(pk=greeting.pk).update(status=status, **changes)


def _recipient(greeting: Greeting) -> tuple[str, str, dict[str, Any]] | None:
    """(e-mail, language, template context) now, or None when the person may no longer be greeted."""
    if greeting.contact_id:
        contact = greetable_contacts().filter(pk=greeting.contact_id).first()
        if contact is None:
            return None
        context = {"contact": contact, "client": contact.client, "manager": contact.client.owner}
        return contact.email, contact_language(contact), context
    lead = greetable_leads().filter(pk=greeting.lead_id or 0).first()
    if lead is None:
        return None
    return lead.email, lead_language(lead), {"lead": lead, "manager": lead.owner}


def _send_one(greeting: Greeting, now: dt.datetime) -> bool:
    # Claim first, committed on its own: whatever happens next, this greeting is not sent again.
    if not Greeting.objects.filter(pk=greeting.pk, status=GreetingStatus.PLANNED).update(
        status=GreetingStatus.SENDING
    ):
        return False
    recipient = _recipient(greeting)
    if recipient is None:
        _mark(greeting, GreetingStatus.CANCELLED, done_at=now)
        return False
    email, language, context = recipient
    if greeting.occasion == GreetingOccasion.BIRTHDAY:
        from django.utils import translation

        with translation.override(language):
            wish = str(BIRTHDAY_WISH)
    else:
        wish = greeting.holiday.wish(language) if greeting.holiday else ""
    try:
        letter = render_message(
            TemplateKey.GREETINGS, language=language, context={**context, "occasion": wish}
        )
        manager = context.get("manager")
        reply_to = [manager.email] if manager is not None and manager.email else None
        EmailMultiAlternatives(
            letter.subject, letter.body, settings.DEFAULT_FROM_EMAIL, [email], reply_to=reply_to
        ).send()
    except Exception:  # a failed letter is recorded, never retried into a duplicate
        log.exception("Greeting %s could not be sent", greeting.pk)
        _mark(greeting, GreetingStatus.FAILED, done_at=now, email=email, language=language)
        return False
    _mark(
        greeting,
        GreetingStatus.SENT,
        done_at=now,
        email=email,
        language=letter.language,
        subject=letter.subject[:300],
    )
    return True


def greetings_send(*, now: dt.datetime | None = None) -> int:
    """Send the planned greetings whose day it is in their team's time zone; those whose day has
    passed are marked missed. Returns how many letters went out."""
    now = now or timezone.now()
    utc_today = now.astimezone(dt.UTC).date()
    due = Greeting.objects.filter(
        status=GreetingStatus.PLANNED, date__lte=utc_today + dt.timedelta(days=1)
    ).select_related("team", "holiday")
    sent = 0
    for greeting in due.iterator(chunk_size=200):
        local_today = now.astimezone(_zone_of_team(greeting.team)).date()
        if greeting.date < local_today:
            Greeting.objects.filter(pk=greeting.pk, status=GreetingStatus.PLANNED).update(
                status=GreetingStatus.MISSED, done_at=now
            )
        elif greeting.date == local_today:
            sent += int(_send_one(greeting, now))
    return sent


@durable_task(queue_name="email")
def sweep_greetings() -> int:
    """Periodic: plan the coming week's greetings, then send today's."""
    greetings_plan()
    return greetings_send()


# --- What the manager sees and does ------------------------------------------------------------


def require_greetings(user: Any) -> None:
    if not user_can(user, "work_records"):
        raise PermissionDeniedError(_("You do not have permission to do this."))


def greetings_upcoming(*, viewer: Any, days: int = AHEAD_DAYS) -> QuerySet[Greeting]:
    """The viewer's greetings of the coming week (from today, in the viewer's zone), planned,
    skipped or already sent."""
    require_greetings(viewer)
    today = timezone.now().astimezone(zone_of(viewer)).date()
    return (
        Greeting.objects.restrict(viewer, Action.VIEW)
        .filter(date__gte=today, date__lte=today + dt.timedelta(days=days))
        .select_related("contact", "contact__client", "lead", "holiday", "owner", "skipped_by")
        .order_by("date", "id")
    )


@transaction.atomic
def greeting_skip(*, by: User, greeting: Greeting) -> Greeting:
    """The manager does not want this greeting sent: it stays, skipped (recorded and audited)."""
    require_greetings(by)
    if not can(by, greeting, Action.WORK):
        raise PermissionDeniedError(_("This greeting is not yours to skip."))
    locked = Greeting.objects.select_for_update().get(pk=greeting.pk)
    if locked.status != GreetingStatus.PLANNED:
        raise BusinessError(
            _("Only a planned greeting can be skipped; this one is “%(status)s”.")
            % {"status": locked.get_status_display()},
            errors={"status": [_("Only a planned greeting can be skipped.")]},
        )
    locked.status = GreetingStatus.SKIPPED
    locked.skipped_by = by
    locked.done_at = timezone.now()
    locked.save(update_fields=["status", "skipped_by", "done_at"])
    audit_event(
        actor=by, instance=locked, event="greeting_skipped", changes={"status": ["planned", "skipped"]}
    )
    return locked


# --- Holidays ----------------------------------------------------------------------------------


def may_edit_holidays(user: Any) -> bool:
    return role_of(user) in (Role.ADMIN, Role.HEAD)


def _require_holidays(user: Any) -> None:
    if not may_edit_holidays(user):
        raise PermissionDeniedError(_("Only a head of sales or an admin changes the holidays."))


def holidays_list(*, viewer: Any, year: int | None = None, country: str = "") -> QuerySet[GreetingHoliday]:
    _require_holidays(viewer)
    rows = GreetingHoliday.objects.all()
    if year:
        rows = rows.filter(date__year=year)
    if country:
        rows = rows.filter(country=country.upper())
    return rows.order_by("date", "country", "name")


def _clean_holiday(data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if not partial or "country" in data:
        country = str(data.get("country") or "").strip().upper()
        if len(country) != 2 or not country.isalpha():
            errors["country"] = [_("Use a two-letter country code, e.g. RO, HU, MY.")]
        values["country"] = country
    if not partial or "date" in data:
        day = data.get("date")
        if isinstance(day, str):
            try:
                day = dt.date.fromisoformat(day)
            except ValueError:
                day = None
        if not isinstance(day, dt.date):
            errors["date"] = [_("Enter a valid date.")]
        values["date"] = day
    if not partial or "name" in data:
        name = str(data.get("name") or "").strip()
        if not name:
            errors["name"] = [_("Name the holiday.")]
        elif len(name) > 100:
            errors["name"] = [_("At most %(count)d characters.") % {"count": 100}]
        values["name"] = name
    if not partial or "wishes" in data:
        wishes = data.get("wishes") or {}
        if not isinstance(wishes, Mapping) or any(key not in LANGUAGES for key in wishes):
            errors["wishes"] = [
                _("Give the wishes by language: %(languages)s.") % {"languages": ", ".join(LANGUAGES)}
            ]
        elif any(len(str(text)) > 300 for text in wishes.values()):
            errors["wishes"] = [_("At most %(count)d characters.") % {"count": 300}]
        else:
            values["wishes"] = {key: str(text).strip() for key, text in wishes.items() if str(text).strip()}
    if "is_active" in data:
        values["is_active"] = bool(data.get("is_active"))
    if errors:
        raise BusinessError(_("Please correct the holiday."), errors=errors)
    return values


def _duplicate() -> BusinessError:
    return BusinessError(
        _("This country already has a holiday with this name on this date."),
        errors={"name": [_("This country already has a holiday with this name on this date.")]},
    )


@transaction.atomic
def holiday_create(*, by: User, data: Mapping[str, Any]) -> GreetingHoliday:
    _require_holidays(by)
    values = _clean_holiday(data)
    try:
        with transaction.atomic():
            holiday = GreetingHoliday.objects.create(**values)
    except IntegrityError:
        raise _duplicate() from None
    audit_create(actor=by, instance=holiday, fields=HOLIDAY_FIELDS)
    return holiday


@transaction.atomic
def holiday_update(*, by: User, holiday: GreetingHoliday, data: Mapping[str, Any]) -> GreetingHoliday:
    """Change a holiday. A built-in one that is renamed becomes the admin's own (named as typed)."""
    _require_holidays(by)
    values = _clean_holiday(data, partial=True)
    if "name" in values and values["name"] != holiday.name:
        holiday.code = ""
    try:
        with transaction.atomic():
            holiday, _changes = model_update(instance=holiday, data=values, actor=by)
            if holiday.code == "":
                GreetingHoliday.objects.filter(pk=holiday.pk).update(code="")
    except (IntegrityError, ValidationError):  # the one rule the checks above leave: unique
        raise _duplicate() from None
    return holiday


@transaction.atomic
def holiday_delete(*, by: User, holiday: GreetingHoliday) -> None:
    """Remove a holiday; its planned greetings go with it (sent and skipped ones stay recorded)."""
    _require_holidays(by)
    Greeting.objects.filter(holiday=holiday, status=GreetingStatus.PLANNED).delete()
    audit_event(actor=by, instance=holiday, event="delete", changes={"name": [holiday.name, None]})
    holiday.delete()


def greetings_follow_handover(*, client_ids: list[int], to_user: Any, **_extra: Any) -> int:
    """Clients changed personal manager: their contacts' planned greetings go to the new one."""
    return Greeting.objects.filter(contact__client_id__in=client_ids, status=GreetingStatus.PLANNED).update(
        owner=to_user, team=to_user.team
    )


HOME_BLOCK_ROWS = 5


def home_block(request: Any) -> str:
    """The coming week's planned greetings under the work list (none: nothing shown)."""
    user = request.user
    if not user_can(user, "work_records"):
        return ""
    planned = greetings_upcoming(viewer=user).filter(status=GreetingStatus.PLANNED)
    rows = list(planned[: HOME_BLOCK_ROWS + 1])
    if not rows:
        return ""
    from django.template.loader import render_to_string

    return render_to_string(
        "retention/greetings/_home_block.html",
        {"greetings": rows[:HOME_BLOCK_ROWS], "more": len(rows) > HOME_BLOCK_ROWS},
        request=request,
    )


def register() -> None:
    from clientela.activities.worklist_views import HOME_BLOCKS
    from clientela.clients.hooks import client_handed_over
    from clientela.core.periodic import PERIODIC_JOBS, Periodic

    PERIODIC_JOBS.register(Periodic(sweep_greetings, dt.timedelta(minutes=30)))
    HOME_BLOCKS.register(home_block)
    client_handed_over.register(greetings_follow_handover)
