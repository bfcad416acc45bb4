"""The passive list, reactivation and greetings under /api/v1/retention/ (same rules as the pages)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Schema, Status

from clientela.core.errors import BusinessError
from clientela.core.http import AuthedRequest
from clientela.core.listspec import ListQuery
from clientela.core.pagination import Page, paginate
from clientela.core.permissions import get_visible_or_404
from clientela.deals.rates.selectors import base_currency
from clientela.retention import greetings, reactivation
from clientela.retention.api import router
from clientela.retention.greetings_models import Greeting, GreetingHoliday


def _ref(obj: Any) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": str(obj)} if obj is not None else None


class RefOut(Schema):
    id: int
    name: str


# --- The passive list ----------------------------------------------------------------------------

if TYPE_CHECKING:
    PassiveQuery = ListQuery
else:
    PassiveQuery = reactivation.PASSIVE.query_schema("PassiveQuery")


class PassiveClientOut(Schema):
    id: int
    name: str
    industry: str
    country: str
    value: Decimal | None
    currency: str
    last_purchase_at: dt.datetime | None
    last_contact_at: dt.datetime | None
    owner: RefOut | None
    team: RefOut | None

    @staticmethod
    def resolve_value(obj: Any) -> Decimal | None:
        return None if obj.value is None else Decimal(obj.value).quantize(Decimal("0.01"))

    @staticmethod
    def resolve_currency(obj: Any) -> str:
        return base_currency()

    @staticmethod
    def resolve_owner(obj: Any) -> dict[str, Any] | None:
        return _ref(obj.owner)

    @staticmethod
    def resolve_team(obj: Any) -> dict[str, Any] | None:
        return _ref(obj.team)


@router.get("/retention/passive", response=Page[PassiveClientOut], summary="Passive clients visible to you")
def list_passive(request: HttpRequest, query: Query[PassiveQuery]) -> dict[str, Any]:
    """Working clients with no purchase and no contact for the configured time, with their value
    (won deals to date in the base currency), last purchase and last contact. Filter by personal
    manager (`owner`), `team`, `industry`, `country`, `q`; `ordering`: `-value` (default), `value`,
    `name`, `-name`, `last_contact`, `-last_contact`, `last_purchase`, `-last_purchase`."""
    return paginate(reactivation.passive_list(viewer=request.user, values=query.values()), query)


class ReactivationTasksIn(Schema):
    client_ids: list[int]
    due_at: dt.datetime | None = None


class ReactivationTasksOut(Schema):
    created: int
    task_ids: list[int]
    skipped_client_ids: list[int]


@router.post(
    "/retention/passive/reactivation-tasks",
    response={201: ReactivationTasksOut},
    summary="Give passive clients a reactivation task",
)
def create_reactivation_tasks(request: AuthedRequest, payload: ReactivationTasksIn) -> Status:
    """One call task per passive client, for its personal manager; clients with an open
    reactivation task are skipped. All or nothing, one audit entry."""
    result = reactivation.reactivation_tasks_create(
        by=request.user, client_ids=payload.client_ids, due_at=payload.due_at
    )
    return Status(
        201,
        {
            "created": len(result.created),
            "task_ids": [task.pk for task in result.created],
            "skipped_client_ids": [client.pk for client in result.skipped],
        },
    )


class RateRowOut(Schema):
    period: str
    start: dt.date
    end: dt.date
    started: int
    reactivated: int
    rate: Decimal | None


class RateOut(Schema):
    period: str
    rows: list[RateRowOut]


@router.get("/retention/reactivation-rate", response=RateOut, summary="Reactivation rate per period")
def reactivation_rate(
    request: HttpRequest,
    period: str = "month",
    count: int = 12,
    team: int | None = None,
    owner: int | None = None,
) -> dict[str, Any]:
    """Per period (`month`, `quarter`, `year`; the last `count`): reactivation tasks given to
    passive clients, how many of those clients had a contact or purchase within the team's window,
    and the rate in percent (null when no task was given)."""
    rows = reactivation.reactivation_rate(
        viewer=request.user, kind=period, count=count, team=team, owner=owner
    )
    return {"period": period, "rows": rows}


# --- Greetings -----------------------------------------------------------------------------------


class GreetingOut(Schema):
    id: int
    date: dt.date
    occasion: str
    occasion_label: str
    status: str
    person: dict[str, Any]
    client: RefOut | None
    owner: RefOut | None
    language: str

    @staticmethod
    def resolve_person(obj: Greeting) -> dict[str, Any]:
        if obj.contact_id:
            return {"kind": "contact", "id": obj.contact_id, "name": str(obj.contact)}
        return {"kind": "lead", "id": obj.lead_id, "name": str(obj.lead)}

    @staticmethod
    def resolve_client(obj: Greeting) -> dict[str, Any] | None:
        return _ref(obj.contact.client) if obj.contact_id and obj.contact else None

    @staticmethod
    def resolve_owner(obj: Greeting) -> dict[str, Any] | None:
        return _ref(obj.owner)


@router.get(
    "/retention/greetings/upcoming", response=list[GreetingOut], summary="Your greetings of the coming week"
)
def upcoming_greetings(request: HttpRequest) -> list[Greeting]:
    """Birthdays and holidays of the coming week for the people you see (planned, skipped, sent)."""
    return list(greetings.greetings_upcoming(viewer=request.user))


@router.post(
    "/retention/greetings/{greeting_id}/skip", response=GreetingOut, summary="Skip a planned greeting"
)
def skip_greeting(request: AuthedRequest, greeting_id: int) -> Greeting:
    greetings.require_greetings(request.user)
    greeting = get_visible_or_404(Greeting.objects.all(), request.user, pk=greeting_id)
    return greetings.greeting_skip(by=request.user, greeting=greeting)


# --- Holidays ------------------------------------------------------------------------------------


class HolidayOut(Schema):
    id: int
    country: str
    date: dt.date
    code: str
    name: str
    label: str
    wishes: dict[str, str]
    is_active: bool


class HolidayIn(Schema):
    country: str
    date: dt.date
    name: str
    wishes: dict[str, str] = {}
    is_active: bool = True


class HolidayPatch(Schema):
    country: str | None = None
    date: dt.date | None = None
    name: str | None = None
    wishes: dict[str, str] | None = None
    is_active: bool | None = None


@router.get("/retention/greeting-holidays", response=list[HolidayOut], summary="Holidays greeted per country")
def list_holidays(request: HttpRequest, year: int | None = None, country: str = "") -> list[GreetingHoliday]:
    if country and (len(country) != 2 or not country.isalpha()):
        message = _("Use a two-letter country code, e.g. RO, HU, MY.")
        raise BusinessError(message, errors={"country": [message]})
    return list(greetings.holidays_list(viewer=request.user, year=year, country=country))


@router.post("/retention/greeting-holidays", response={201: HolidayOut}, summary="Add a holiday")
def create_holiday(request: AuthedRequest, payload: HolidayIn) -> Status:
    return Status(201, greetings.holiday_create(by=request.user, data=payload.dict()))


def _holiday(request: HttpRequest, pk: int) -> GreetingHoliday:
    greetings.holidays_list(viewer=request.user)  # refuses who may not see the holidays (403)
    return get_object_or_404(GreetingHoliday, pk=pk)


@router.patch(
    "/retention/greeting-holidays/{greeting_holiday_id}", response=HolidayOut, summary="Change a holiday"
)
def update_holiday(
    request: AuthedRequest, greeting_holiday_id: int, payload: HolidayPatch
) -> GreetingHoliday:
    holiday = _holiday(request, greeting_holiday_id)
    data = payload.dict(exclude_unset=True)
    return greetings.holiday_update(by=request.user, holiday=holiday, data=data)


@router.delete(
    "/retention/greeting-holidays/{greeting_holiday_id}", response={204: None}, summary="Remove a holiday"
)
def delete_holiday(request: AuthedRequest, greeting_holiday_id: int) -> Status:
    greetings.holiday_delete(by=request.user, holiday=_holiday(request, greeting_holiday_id))
    return Status(204, None)
