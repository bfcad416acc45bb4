"""Lead temperature from the company's own rules, with the reasons shown on the card."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.leads.models import Lead, TemperatureRule


def active_rules(team_id: int | None) -> list[TemperatureRule]:
    rules = TemperatureRule.objects.filter(is_active=True).filter(Q(team__isnull=True) | Q(team_id=team_id))
    # team-specific rules first, then company-wide ones, each in their order
    return sorted(rules, key=lambda r: (r.team_id is None, r.position, r.id))


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
        haystack = f"{lead.message} {lead.product}".casefold()
        hits = [word for word in rule.keywords if word and word.casefold() in haystack]
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
        reasons.append(_("active within %(days)s days") % {"days": rule.max_age_days})
    return reasons or [_("matches every lead")]


def evaluate_temperature(lead: Lead) -> tuple[str, list[str]]:
    """`(temperature, reasons)` from the first matching rule; a hand-set value is kept."""
    if lead.temperature_manual and lead.temperature:
        return lead.temperature, list(lead.temperature_reasons or [_("set by hand")])
    for rule in active_rules(lead.team_id):
        reasons = rule_matches(rule, lead)
        if reasons:
            return rule.temperature, [_("Rule “%(rule)s”") % {"rule": rule.name}, *reasons]
    if lead.temperature:
        return lead.temperature, list(lead.temperature_reasons or [_("given at intake")])
    return "", []
