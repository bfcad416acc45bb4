"""Lead temperature from the company's own rules, with the reasons shown on the card.

Rules (settings → temperature rules) are tried in order — the lead's team's rules first, then
the company-wide ones — and the first whose every criterion holds sets the temperature:

* source (channel) and origin type (seed / net / spear);
* answers: any keyword found in the lead's message or interest (accents and case ignored);
* engagement: at least this many touches;
* recency: last touch within this many days.

A temperature set by hand is kept on every recompute. With no matching rule, a temperature
given at intake stays; otherwise the lead has none yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.normalise import fold
from clientela.leads.models import Lead, TemperatureRule


def active_rules(team_id: int | None) -> list[TemperatureRule]:
    """The rules that apply to a team's leads: its own first, then company-wide, each in order."""
    rules = TemperatureRule.objects.filter(is_active=True).filter(Q(team__isnull=True) | Q(team_id=team_id))
    return sorted(rules, key=lambda r: (r.team_id is None, r.position, r.pk))


def rules_by_team() -> dict[int | None, list[TemperatureRule]]:
    """Every active rule grouped per team (None: company-wide), for recomputing many leads."""
    grouped: dict[int | None, list[TemperatureRule]] = {}
    for rule in TemperatureRule.objects.filter(is_active=True).order_by("position", "pk"):
        grouped.setdefault(rule.team_id, []).append(rule)
    return grouped


def rules_for(grouped: dict[int | None, list[TemperatureRule]], team_id: int | None) -> list[TemperatureRule]:
    own = grouped.get(team_id, []) if team_id is not None else []
    return [*own, *grouped.get(None, [])]


def rule_matches(rule: TemperatureRule, lead: Lead) -> list[str]:
    """The reasons this rule matches the lead, or [] when it does not."""
    reasons: list[str] = []
    if rule.sources:
        if lead.source not in rule.sources:
            return []
        reasons.append(_("source is %(source)s") % {"source": lead.get_source_display()})
    if rule.origins:
        if lead.origin not in rule.origins:
            return []
        reasons.append(_("origin is %(origin)s") % {"origin": lead.get_origin_display()})
    if rule.keywords:
        haystack = fold(f"{lead.message} {lead.product}")
        hits = [word for word in rule.keywords if word and fold(str(word)) in haystack]
        if not hits:
            return []
        reasons.append(_("answer mentions “%(word)s”") % {"word": hits[0]})
    if rule.min_touches:
        if lead.touch_count < rule.min_touches:
            return []
        reasons.append(_("%(count)s touches") % {"count": lead.touch_count})
    if rule.max_age_days is not None:
        last = lead.last_touch_at or lead.created_at or timezone.now()
        if timezone.now() - last > timedelta(days=rule.max_age_days):
            return []
        reasons.append(_("in touch within %(days)s days") % {"days": rule.max_age_days})
    return reasons or [_("applies to every lead")]


def evaluate_temperature(lead: Lead, rules: Iterable[TemperatureRule] | None = None) -> tuple[str, list[str]]:
    """`(temperature, reasons)` from the first matching rule; a hand-set value is kept.

    `rules` defaults to `active_rules(lead.team_id)`; batch jobs pass them pre-loaded.
    """
    if lead.temperature_manual and lead.temperature:
        return lead.temperature, list(lead.temperature_reasons or [_("set by hand")])
    for rule in active_rules(lead.team_id) if rules is None else rules:
        reasons = rule_matches(rule, lead)
        if reasons:
            scope = _("team rule") if rule.team_id else _("company rule")
            return rule.temperature, [
                _("%(scope)s “%(rule)s”") % {"scope": scope, "rule": rule.name},
                *reasons,
            ]
    if lead.temperature:
        return lead.temperature, list(lead.temperature_reasons or [_("given at intake")])
    return "", []
