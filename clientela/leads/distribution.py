"""Who gets a new lead: the team's rules in order, each decision explained in one sentence.

The team's active rules are tried in their order, then an implicit last rule ("anyone in the
team"). For each rule:

1. the rule must match the lead — its countries, regions, industries, product interests and
   temperatures (an empty list matches anything; a rule with countries and regions needs
   both; the first rule that matches *and* finds somebody wins);
2. candidates are the rule's managers (or every manager of the team), minus inactive and
   absent people, minus those at the policy's capacity cap (open leads + active clients);
3. hot and warm leads go only to the best converters: managers with at least the policy's
   minimum of closed (converted or refused) leads in the conversion window, ranked by their
   conversion rate, the top share kept. Beginners never get them unless the policy allows
   it; cold leads may go to anyone. A rule marked "best converters only" applies the same
   ranking to every lead it matches;
4. the rule's strategy (or the policy's) picks one person: round-robin after the last person
   the rule chose (the implicit team rule keeps its pointer on the team's `LeadPolicy`), or
   the least loaded. Ties are broken by the person's id, so the same data always gives the
   same answer.

A rule that finds nobody passes the lead on to the next one, and says why in `considered`.
If nobody is left, the lead waits in the team queue (owner None) and `lead_create` alerts
the head of sales.

The rules live in one function, `decide`, which works on data already loaded: `decide_owner`
loads it for one lead, the file import (`imports.leads.BatchDistributor`) loads it once per
run and keeps loads and pointers current in memory between its calls.

Cost: a fixed number of queries whatever the number of leads — the policy, the rules with
their members, and one query computing every candidate's load and conversion in SQL.
Language: the explanation is written for its reader — the chosen owner, or the team's head for
a lead left in the queue — in their language, whoever (a visitor's form, a job) made the lead.

Concurrency: inside a transaction a round-robin decision locks the rule's row (or, for the
implicit team rule, the team's policy row) with `select_for_update` before reading who was
last, so two leads arriving together rotate instead of both going to the same person.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.clients.models import Client
from clientela.core.roles import Role
from clientela.core.texts import Join, Label, Message
from clientela.leads import texts
from clientela.leads.choices import OPEN_STATUSES, AssignmentStrategy, LeadStatus, Temperature
from clientela.leads.models import DistributionRule, Lead, LeadPolicy
from clientela.users.models import Team, User

CLOSED_STATUSES = (LeadStatus.CONVERTED, LeadStatus.REFUSED)


@dataclass
class Candidate:
    """A manager who could take the lead, with what the rules look at."""

    user: User
    open_leads: int
    active_clients: int
    closed: int
    converted: int
    user_id: int = 0  # user.pk, read a million times by a file import

    def __post_init__(self) -> None:
        self.user_id = self.user.pk

    @property
    def load(self) -> int:
        return self.open_leads + self.active_clients

    @property
    def rate(self) -> float:
        return self.converted / self.closed if self.closed else 0.0


@dataclass
class Assignment:
    """The decision: an owner (None = the team queue), one sentence why, and the rule used."""

    owner: User | None
    reason: Message
    rule: DistributionRule | None = None
    rule_number: int | None = None
    considered: list[Message] = field(default_factory=list)
    strategy: str = ""
    policy: LeadPolicy | None = None


def policy_for(team: Team | None) -> LeadPolicy:
    """The team's lead policy; the defaults (unsaved) until someone edits it in settings."""
    if team is None:
        return LeadPolicy()
    return LeadPolicy.objects.filter(team=team).first() or LeadPolicy(team=team)


def _count(queryset: QuerySet[Any], owner_field: str = "owner") -> Coalesce:
    """Correlated `COUNT(*)` of `queryset` rows owned by the outer user (0 when none)."""
    counted = (
        queryset.filter(**{owner_field: OuterRef("pk")})
        .order_by()
        .values(owner_field)
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def candidates_for(team: Team, policy: LeadPolicy) -> list[Candidate]:
    """Every active, present manager of the team with their load and conversion, in one query."""
    since = timezone.now() - timedelta(days=policy.conversion_window_days)
    leads = Lead.objects.filter(merged_into__isnull=True)
    closed = leads.filter(status__in=CLOSED_STATUSES, status_changed_at__gte=since)
    users = (
        User.objects.filter(is_active=True, is_absent=False, team=team, role=Role.MANAGER)
        .annotate(
            n_open=_count(leads.filter(status__in=OPEN_STATUSES)),
            n_clients=_count(Client.objects.filter(is_archived=False)),
            n_closed=_count(closed),
            n_converted=_count(closed.filter(status=LeadStatus.CONVERTED)),
        )
        .order_by("pk")
    )
    return [
        Candidate(
            user=u,
            open_leads=u.n_open,
            active_clients=u.n_clients,
            closed=u.n_closed,
            converted=u.n_converted,
        )
        for u in users
    ]


def match_reasons(rule: DistributionRule, lead: Lead) -> list[Message] | None:
    """What the rule specialises in that this lead has, or None when the rule does not match."""

    folded: dict[str, frozenset[str]] = rule.__dict__.setdefault("_folded_lists", {})

    def listed(values: list[str], value: str) -> bool:
        if not value:
            return False
        key = str(values)
        allowed = folded.get(key)
        if allowed is None:  # folded once per rule instance (the import decides many leads)
            allowed = folded[key] = frozenset(str(v).casefold() for v in values)
        return value.casefold() in allowed

    reasons: list[Message] = []
    if rule.countries:
        if not listed(rule.countries, lead.country):
            return None
        reasons.append(Message(texts.COUNTRY, country=lead.country.upper()))
    regions = getattr(rule, "regions", None)
    if regions:
        region = (getattr(lead, "region", "") or "").strip()
        if not listed(regions, region):
            return None
        reasons.append(Message(texts.REGION, region=region))
    if rule.industries:
        if not listed(rule.industries, lead.industry):
            return None
        reasons.append(Message(texts.INDUSTRY, industry=lead.industry))
    if rule.products:
        product = (lead.product or "").casefold()
        hits = [p for p in rule.products if p and str(p).casefold() in product]
        if not hits:
            return None
        reasons.append(Message(texts.PRODUCT, product=hits[0]))
    if rule.temperatures and not listed(rule.temperatures, lead.temperature):
        return None
    return reasons


def _rule_label(rule: DistributionRule | None, number: int, team: Team) -> Message:
    if rule is None:
        return Message(texts.RULE_ANYONE, team=team)
    return Message(texts.RULE_NUMBERED, n=number, rule=rule.name)


def _last_assigned_id(rule: DistributionRule | None, team: Team) -> int | None:
    """Who this rule chose last; locked for the rest of the transaction when there is one.

    A stored rule remembers it (`DistributionRule.last_assigned`); the implicit team rule
    remembers it on the team's policy (`LeadPolicy.last_assigned`, moved only by the
    implicit rule's own round-robin choices), so its rotation is fair between requests.
    """
    rows: QuerySet[Any]
    if rule is not None:
        rows = DistributionRule.objects.filter(pk=rule.pk)
    else:
        rows = LeadPolicy.objects.filter(team=team)
    if connection.in_atomic_block:
        rows = rows.select_for_update()
    return rows.values_list("last_assigned_id", flat=True).first()


def _round_robin(pool: list[Candidate], last_id: int | None) -> Candidate:
    ordered = sorted(pool, key=lambda c: c.user_id)
    if last_id is not None:
        for candidate in ordered:
            if candidate.user_id > last_id:
                return candidate
    return ordered[0]


def _least_loaded(pool: list[Candidate]) -> Candidate:
    return min(pool, key=lambda c: (c.open_leads + c.active_clients, c.user_id))


def top_converters(pool: list[Candidate], share_percent: int) -> list[Candidate]:
    """The best `share_percent` of `pool` by conversion rate (at least one person).

    Ties: more closed leads first (more evidence), then the person's id.
    """
    ranked = sorted(pool, key=lambda c: (-c.rate, -c.closed, c.user_id))
    keep = max(1, math.ceil(len(ranked) * max(0, min(100, share_percent)) / 100))
    return ranked[:keep]


def active_rules(team: Team) -> list[DistributionRule]:
    """The team's active rules in order, with their members' ids prefetched."""
    return list(
        DistributionRule.objects.filter(team=team, is_active=True)
        .prefetch_related(Prefetch("members", queryset=User.objects.only("pk")))
        .order_by("position", "id")
    )


def decide_owner(lead: Lead) -> Assignment:
    """Choose the owner for `lead`. Owner None means the team queue. Writes nothing.

    Called inside a transaction (as `lead_create` does), a round-robin choice locks the
    rule's row until commit; call `record_choice` in the same transaction. The reason is a
    message (core.texts): each reader sees it in their own language.
    """
    team = lead.team
    if team is None:
        return Assignment(owner=None, reason=Message(texts.NO_TEAM))
    policy = policy_for(team)
    rules = active_rules(team)
    member_ids = {rule.pk: {m.pk for m in rule.members.all()} for rule in rules}
    everyone = candidates_for(team, policy)
    return decide(
        lead,
        team=team,
        policy=policy,
        rules=rules,
        member_ids=member_ids,
        everyone=everyone,
        last_assigned=lambda rule: _last_assigned_id(rule, team),
    )


def decide(
    lead: Lead,
    *,
    team: Team,
    policy: LeadPolicy,
    rules: list[DistributionRule],
    member_ids: dict[int, set[int]],
    everyone: list[Candidate],
    last_assigned: Callable[[DistributionRule | None], int | None],
    gettext: Callable[[str], str] = _,
) -> Assignment:
    """The decision itself, on data already loaded: the one place for the rules.

    `member_ids` maps a rule's id to its managers' ids (empty: the whole team);
    `last_assigned(rule)` answers whom a round-robin rule (None: the implicit team rule)
    chose last — it is asked only when a round-robin choice is made. `gettext` translates the
    explanation (the import passes a per-run cache of the same catalogue). Writes nothing
    and changes nothing: the caller records the choice (`record_choice`, or in memory).
    """
    del gettext  # the reason is a message, translated when someone reads it
    warm_or_hot = lead.temperature in (Temperature.HOT, Temperature.WARM)
    temperature = Label("lead_temperature", lead.temperature, lead.get_temperature_display().lower())
    considered: list[Message] = []
    in_order: list[DistributionRule | None] = [*rules, None]  # None: anyone in the team
    for number, rule in enumerate(in_order, start=1):
        specialisation = match_reasons(rule, lead) if rule is not None else []
        if specialisation is None:
            continue

        def skip(why: Message, rule: DistributionRule | None = rule, number: int = number) -> None:
            considered.append(Message(texts.SKIPPED, rule=_rule_label(rule, number, team), why=why))

        pool = everyone
        members = member_ids.get(rule.pk, set()) if rule is not None else set()
        if members:
            pool = [c for c in pool if c.user_id in members]
        if not pool:
            skip(Message(texts.NOBODY_AVAILABLE))
            continue
        cap = policy.capacity_cap
        pool = [c for c in pool if c.open_leads + c.active_clients < cap]
        if not pool:
            skip(Message(texts.AT_CAP, cap=policy.capacity_cap))
            continue
        ranked = (rule is not None and rule.best_converters_only) or (
            warm_or_hot and not policy.hot_warm_to_beginners
        )
        if ranked:
            experienced = [c for c in pool if c.closed >= policy.min_closed_for_ranking]
            if not experienced:
                if warm_or_hot:
                    why = Message(texts.ONLY_BEGINNERS, temp=temperature)
                else:
                    why = Message(texts.NOT_RANKED, n=policy.min_closed_for_ranking)
                skip(why)
                continue
            pool = top_converters(experienced, policy.top_converter_share)
        strategy = (rule.strategy if rule is not None else "") or policy.strategy
        if strategy == AssignmentStrategy.ROUND_ROBIN:
            chosen = _round_robin(pool, last_assigned(rule))
        else:
            chosen = _least_loaded(pool)
        parts: list[Message] = list(specialisation)
        if warm_or_hot:
            parts.append(Message(texts.TEMPERATURE, temp=temperature))
        if ranked:
            parts.append(Message(texts.TOP_CONVERTER, rate=round(100 * chosen.rate), closed=chosen.closed))
        parts.append(Message(texts.LOAD, leads=chosen.open_leads, clients=chosen.active_clients))
        parts.append(
            Message(texts.ROUND_ROBIN if strategy == AssignmentStrategy.ROUND_ROBIN else texts.LEAST_LOADED)
        )
        why_all = Join(parts, ", ")
        if rule is not None:
            reason = Message(texts.BY_RULE, name=chosen.user, n=number, rule=rule.name, why=why_all)
        else:
            reason = Message(texts.BY_TEAM, name=chosen.user, team=team, why=why_all)
        return Assignment(
            owner=chosen.user,
            reason=reason,
            rule=rule,
            rule_number=number,
            considered=considered,
            strategy=strategy,
            policy=policy,
        )
    return Assignment(
        owner=None,
        reason=Message(texts.NOBODY, detail=Join(considered, "; "), team=team),
        considered=considered,
        policy=policy,
    )


def record_choice(assignment: Assignment) -> None:
    """Remember whom a rule chose, so its next round-robin lead goes to the next person.

    Run in the transaction that called `decide_owner`: a round-robin decision locked the
    rule's (or the policy's) row there already (the UPDATE locks it in any case). The
    implicit team rule's pointer lives on the team's policy and moves with its round-robin
    choices only (a team without a stored policy cannot be round-robin).
    """
    rule: Any = assignment.rule
    if assignment.owner is None:
        return
    if rule is not None:
        DistributionRule.objects.filter(pk=rule.pk).update(last_assigned=assignment.owner)
        rule.last_assigned = assignment.owner
        return
    policy = assignment.policy
    if assignment.strategy == AssignmentStrategy.ROUND_ROBIN and policy is not None and policy.pk:
        LeadPolicy.objects.filter(pk=policy.pk).update(last_assigned=assignment.owner)
        policy.last_assigned = assignment.owner
