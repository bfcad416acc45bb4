"""Who gets a new lead: the team's rules in order, explained in one sentence.

For each active rule of the lead's team (then an implicit "anyone in the team" rule):
1. the rule must match the lead (country, industry, product interest, temperature; an empty
   list matches anything);
2. candidates are the rule's managers (or all the team's managers), minus inactive and absent
   people and those at their capacity cap (open leads + clients);
3. hot and warm leads never go to beginners (fewer closed leads in the window than the
   policy's minimum) unless the policy allows it; a "best converters only" rule keeps only
   the top share by conversion rate;
4. the rule's strategy picks one: round-robin after the last person it chose, or the least
   loaded.
A rule whose candidates are all filtered out passes to the next one. If nobody is left, the
lead waits in the team queue and the head of sales is alerted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.leads.choices import OPEN_STATUSES, AssignmentStrategy, LeadStatus, Temperature
from clientela.leads.models import DistributionRule, Lead, LeadPolicy
from clientela.users.choices import Role
from clientela.users.models import Team, User


@dataclass
class Candidate:
    user: User
    load: int
    closed: int
    converted: int

    @property
    def rate(self) -> float:
        return self.converted / self.closed if self.closed else 0.0


@dataclass
class Assignment:
    owner: User | None
    reason: str
    rule: DistributionRule | None = None
    considered: list[str] = field(default_factory=list)


def policy_for(team: Team | None) -> LeadPolicy:
    if team is None:
        return LeadPolicy()
    policy, _created = LeadPolicy.objects.get_or_create(team=team)
    return policy


def _matches(rule: DistributionRule, lead: Lead) -> bool:
    def ok(values: list[str], value: str) -> bool:
        return not values or value.casefold() in {v.casefold() for v in values}

    product_ok = not rule.products or any(
        p.casefold() in (lead.product or "").casefold() for p in rule.products if p
    )
    return (
        ok(rule.countries, lead.country)
        and ok(rule.industries, lead.industry)
        and product_ok
        and ok(rule.temperatures, lead.temperature)
    )


def candidates_for(team: Team, members: list[User] | None, policy: LeadPolicy) -> list[Candidate]:
    """Active, present managers of the team (or of `members`) with load and conversion stats."""
    since = timezone.now() - timedelta(days=policy.conversion_window_days)
    users = User.objects.filter(is_active=True, is_absent=False, team=team, role=Role.MANAGER)
    if members is not None:
        users = users.filter(pk__in=[m.pk for m in members])
    users = users.annotate(
        open_leads=Count(
            "leads", filter=Q(leads__status__in=OPEN_STATUSES, leads__merged_into__isnull=True), distinct=True
        ),
        converted=Count(
            "leads",
            filter=Q(leads__status=LeadStatus.CONVERTED, leads__status_changed_at__gte=since),
            distinct=True,
        ),
        closed=Count(
            "leads",
            filter=Q(
                leads__status__in=[LeadStatus.CONVERTED, LeadStatus.REFUSED],
                leads__status_changed_at__gte=since,
            ),
            distinct=True,
        ),
        active_clients=Count("clients", filter=Q(clients__is_archived=False), distinct=True),
    ).order_by("id")
    return [
        Candidate(user=u, load=u.open_leads + u.active_clients, closed=u.closed, converted=u.converted)
        for u in users
    ]


def _pick(pool: list[Candidate], strategy: str, last: User | None) -> Candidate:
    if strategy == AssignmentStrategy.ROUND_ROBIN:
        ordered = sorted(pool, key=lambda c: c.user.pk)
        if last is not None:
            after = [c for c in ordered if c.user.pk > last.pk]
            if after:
                return after[0]
        return ordered[0]
    return min(pool, key=lambda c: (c.load, c.user.pk))


def decide_owner(lead: Lead) -> Assignment:
    """Choose the owner for `lead` (no writes). Owner None means the team queue."""
    team = lead.team
    if team is None:
        return Assignment(owner=None, reason=_("No team: the lead waits for a head of sales to assign it."))
    policy = policy_for(team)
    rules: list[DistributionRule | None] = [
        *DistributionRule.objects.filter(team=team, is_active=True)
        .prefetch_related("members")
        .order_by("position", "id"),
        None,  # the implicit last rule: anyone in the team
    ]
    considered: list[str] = []
    warm_or_hot = lead.temperature in (Temperature.HOT, Temperature.WARM)
    for index, rule in enumerate(rules, start=1):
        if rule is not None and not _matches(rule, lead):
            continue
        members = list(rule.members.all()) if rule is not None and rule.pk else None
        pool = candidates_for(team, members or None, policy)
        if not pool:
            considered.append(_("%(rule)s: nobody available") % {"rule": rule.name if rule else _("team")})
            continue
        below_cap = [c for c in pool if c.load < policy.capacity_cap]
        if not below_cap:
            considered.append(
                _("%(rule)s: everyone at the capacity cap") % {"rule": rule.name if rule else _("team")}
            )
            continue
        pool = below_cap
        ranked_note = ""
        if warm_or_hot and not policy.hot_warm_to_beginners:
            experienced = [c for c in pool if c.closed >= policy.min_closed_for_ranking]
            if not experienced:
                considered.append(
                    _("%(rule)s: only beginners available for a %(temp)s lead")
                    % {"rule": rule.name if rule else _("team"), "temp": lead.get_temperature_display()}
                )
                continue
            pool = experienced
        if rule is not None and rule.best_converters_only:
            ranked = sorted(pool, key=lambda c: (-c.rate, c.user.pk))
            keep = max(1, round(len(ranked) * policy.top_converter_share / 100))
            pool = ranked[:keep]
            ranked_note = _("top converter (%(rate)s%%)")
        strategy = rule.strategy if rule is not None and rule.strategy else policy.strategy
        chosen = _pick(pool, strategy, rule.last_assigned if rule is not None else None)
        parts = []
        if warm_or_hot:
            parts.append(_("%(temp)s lead") % {"temp": lead.get_temperature_display().lower()})
        if ranked_note:
            parts.append(ranked_note % {"rate": round(100 * chosen.rate)})
        parts.append(_("%(count)s open leads and clients") % {"count": chosen.load})
        if strategy == AssignmentStrategy.ROUND_ROBIN:
            parts.append(_("round-robin"))
        else:
            parts.append(_("least loaded"))
        if rule is not None:
            reason = _("Assigned to %(name)s by rule %(n)s “%(rule)s”: %(why)s.") % {
                "name": chosen.user,
                "n": index,
                "rule": rule.name,
                "why": ", ".join(str(p) for p in parts),
            }
        else:
            reason = _("Assigned to %(name)s, team %(team)s: %(why)s.") % {
                "name": chosen.user,
                "team": team,
                "why": ", ".join(str(p) for p in parts),
            }
        return Assignment(owner=chosen.user, reason=reason, rule=rule, considered=considered)
    detail = "; ".join(str(c) for c in considered)
    return Assignment(
        owner=None,
        reason=_("Nobody could take it (%(detail)s): waiting in the %(team)s queue.")
        % {"detail": detail, "team": team},
        considered=considered,
    )


def record_choice(assignment: Assignment) -> None:
    """Remember a round-robin choice so the next lead goes to the next person."""
    rule: Any = assignment.rule
    if rule is not None and assignment.owner is not None:
        DistributionRule.objects.filter(pk=rule.pk).update(last_assigned=assignment.owner)
