"""Satisfaction figures (SPEC §8): NPS the standard way, CSAT, the weighted satisfaction index,
their trends per month (or quarter, year) for a client, a team and the company — always only
over the surveys the viewer may see — and the factors of the index.

* NPS = % promoters (9–10) − % detractors (0–6) of the NPS answers, from −100 to 100.
* CSAT = the average score (1–5) and the share of satisfied answers (4–5).
* Index = Σ score × weight / Σ weight of one answer's factors (1–5), shown also as a percentage
  of the scale (1 → 0 %, 5 → 100 %); the figure is the average of the answers' indexes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncQuarter, TruncYear
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.audit import audit_create, audit_event, model_update
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.core.permissions import Action, role_of
from clientela.core.roles import Role
from clientela.core.texts import define, define_labels
from clientela.retention.surveys_models import SatisfactionFactor, Survey, SurveyFactorScore, SurveyKind

# Built-in factors of the index: code → (name, default weight).
BUILT_IN_FACTORS: dict[str, tuple[Any, Decimal]] = {
    "quality": (gettext_lazy("Quality"), Decimal(30)),
    "delivery": (gettext_lazy("Delivery"), Decimal(20)),
    "price": (gettext_lazy("Price"), Decimal(15)),
    "service": (gettext_lazy("Service"), Decimal(15)),
    "staff_attitude": (gettext_lazy("Staff attitude"), Decimal(20)),
}

# Texts the surveys store for people (core.texts): the titles of the tasks they create.
LOW_SCORE_TASK = define(
    "retention.survey_low_score",
    gettext_lazy("Unhappy client: %(client)s gave %(score)s in the %(kind)s survey — call them"),
)
REFERRAL_TASK = define(
    "retention.survey_referral",
    gettext_lazy("Ask %(client)s for a referral: they would recommend us (%(score)s of 10)"),
)
define_labels("survey_kind", {kind.value: kind.label for kind in SurveyKind})

PROMOTER_MIN = 9
DETRACTOR_MAX = 6
CSAT_LOW_MAX = 2
INDEX_LOW_MAX = Decimal(2)
SATISFIED_MIN = 4

HUNDRED = Decimal(100)


def _q(value: Decimal, places: str = "0.01") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def nps_of(promoters: int, detractors: int, answers: int) -> Decimal | None:
    """% promoters − % detractors (−100…100), one decimal; None without answers."""
    if not answers:
        return None
    return _q(Decimal(promoters - detractors) * HUNDRED / answers, "0.1")


def weighted_index(scores: Iterable[tuple[int, Decimal]]) -> Decimal:
    """Σ score × weight / Σ weight of (score, weight) pairs, on the 1–5 scale (two decimals)."""
    pairs = list(scores)
    total_weight = sum((weight for _score, weight in pairs), Decimal(0))
    if total_weight <= 0:
        raise ValueError("no weight")
    return _q(sum((Decimal(score) * weight for score, weight in pairs), Decimal(0)) / total_weight)


def index_percent(value: Decimal | None) -> Decimal | None:
    """The index as a share of its scale: 1 → 0 %, 5 → 100 %."""
    if value is None:
        return None
    return _q((value - 1) * HUNDRED / 4, "0.1")


def is_low(survey: Survey) -> bool:
    """A score that needs the owner's attention: an NPS detractor, CSAT ≤ 2, index ≤ 2."""
    if survey.kind == SurveyKind.NPS:
        return survey.score is not None and survey.score <= DETRACTOR_MAX
    if survey.kind == SurveyKind.CSAT:
        return survey.score is not None and survey.score <= CSAT_LOW_MAX
    if survey.kind == SurveyKind.INDEX:
        return survey.index_value is not None and survey.index_value <= INDEX_LOW_MAX
    return False


def is_promoter(survey: Survey) -> bool:
    return survey.kind == SurveyKind.NPS and survey.score is not None and survey.score >= PROMOTER_MIN


# --- Figures ------------------------------------------------------------------------------------


@dataclass
class Scores:
    """The satisfaction figures of a set of answers."""

    nps_answers: int = 0
    promoters: int = 0
    detractors: int = 0
    csat_answers: int = 0
    csat_sum: int = 0
    csat_satisfied: int = 0
    index_answers: int = 0
    index_sum: Decimal = field(default_factory=lambda: Decimal(0))

    @property
    def nps(self) -> Decimal | None:
        return nps_of(self.promoters, self.detractors, self.nps_answers)

    @property
    def csat(self) -> Decimal | None:
        return _q(Decimal(self.csat_sum) / self.csat_answers) if self.csat_answers else None

    @property
    def csat_satisfied_percent(self) -> Decimal | None:
        return (
            _q(Decimal(self.csat_satisfied) * HUNDRED / self.csat_answers, "0.1")
            if self.csat_answers
            else None
        )

    @property
    def index(self) -> Decimal | None:
        return _q(self.index_sum / self.index_answers) if self.index_answers else None

    @property
    def answers(self) -> int:
        return self.nps_answers + self.csat_answers + self.index_answers

    def add(self, row: Mapping[str, Any]) -> None:
        n = int(row["n"])
        if row["kind"] == SurveyKind.NPS:
            self.nps_answers += n
            self.promoters += int(row["promoters"])
            self.detractors += int(row["detractors"])
        elif row["kind"] == SurveyKind.CSAT:
            self.csat_answers += n
            self.csat_sum += int(row["score_sum"] or 0)
            self.csat_satisfied += int(row["satisfied"])
        elif row["kind"] == SurveyKind.INDEX:
            self.index_answers += n
            self.index_sum += Decimal(row["index_sum"] or 0)

    def as_row(self) -> dict[str, Any]:
        return {
            "answers": self.answers,
            "nps": self.nps,
            "nps_answers": self.nps_answers,
            "promoters": self.promoters,
            "detractors": self.detractors,
            "csat": self.csat,
            "csat_answers": self.csat_answers,
            "csat_satisfied_percent": self.csat_satisfied_percent,
            "index": self.index,
            "index_percent": index_percent(self.index),
            "index_answers": self.index_answers,
        }


PERIODS = {"month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}


def answered_surveys(viewer: Any) -> QuerySet[Survey]:
    """The answered surveys (not exit questionnaires) the viewer may see."""
    return (
        Survey.objects.restrict(viewer, Action.VIEW)
        .filter(answered_at__isnull=False)
        .exclude(kind=SurveyKind.EXIT)
    )


def _period_start(today: dt.date, period: str, back: int) -> dt.date:
    """The first day of the period `back` periods before the one holding `today`."""
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    first_month = (today.month - 1) // months * months  # 0-based month of the period's start
    index = today.year * 12 + first_month - back * months
    return dt.date(index // 12, index % 12 + 1, 1)


def satisfaction_figures(
    *,
    viewer: Any,
    period: str = "month",
    periods: int = 12,
    team_id: int | None = None,
    client_id: int | None = None,
    owner_id: int | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The totals over the last `periods` periods and one row per period (oldest first), over the
    answers the viewer sees (optionally of one team, client or personal manager)."""
    if period not in PERIODS:
        raise BusinessError(
            _("Choose month, quarter or year."), errors={"period": [_("Choose month, quarter or year.")]}
        )
    if not 1 <= periods <= 60:
        raise BusinessError(
            _("Between 1 and 60 periods."), errors={"periods": [_("Between 1 and 60 periods.")]}
        )
    now = now or timezone.now()
    today = timezone.localdate(now)
    starts = [_period_start(today, period, back) for back in range(periods - 1, -1, -1)]
    zone = timezone.get_current_timezone()
    since = dt.datetime.combine(starts[0], dt.time(0), tzinfo=zone)
    rows = answered_surveys(viewer).filter(answered_at__gte=since, answered_at__lte=now)
    if team_id:
        rows = rows.filter(client__team_id=team_id)
    if client_id:
        rows = rows.filter(client_id=client_id)
    if owner_id:
        rows = rows.filter(client__owner_id=owner_id)
    grouped = (
        rows.annotate(bucket=PERIODS[period]("answered_at", tzinfo=zone))
        .values("bucket", "kind")
        .annotate(
            n=Count("*"),
            promoters=Count("score", filter=Q(score__gte=PROMOTER_MIN)),
            detractors=Count("score", filter=Q(score__lte=DETRACTOR_MAX)),
            satisfied=Count("score", filter=Q(score__gte=SATISFIED_MIN)),
            score_sum=Sum("score"),
            index_sum=Sum("index_value"),
        )
        .order_by()
    )
    per_period = {start: Scores() for start in starts}
    total = Scores()
    for row in grouped:
        bucket = row["bucket"]
        day = bucket.date() if isinstance(bucket, dt.datetime) else bucket
        if day in per_period:
            per_period[day].add(row)
        total.add(row)
    return {
        "period": period,
        "total": total.as_row(),
        "rows": [{"start": start, **scores.as_row()} for start, scores in per_period.items()],
    }


def client_satisfaction(client: Any, viewer: Any) -> dict[str, Any]:
    """What the client card shows: the latest answers, the figures over the last 12 months and
    their trend, and the exit questionnaire's answer."""
    surveys = Survey.objects.restrict(viewer, Action.VIEW).filter(client=client)
    latest = list(
        surveys.filter(answered_at__isnull=False)
        .select_related("contact", "deal")
        .order_by("-answered_at")[:5]
    )
    figures = satisfaction_figures(viewer=viewer, client_id=client.pk, periods=12)
    trend = [row for row in figures["rows"] if row["answers"]]
    return {
        "latest": latest,
        "total": figures["total"],
        "trend": trend[-6:],
        "exit": next((s for s in latest if s.kind == SurveyKind.EXIT), None)
        or surveys.filter(kind=SurveyKind.EXIT, answered_at__isnull=False).order_by("-answered_at").first(),
        "pending": surveys.filter(answered_at__isnull=True).order_by("-created_at")[:3],
    }


# --- Factors of the index -------------------------------------------------------------------------


def ensure_default_factors() -> int:
    """Create the built-in factors that are missing (a flushed test database loses them)."""
    existing = set(SatisfactionFactor.objects.values_list("code", flat=True))
    missing = [
        SatisfactionFactor(code=code, weight=weight, position=position)
        for position, (code, (_name, weight)) in enumerate(BUILT_IN_FACTORS.items())
        if code not in existing
    ]
    SatisfactionFactor.objects.bulk_create(missing)
    return len(missing)


def may_edit_factors(user: Any) -> bool:
    """The index's factors are company-wide: admins change them."""
    return role_of(user) == Role.ADMIN


def _require_factor_editor(user: Any) -> None:
    if not may_edit_factors(user):
        raise PermissionDeniedError(_("Only an administrator changes the satisfaction factors."))


def _clean_factor(values: Mapping[str, Any], *, current: SatisfactionFactor | None) -> dict[str, Any]:
    from django.utils.text import slugify

    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if "weight" in values:
        try:
            weight = Decimal(str(values["weight"]))
        except ArithmeticError:
            weight = Decimal(-1)
        if not weight.is_finite() or weight <= 0 or weight > 1000:
            errors["weight"] = [_("A weight above 0 and at most 1000.")]
        else:
            clean["weight"] = _q(weight)
    if "name" in values:
        name = " ".join(str(values["name"] or "").split())[:80]
        if current is None or current.code not in BUILT_IN_FACTORS:
            if not name:
                errors["name"] = [_("Give the factor a name.")]
            else:
                names = dict(current.names) if current else {}
                names["en"] = names.get("en") or name
                from django.utils.translation import get_language

                names[(get_language() or "en").split("-")[0]] = name
                clean["names"] = names
                if current is None:
                    code = slugify(name)[:40] or "factor"
                    if SatisfactionFactor.objects.filter(code=code).exists():
                        errors["name"] = [_("A factor with this name exists already.")]
                    clean["code"] = code
    if "position" in values:
        try:
            clean["position"] = max(0, min(int(values["position"]), 1000))
        except (TypeError, ValueError):
            errors["position"] = [_("A whole number.")]
    if "is_active" in values:
        clean["is_active"] = bool(values["is_active"])
    if errors:
        raise BusinessError(_("Some fields are not valid."), errors=errors)
    return clean


@transaction.atomic
def factor_create(*, by: Any, name: str, weight: Any, position: int = 100) -> SatisfactionFactor:
    _require_factor_editor(by)
    clean = _clean_factor({"name": name, "weight": weight, "position": position}, current=None)
    factor = SatisfactionFactor.objects.create(**clean)
    audit_create(actor=by, instance=factor, fields=["code", "names", "weight", "position"])
    return factor


@transaction.atomic
def factor_update(*, by: Any, factor: SatisfactionFactor, values: Mapping[str, Any]) -> SatisfactionFactor:
    """Change a factor's weight, name (added factors), position or whether it is in use."""
    _require_factor_editor(by)
    clean = _clean_factor(values, current=factor)
    factor, _changes = model_update(instance=factor, data=clean, actor=by)
    return factor


@transaction.atomic
def factor_delete(*, by: Any, factor: SatisfactionFactor) -> None:
    """Remove a factor never scored; one with answers is switched off instead (they keep it)."""
    _require_factor_editor(by)
    if factor.code in BUILT_IN_FACTORS or SurveyFactorScore.objects.filter(factor=factor).exists():
        factor_update(by=by, factor=factor, values={"is_active": False})
        return
    audit_event(actor=by, instance=factor, event="deleted", changes={"code": [factor.code, None]})
    factor.delete()
