"""Lead score 0–100: explainable factor by factor, learning from converted vs refused leads.

Method: each factor (temperature, source, origin, completeness, consent, touches) contributes
points. Until enough leads have closed, points come from a sales-practice prior. With at
least `MIN_SAMPLE` closed leads, `scoring_train` replaces each factor value's points with
its smoothed conversion rate relative to the overall rate (Laplace-smoothed log-odds, scaled),
so the company's own history decides which sources and temperatures matter.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from clientela.leads.choices import LeadStatus, Origin, Temperature
from clientela.leads.models import Lead, ScoringModel

MIN_SAMPLE = 200
BASE = 20
PRIOR: dict[str, dict[str, float]] = {
    "temperature": {Temperature.HOT: 35, Temperature.WARM: 20, Temperature.COLD: 5, "": 8},
    "origin": {Origin.SEED: 15, Origin.NET: 10, Origin.SPEAR: 5, "": 3},
    "completeness": {"full": 15, "partial": 7, "minimal": 0},
    "consent": {"yes": 5, "no": 0},
    "touches": {"many": 10, "some": 5, "one": 0},
}
FACTOR_LABELS = {
    "temperature": _("Temperature"),
    "origin": _("Origin"),
    "completeness": _("Card completeness"),
    "consent": _("Marketing consent"),
    "touches": _("Touches"),
    "source": _("Source"),
}


def lead_features(lead: Lead) -> dict[str, str]:
    filled = sum(
        bool(v)
        for v in (lead.full_name, lead.phone or lead.email, lead.product, lead.company_name, lead.source)
    )
    return {
        "temperature": lead.temperature or "",
        "origin": lead.origin or "",
        "source": lead.source or "",
        "completeness": "full" if filled >= 5 else "partial" if filled >= 3 else "minimal",
        "consent": "yes" if lead.consent else "no",
        "touches": "many" if lead.touch_count >= 3 else "some" if lead.touch_count == 2 else "one",
    }


def current_model() -> ScoringModel | None:
    return ScoringModel.objects.order_by("-trained_at").first()


def score_lead(lead: Lead, model: ScoringModel | None = None) -> tuple[int, list[dict[str, Any]]]:
    """`(score, factors)`; each factor is `{"factor", "value", "points"}`."""
    weights: dict[str, dict[str, float]] = model.weights if model is not None else PRIOR
    base = float(weights.get("_base", {}).get("", BASE)) if model is not None else BASE
    factors: list[dict[str, Any]] = [{"factor": "base", "value": "", "points": round(base)}]
    total = base
    for factor, value in lead_features(lead).items():
        points = float(weights.get(factor, {}).get(value, 0.0))
        if points:
            factors.append({"factor": factor, "value": value, "points": round(points)})
            total += points
    return max(0, min(100, round(total))), factors


@transaction.atomic
def scoring_train() -> ScoringModel | None:
    """Learn factor points from closed leads; None when there are too few to learn from."""
    closed = Lead.objects.filter(
        status__in=[LeadStatus.CONVERTED, LeadStatus.REFUSED], merged_into__isnull=True
    )
    rows = list(
        closed.values_list(
            "status",
            "temperature",
            "origin",
            "source",
            "consent",
            "touch_count",
            "first_name",
            "last_name",
            "phone",
            "email",
            "product",
            "company_name",
        )
    )
    if len(rows) < MIN_SAMPLE:
        return None
    wins: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    seen: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    total_wins = 0
    for status, temp, origin, source, consent, touches, first, last, phone, email, product, company in rows:
        won = status == LeadStatus.CONVERTED
        total_wins += won
        filled = sum(bool(v) for v in (f"{first}{last}", phone or email, product, company, source))
        features = {
            "temperature": temp or "",
            "origin": origin or "",
            "source": source or "",
            "completeness": "full" if filled >= 5 else "partial" if filled >= 3 else "minimal",
            "consent": "yes" if consent else "no",
            "touches": "many" if touches >= 3 else "some" if touches == 2 else "one",
        }
        for factor, value in features.items():
            seen[factor][value] += 1
            wins[factor][value] += won
    overall = (total_wins + 1) / (len(rows) + 2)
    weights: dict[str, dict[str, float]] = {"_base": {"": round(100 * overall, 1)}}
    for factor, values in seen.items():
        weights[factor] = {}
        for value, count in values.items():
            rate = (wins[factor][value] + 1) / (count + 2)
            log_odds = math.log(rate / (1 - rate)) - math.log(overall / (1 - overall))
            weights[factor][value] = round(10 * log_odds, 1)
    return ScoringModel.objects.create(sample_size=len(rows), weights=weights)
