"""The records the door sweep (`test_doors.py`) fills URLs with: one of each kind in the North
team (owned by Mara, the North manager) and, for what a team owns, one in the South team (owned
by Sándor). Everything South carries `SOUTH_MARK` in a visible text, so a page or an answer that
shows a South record to someone of the North says so."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.files.base import ContentFile
from django.utils import timezone

from clientela.conftest import World, make_user
from clientela.core.roles import Role

SOUTH_MARK = "Zebulon"


def _model(name: str) -> Any:
    """A model by its class name, wherever its app is (imports are moving between apps)."""
    return next(model for model in apps.get_models() if model.__name__ == name)


def make_world() -> World:
    from clientela.users import services

    north = services.team_create(by=None, name="North", default_country="RO", check_permission=False)
    south = services.team_create(by=None, name="South", default_country="HU", check_permission=False)
    head = make_user("hnorth", Role.HEAD, north, first_name="Helga")
    north.head = head
    north.save(update_fields=["head"])
    return World(
        north=north,
        south=south,
        admin=make_user("root", Role.ADMIN, None, first_name="Ada"),
        head_north=head,
        manager_north=make_user("mnorth", Role.MANAGER, north, first_name="Mara"),
        manager_north2=make_user("mnorth2", Role.MANAGER, north, first_name="Nelu"),
        manager_south=make_user("msouth", Role.MANAGER, south, first_name=f"Sándor {SOUTH_MARK}"),
        marketer_north=make_user("kt", Role.MARKETER, north, first_name="Kati"),
    )


def _side(world: World, side: str, n: int) -> dict[str, Any]:
    """One of each team-owned record for `side` ("north" or "south")."""
    from clientela.activities.services.log import activity_log
    from clientela.activities.services.task import task_create
    from clientela.clients.models import Client, Contact, Handover
    from clientela.comms.models import BusinessCalendar, Holiday, ResponseClock
    from clientela.core.notifications import notify
    from clientela.deals.models import Deal, DealLine, Document, DocumentVersion, Payment, Pipeline
    from clientela.intake.models import IntakeForm
    from clientela.leads.models import DistributionRule, Interest
    from clientela.leads.services.lifecycle import lead_create
    from clientela.mail.models import Attachment, Message, Thread
    from clientela.users.models import ApiToken

    north = side == "north"
    owner = world.manager_north if north else world.manager_south
    team = world.north if north else world.south
    mark = "Northam" if north else SOUTH_MARK
    lead = lead_create(
        by=None,
        fields={
            "first_name": "Ion",
            "last_name": f"{mark} Lead",
            "email": f"lead{n}@example.com",
            "phone": f"+4072199{n:04d}",
            "team": team,
        },
        owner=owner,
    )
    other_lead = lead_create(
        by=None,
        fields={
            "first_name": "Ana",
            "last_name": f"{mark} Twin",
            "email": f"twin{n}@example.com",
            "team": team,
        },
        owner=owner,
    )
    interest = Interest.objects.create(company_name=f"{mark} Interest", team=team)
    client = Client.objects.create(name=f"{mark} Client SRL", country="RO", owner=owner, team=team)
    contact = Contact.objects.create(client=client, first_name="Ana", last_name=f"{mark} Contact")
    pipeline = Pipeline.objects.get(code="corporate")
    deal = Deal.objects.create(
        title=f"{mark} Deal",
        client=client,
        pipeline=pipeline,
        stage=pipeline.stages.order_by("position").first(),
        currency="RON",
        amount=Decimal("1000.00"),
        owner=owner,
        team=team,
    )
    line = DealLine.objects.create(
        deal=deal, name=f"{mark} line", quantity=1, unit_price=Decimal("10"), total=Decimal("10")
    )
    payment = Payment.objects.create(deal=deal, kind="invoice", amount=Decimal("5"), currency="RON")
    document = Document.objects.create(
        deal=deal, kind="proposal", number=f"P-{n}", year=2026, sequence=n, current_version=1
    )
    version = DocumentVersion.objects.create(
        document=document, version=1, html=f"<p>{mark}</p>", currency="RON", total=Decimal("10")
    )
    version.pdf.save(f"door-{n}.pdf", ContentFile(b"%PDF-1.4 door"), save=True)
    task = task_create(
        by=None, title=f"{mark} task", due_at=timezone.now() + dt.timedelta(days=1), assignee=owner, lead=lead
    )
    activity = activity_log(by=None, kind="note", lead=lead, subject=f"{mark} note", body=mark)
    clock = ResponseClock.objects.filter(lead=lead).first()
    thread = Thread.objects.create(subject=f"{mark} thread", owner=owner, team=team, client=client)
    message = Message.objects.create(
        thread=thread, direction="in", message_id=f"<m{n}@example.com>", status="received", subject=mark
    )
    message.raw.save(f"door-{n}.eml", ContentFile(b"Subject: door\r\n\r\nbody"), save=True)
    attachment = Attachment.objects.create(message=message, filename=f"{mark}.txt")
    attachment.file.save(f"door-{n}.txt", ContentFile(b"door"), save=True)
    form = IntakeForm.objects.create(name=f"{mark} form", team=team, key=f"door-form-{n}")
    job = _model("ImportJob").objects.create(
        original_name=f"{mark}.csv", created_by=owner, owner=owner, team=team
    )
    job.file.save(f"door-{n}.csv", ContentFile(b"first_name,last_name\nIon,Pop\n"), save=True)
    handover = Handover.objects.create(by=world.admin, to_user=owner, team=team, note=mark)
    rule = DistributionRule.objects.create(team=team, name=f"{mark} rule")
    calendar, _created = BusinessCalendar.objects.get_or_create(team=team)
    holiday = Holiday.objects.create(calendar=calendar, date=dt.date(2030, 1, 1 + n), name=mark)
    notification = notify(user=owner, verb="lead_assigned", text=f"{mark} news")
    token = ApiToken.objects.filter(user=owner).first()
    from clientela.retention.models import Survey

    survey = Survey.objects.create(
        kind="nps",
        client=client,
        contact=contact,
        occasion=f"door:{mark}",
        email="ana@example.com",
        language="en",
    )
    return {
        "survey": survey,
        "lead": lead,
        "other_lead": other_lead,
        "interest": interest,
        "client": client,
        "contact": contact,
        "deal": deal,
        "line": line,
        "payment": payment,
        "document": document,
        "version": version,
        "task": task,
        "activity": activity,
        "clock": clock,
        "thread": thread,
        "message": message,
        "attachment": attachment,
        "intake_form": form,
        "form_key": form.key,
        "import_job": job,
        "handover": handover,
        "distribution_rule": rule,
        "holiday": holiday,
        "greeting": _model("Greeting").objects.create(
            occasion="birthday",
            occasion_key="birthday",
            person_key=f"contact:{contact.pk}",
            contact=contact,
            year=2030,
            date=dt.date(2030, 1, n),
            owner=owner,
            team=team,
        ),
        "notification": notification,
        "token": token,
        "team": team,
        "user": owner,
        "leak_alert": _model("LeakAlert").objects.create(
            team=team,
            period_start=dt.date(2030, 1, 1),
            period_end=dt.date(2030, 1, 31),
            active_at_start=10,
            lost=2,
            rate=20,
            threshold=10,
            fired_at=dt.datetime(2030, 2, 1, tzinfo=dt.UTC),
        ),
    }


def _shared() -> dict[str, Any]:
    """Records no team owns (settings of the whole company): one of each."""
    from clientela.comms.models import MessageTemplate
    from clientela.deals.models import (
        DocumentTemplate,
        LostReason,
        Objection,
        Pipeline,
        PriceList,
        PriceListItem,
        Product,
        Stage,
    )
    from clientela.leads.models import RefusalReason, TemperatureRule
    from clientela.retention.models import ChurnReason

    product = Product.objects.create(code="DOOR-1", name="Door product", unit="pcs")
    price_list = PriceList.objects.create(name="Door prices", currency="RON")
    pipeline = Pipeline.objects.get(code="corporate")
    return {
        "pipeline": pipeline,
        "stage": Stage.objects.filter(pipeline=pipeline).order_by("position").first(),
        "lost_reason": LostReason.objects.first(),
        "product": product,
        "price_list": price_list,
        "price_item": PriceListItem.objects.create(
            price_list=price_list, product=product, price=Decimal("1")
        ),
        "document_template": DocumentTemplate.objects.first(),
        "objection": Objection.objects.create(text="Too dear", answer="Worth it"),
        "message_template": MessageTemplate.objects.first(),
        "refusal_reason": RefusalReason.objects.first(),
        "temperature_rule": TemperatureRule.objects.create(name="Door rule", temperature="hot"),
        "satisfaction_factor": _satisfaction_factor(),
        "greeting_holiday": _model("GreetingHoliday").objects.create(
            country="RO", date=dt.date(2030, 3, 1), name="Door holiday"
        ),
        "churn_reason": ChurnReason.objects.order_by("position").first(),
        "churn_reason_code": ChurnReason.objects.order_by("position").values_list("code", flat=True).first(),
    }


def _satisfaction_factor() -> Any:
    from clientela.retention.satisfaction import ensure_default_factors
    from clientela.retention.surveys_models import SatisfactionFactor

    ensure_default_factors()
    return SatisfactionFactor.objects.first()


def make_records(world: World) -> dict[str, tuple[Any, Any]]:
    """kind → (the North record, the South one or None when no team owns that kind)."""
    from clientela.users import services as user_services

    for user in (world.manager_north, world.manager_south):
        user_services.token_create(user=user)
    north, south = _side(world, "north", 1), _side(world, "south", 2)
    records: dict[str, tuple[Any, Any]] = {kind: (north[kind], south[kind]) for kind in north}
    records.update({kind: (value, None) for kind, value in _shared().items()})
    records.update(_loyalty_records(records))
    records.update(_marketing_records(world))
    return records


def _marketing_records(world: World) -> dict[str, tuple[Any, Any]]:
    """Analytics' marketing spend and plans: one of each team."""
    from clientela.analytics.marketing_models import CampaignSpend, MarketingPlan

    made: dict[str, list[Any]] = {"campaign_spend": [], "marketing_plan": []}
    for n, team in enumerate((world.north, world.south), start=1):
        made["campaign_spend"].append(
            CampaignSpend.objects.create(
                campaign=f"{team.name} {SOUTH_MARK if n == 2 else ''}".strip(),
                channel="web_form",
                first_day=dt.date(2030, 1, 1),
                last_day=dt.date(2030, 1, 31),
                amount=100,
                currency="EUR",
                team=team,
            )
        )
        made["marketing_plan"].append(
            MarketingPlan.objects.create(
                month=dt.date(2030, 1, 1),
                channel="web_form",
                team=team,
                target_leads=10,
                acceptable_cpl=20,
                currency="EUR",
                note=SOUTH_MARK if n == 2 else "",
            )
        )
    return {kind: (pair[0], pair[1]) for kind, pair in made.items()}


def _loyalty_records(records: dict[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]]:
    """Retention's loyalty: a benefit of each side's client, and the lists' first items."""
    from clientela.retention.loyalty_models import BenefitKind, ClientBenefit, LoyaltyReason

    kind = BenefitKind.objects.order_by("position").first()
    north, south = records["client"]
    return {
        "client_benefit": (
            ClientBenefit.objects.create(client=north, kind=kind, value="Northam benefit"),
            ClientBenefit.objects.create(client=south, kind=kind, value="Zebulon benefit"),
        ),
        "loyalty_reason": (LoyaltyReason.objects.order_by("position").first(), None),
        "benefit_kind": (kind, None),
    }
