"""Lead temperature from the company's own rules, with the reasons shown on the card.

Rules (settings → temperature rules) are tried in order — the lead's team's rules first, then
the company-wide ones — and the first whose every criterion holds sets the temperature:

* source (channel) and origin type (seed / net / spear);
* answers: any keyword found in the lead's message or interest (accents and case ignored);
* engagement: at least this many touches;
* recency: last touch within this many days.

A temperature set by hand is kept on every recompute. With no matching rule, a temperature
given at intake stays; otherwise the lead has none yet.

The reasons are written in the language of who reads them — the lead's owner, else its team's
head — also when a job (the nightly rescore, an import) writes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientela.core.language import reader_language
from clientela.core.normalise import fold
from clientela.leads.models import Lead, TemperatureRule
from clientela.users.models import Team, User


def active_rules(team_id: int | None) -> list[TemperatureRule]:
    """The rules that apply to a team's leads: its own first, then company-wide, each in order."""
    rules = TemperatureRule.objects.filter(is_active=True).filter(Q(team__isnull=True) | Q(team_id=team_id))
    return sorted(rules, key=lambda r: (r.team_id is None, r.position, r.pk))


class Readers:
    """The languages of the people who read leads' reasons (every owner, every team's head),
    read once for a whole batch run in two queries, so a job does not query per lead."""

    def __init__(self) -> None:
        self._owners: dict[int, str] | None = None
        self._heads: dict[int, str] = {}

    def language(self, lead: Lead) -> str:
        if self._owners is None:
            self._owners = dict(User.objects.values_list("pk", "language"))
            heads = Team.objects.filter(head__isnull=False).values_list("pk", "head__language")
            self._heads = dict(heads)
        if lead.owner_id is not None:
            found = self._owners.get(lead.owner_id, "")
        else:
            found = self._heads.get(lead.team_id, "") if lead.team_id is not None else ""
        return found or settings.LANGUAGE_CODE


class RuleGroups(dict[int | None, list[TemperatureRule]]):
    """Active rules per team, with the readers' languages of the same run."""

    def __init__(self) -> None:
        super().__init__()
        self.readers = Readers()


class TeamRules(list[TemperatureRule]):
    """The rules of one team for a batch run (`rules_for`), carrying the run's `Readers`."""

    readers: Readers | None = None


def rules_by_team() -> dict[int | None, list[TemperatureRule]]:
    """Every active rule grouped per team (None: company-wide), for recomputing many leads."""
    grouped = RuleGroups()
    for rule in TemperatureRule.objects.filter(is_active=True).order_by("position", "pk"):
        grouped.setdefault(rule.team_id, []).append(rule)
    return grouped


def rules_for(grouped: dict[int | None, list[TemperatureRule]], team_id: int | None) -> list[TemperatureRule]:
    own = grouped.get(team_id, []) if team_id is not None else []
    rules = TeamRules([*own, *grouped.get(None, [])])
    rules.readers = getattr(grouped, "readers", None)
    return rules


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


def reasons_language(lead: Lead, readers: Readers | None = None) -> str:
    """The language the lead's reasons are written in: its owner's, else its team head's, else
    the site's. A batch run answers from its `Readers` (no query per lead)."""
    if readers is not None and not Lead.owner.is_cached(lead):
        return readers.language(lead)
    owner = lead.owner if lead.owner_id else None
    team = lead.team if lead.team_id else None
    return reader_language(owner, team)


def evaluate_temperature(
    lead: Lead, rules: Iterable[TemperatureRule] | None = None, *, language: str | None = None
) -> tuple[str, list[str]]:
    """`(temperature, reasons)` from the first matching rule; a hand-set value is kept.

    `rules` defaults to `active_rules(lead.team_id)`; batch jobs pass them pre-loaded. The
    reasons are in `language`, by default the reader's (`reasons_language`).
    """
    readers = getattr(rules, "readers", None)
    with translation.override(language or reasons_language(lead, readers)):
        temperature, reasons = _evaluate(lead, rules)
        return temperature, [str(reason) for reason in reasons]


def _evaluate(lead: Lead, rules: Iterable[TemperatureRule] | None) -> tuple[str, list[str]]:
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
