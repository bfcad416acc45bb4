"""Lead score 0–100: explainable factor by factor, learnt from the company's own closed leads.

Method (see docs/scoring.md): a lead is described by six factors — temperature, origin,
source, card completeness, marketing consent and touches. Its score is a base plus the
points of each factor's value, bounded to 0..100; the card lists every term, so the factors
always add up to the score.

* Until enough leads have closed, the points are a sales-practice **prior** (hot > warm >
  cold, referrals > inbound > outbound, full cards > sparse ones).
* With at least `MIN_SAMPLE` converted or refused leads (and `MIN_PER_OUTCOME` of each),
  `scoring_train` fits an L2-regularised logistic regression of "converted" on the one-hot
  factor values (Newton's method on counts aggregated in SQL, so it costs the same for a
  thousand or a million leads). Points are `POINTS_PER_LOGIT` × the log-odds each value adds,
  the base is 50 + that × the intercept: 50 means even odds, every 10 points multiply the
  odds of converting by e ≈ 2.7. Values never seen in training add 0.
* `rescore_open_leads` (a background job) retrains and recomputes temperature and score of
  every open lead in batches.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from clientela.core.audit import audit_bulk
from clientela.leads.choices import OPEN_STATUSES, LeadEventKind, LeadStatus, Origin, Source, Temperature
from clientela.leads.models import Lead, LeadEvent, ScoringModel, TemperatureRule
from clientela.leads.temperature import evaluate_temperature, rules_by_team, rules_for

MIN_SAMPLE = 200
MIN_PER_OUTCOME = 20
POINTS_PER_LOGIT = 10.0
NEUTRAL = 50.0
RIDGE = 2.0
BATCH_SIZE = 1000

FACTORS = ("temperature", "origin", "source", "completeness", "consent", "touches")

BASE = 20
PRIOR: dict[str, dict[str, float]] = {
    "temperature": {Temperature.HOT: 35, Temperature.WARM: 20, Temperature.COLD: 5, "": 8},
    "origin": {Origin.SEED: 15, Origin.NET: 10, Origin.SPEAR: 5, "": 3},
    "completeness": {"full": 15, "partial": 7, "minimal": 0},
    "consent": {"yes": 5, "no": 0},
    "touches": {"many": 10, "some": 5, "one": 0},
}

FACTOR_LABELS: dict[str, Any] = {
    "base": _("Base"),
    "temperature": _("Temperature"),
    "origin": _("Origin"),
    "source": _("Source"),
    "completeness": _("Card completeness"),
    "consent": _("Marketing consent"),
    "touches": _("Touches"),
    "bound": _("Kept within 0–100"),
}
VALUE_LABELS: dict[str, dict[str, Any]] = {
    "temperature": {**dict(Temperature.choices), "": _("not set")},
    "origin": {**dict(Origin.choices), "": _("unknown")},
    "source": dict(Source.choices),
    "completeness": {
        "full": _("5 key fields"),
        "partial": _("3–4 key fields"),
        "minimal": _("under 3 fields"),
    },
    "consent": {"yes": _("yes"), "no": _("no")},
    "touches": {"many": _("3 or more"), "some": "2", "one": "1"},
}


# --- Features: one definition, in Python (one lead) and in SQL (training) ----------------


def completeness_bucket(filled: int) -> str:
    return "full" if filled >= 5 else "partial" if filled >= 3 else "minimal"


def touches_bucket(touches: int) -> str:
    return "many" if touches >= 3 else "some" if touches == 2 else "one"


def lead_features(lead: Lead) -> dict[str, str]:
    """The factor values of one lead (the key fields: name, phone or e-mail, interest, company, source)."""
    filled = sum(
        bool(v)
        for v in (
            lead.first_name or lead.last_name,
            lead.phone or lead.email,
            lead.product,
            lead.company_name,
            lead.source,
        )
    )
    return {
        "temperature": lead.temperature or "",
        "origin": lead.origin or "",
        "source": lead.source or "",
        "completeness": completeness_bucket(filled),
        "consent": "yes" if lead.consent else "no",
        "touches": touches_bucket(lead.touch_count),
    }


def _filled(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _feature_rows(leads: QuerySet[Lead]) -> Iterator[tuple[dict[str, str], int, int]]:
    """`(features, closed, converted)` per distinct combination, grouped in the database."""
    filled = (
        _filled(~Q(first_name="") | ~Q(last_name=""))
        + _filled(~Q(phone="") | ~Q(email=""))
        + _filled(~Q(product=""))
        + _filled(~Q(company_name=""))
        + _filled(~Q(source=""))
    )
    rows = (
        leads.annotate(
            f_filled=filled,
            f_touches=Case(
                When(touch_count__gte=3, then=Value(3)),
                When(touch_count=2, then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by()
        .values("temperature", "origin", "source", "consent", "f_filled", "f_touches")
        .annotate(
            n=Count("pk"),
            won=Sum(_filled(Q(status=LeadStatus.CONVERTED))),
        )
    )
    for row in rows:
        features = {
            "temperature": row["temperature"] or "",
            "origin": row["origin"] or "",
            "source": row["source"] or "",
            "completeness": completeness_bucket(row["f_filled"]),
            "consent": "yes" if row["consent"] else "no",
            "touches": touches_bucket(row["f_touches"]),
        }
        yield features, int(row["n"]), int(row["won"] or 0)


# --- Scoring ---------------------------------------------------------------------------


def current_model() -> ScoringModel | None:
    return ScoringModel.objects.order_by("-trained_at", "-pk").first()


def score_lead(lead: Lead, model: ScoringModel | None = None) -> tuple[int, list[dict[str, Any]]]:
    """`(score, factors)`; each factor is `{"factor", "value", "points"}` and they sum to the score.

    Factors adding 0 points are left out. When the raw total falls outside 0..100, a last
    `bound` factor brings it back, so the explanation still adds up.
    """
    if model is not None:
        weights: dict[str, dict[str, float]] = model.weights
        base = round(float(weights.get("_base", {}).get("", NEUTRAL)))
    else:
        weights, base = PRIOR, BASE
    factors: list[dict[str, Any]] = [{"factor": "base", "value": "", "points": base}]
    total = base
    for factor, value in lead_features(lead).items():
        points = round(float(weights.get(factor, {}).get(value, 0.0)))
        if points:
            factors.append({"factor": factor, "value": value, "points": points})
            total += points
    score = max(0, min(100, total))
    if score != total:
        factors.append({"factor": "bound", "value": "", "points": score - total})
    return score, factors


def explain(factors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored factors with translated labels, for the lead card: `{"label", "value", "points"}`."""
    rows = []
    for item in factors or []:
        factor, value = item.get("factor", ""), item.get("value", "")
        label = FACTOR_LABELS.get(factor, factor)
        value_label = VALUE_LABELS.get(factor, {}).get(value, value)
        rows.append({"label": str(label), "value": str(value_label), "points": int(item.get("points", 0))})
    return rows


# --- Training --------------------------------------------------------------------------


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Solve `matrix · x = vector` (symmetric positive definite) by Gaussian elimination."""
    size = len(vector)
    a = [[*row, vector[i]] for i, row in enumerate(matrix)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        if abs(a[col][col]) < 1e-12:
            continue
        for row in range(col + 1, size):
            factor = a[row][col] / a[col][col]
            if factor:
                for k in range(col, size + 1):
                    a[row][k] -= factor * a[col][k]
    x = [0.0] * size
    for row in range(size - 1, -1, -1):
        if abs(a[row][row]) < 1e-12:
            continue
        x[row] = (a[row][size] - sum(a[row][k] * x[k] for k in range(row + 1, size))) / a[row][row]
    return x


def fit_logistic(
    groups: list[tuple[list[int], int, int]], n_features: int, ridge: float = RIDGE, iterations: int = 25
) -> tuple[float, list[float]]:
    """L2-regularised logistic regression on grouped one-hot data, by Newton's method.

    `groups` are `(active feature indexes, trials, successes)`. Returns the intercept
    (not penalised) and one coefficient per feature.
    """
    size = n_features + 1  # index 0 is the intercept
    theta = [0.0] * size
    for _step in range(iterations):
        gradient = [0.0] * size
        hessian = [[0.0] * size for _ in range(size)]
        for j in range(1, size):
            gradient[j] = -ridge * theta[j]
            hessian[j][j] = ridge
        for active, trials, successes in groups:
            idx = [0, *(i + 1 for i in active)]
            eta = sum(theta[i] for i in idx)
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, eta))))
            residual = successes - trials * p
            weight = trials * p * (1.0 - p)
            for i in idx:
                gradient[i] += residual
                row = hessian[i]
                for k in idx:
                    row[k] += weight
        step = _solve(hessian, gradient)
        theta = [t + s for t, s in zip(theta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return theta[0], theta[1:]


@transaction.atomic
def scoring_train() -> ScoringModel | None:
    """Learn factor points from converted vs refused leads; None when there are too few."""
    closed = Lead.objects.filter(
        status__in=[LeadStatus.CONVERTED, LeadStatus.REFUSED], merged_into__isnull=True
    )
    index: dict[tuple[str, str], int] = {}
    groups: list[tuple[list[int], int, int]] = []
    total = wins = 0
    for features, n, won in _feature_rows(closed):
        active = [index.setdefault((factor, features[factor]), len(index)) for factor in FACTORS]
        groups.append((active, n, won))
        total += n
        wins += won
    if total < MIN_SAMPLE or wins < MIN_PER_OUTCOME or total - wins < MIN_PER_OUTCOME:
        return None
    intercept, coefficients = fit_logistic(groups, len(index))
    weights: dict[str, dict[str, Any]] = {"_base": {"": round(NEUTRAL + POINTS_PER_LOGIT * intercept, 1)}}
    for (factor, value), i in index.items():
        weights.setdefault(factor, {})[value] = round(POINTS_PER_LOGIT * coefficients[i], 1)
    weights["_meta"] = {
        "method": "ridge-logistic",
        "converted": wins,
        "refused": total - wins,
        "points_per_logit": POINTS_PER_LOGIT,
    }
    return ScoringModel.objects.create(sample_size=total, weights=weights)


# --- Recomputing open leads ------------------------------------------------------------


def leads_rescore(*, model: ScoringModel | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Recompute temperature and score of every open lead, in batches. Returns how many changed.

    Temperature first (recency rules change with time; hand-set values are kept), then the
    score with `model` (the latest one by default). Changed temperatures go on the lead's
    timeline; the whole run is one audit entry.
    """
    model = model if model is not None else current_model()
    grouped: dict[int | None, list[TemperatureRule]] = rules_by_team()
    open_leads = Lead.objects.filter(status__in=OPEN_STATUSES, merged_into__isnull=True).order_by("pk")
    changed_total = temperature_changes = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(open_leads.filter(pk__gt=last_pk).select_for_update(skip_locked=True)[:batch_size])
            if not batch:
                break
            last_pk = batch[-1].pk
            changed: list[Lead] = []
            events: list[LeadEvent] = []
            for lead in batch:
                before = (lead.temperature, lead.temperature_reasons, lead.score, lead.score_factors)
                temperature, reasons = evaluate_temperature(lead, rules_for(grouped, lead.team_id))
                lead.temperature, lead.temperature_reasons = temperature, [str(r) for r in reasons]
                lead.score, lead.score_factors = score_lead(lead, model)
                if (lead.temperature, lead.temperature_reasons, lead.score, lead.score_factors) != before:
                    changed.append(lead)
                if lead.temperature != before[0]:
                    events.append(
                        LeadEvent(
                            lead=lead,
                            kind=LeadEventKind.TEMPERATURE,
                            text="; ".join(lead.temperature_reasons),
                            data={"old": before[0], "new": lead.temperature},
                        )
                    )
            Lead.objects.bulk_update(
                changed, ["temperature", "temperature_reasons", "score", "score_factors"], batch_size=500
            )
            LeadEvent.objects.bulk_create(events, batch_size=500)
            changed_total += len(changed)
            temperature_changes += len(events)
    if changed_total:
        audit_bulk(
            actor=None,
            model=Lead,
            event="rescored",
            details={
                "changed": changed_total,
                "temperature_changes": temperature_changes,
                "model": model.pk if model else None,
                "at": timezone.now(),
            },
        )
    return changed_total


@task()
def rescore_open_leads() -> int:
    """Periodic job (nightly): retrain the score on the latest history, then rescore open leads."""
    model = scoring_train() or current_model()
    return leads_rescore(model=model)
