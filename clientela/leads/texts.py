"""What the leads app writes for people (core.texts): timeline lines and why a lead went to
someone, kept as codes and shown in each reader's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from clientela.core.texts import define, define_labels
from clientela.leads.choices import LeadStatus, Source, Temperature
from clientela.leads.policy import DEFAULT_REFUSAL_REASONS

define_labels("lead_source", dict(Source.choices))
define_labels("lead_status", dict(LeadStatus.choices))
define_labels("refusal_reason", DEFAULT_REFUSAL_REASONS)
define_labels("lead_temperature", lambda: {k: str(v).lower() for k, v in Temperature.choices})

CREATED = define("leads.created", _("Lead created from %(source)s"))
TOUCH = define("leads.touch", _("Came in again via %(source)s"))
STATUS = define("leads.status", _("%(old)s → %(new)s"))
REFUSED = define("leads.refused", _("Refused: %(reason)s"))
REFUSED_UNTIL = define("leads.refused_until", _("Refused: %(reason)s · re-contact on %(date)s"))
POSTPONED = define("leads.postponed", _("Postponed until %(date)s"))
RETURNED = define("leads.returned", _("Back from postponement: time to re-contact"))
CONVERTED = define("leads.converted", _("Converted to client %(client)s"))
CONVERTED_DEAL = define("leads.converted_deal", _("Converted to client %(client)s · deal “%(deal)s” started"))
MERGED = define("leads.merged", _("Merged lead #%(id)s (%(name)s) into this one"))
UPGRADED = define("leads.upgraded", _("Upgraded from interest #%(id)s"))
CHANGED = define("leads.changed", _("Changed: %(fields)s"))
QUESTIONNAIRE = define("leads.questionnaire", _("Questionnaire answer: %(reason)s"))
BY_HAND = define("leads.assigned_by_hand", _("Assigned to %(name)s by hand."))
REASSIGNED = define("leads.reassigned", _("Reassigned to %(name)s by %(by)s."))
TEAM_QUEUE = define("leads.team_queue", _("the team queue"))
TAKEN = define("leads.taken", _("Taken by %(name)s from the team queue."))
# The distribution's explanation (leads.distribution), piece by piece.
NO_TEAM = define("leads.no_team", _("No team: the lead waits for a head of sales to assign it."))
BY_RULE = define("leads.by_rule", _("Assigned to %(name)s because rule %(n)s “%(rule)s”: %(why)s."))
BY_TEAM = define(
    "leads.by_team", _("Assigned to %(name)s because no rule took it, so anyone in %(team)s: %(why)s.")
)
NOBODY = define("leads.nobody", _("Nobody could take it (%(detail)s): waiting in the %(team)s queue."))
RULE_ANYONE = define("leads.rule_anyone", _("team %(team)s (anyone)"))
RULE_NUMBERED = define("leads.rule_numbered", _("rule %(n)s “%(rule)s”"))
SKIPPED = define("leads.rule_skipped", _("%(rule)s: %(why)s"))
COUNTRY = define("leads.why_country", _("country %(country)s"))
REGION = define("leads.why_region", _("region %(region)s"))
INDUSTRY = define("leads.why_industry", _("industry %(industry)s"))
PRODUCT = define("leads.why_product", _("interest in %(product)s"))
NOBODY_AVAILABLE = define(
    "leads.why_nobody_available", _("nobody available (everyone is absent or inactive)")
)
AT_CAP = define("leads.why_at_cap", _("everyone is at the capacity cap (%(cap)s)"))
ONLY_BEGINNERS = define("leads.why_only_beginners", _("only beginners available for a %(temp)s lead"))
NOT_RANKED = define("leads.why_not_ranked", _("nobody has %(n)s closed leads yet to be ranked"))
TEMPERATURE = define("leads.why_temperature", _("%(temp)s lead"))
TOP_CONVERTER = define("leads.why_top_converter", _("top converter (%(rate)s%% of %(closed)s closed)"))
LOAD = define("leads.why_load", _("%(leads)s open leads, %(clients)s clients"))
ROUND_ROBIN = define("leads.why_round_robin", _("round-robin"))
LEAST_LOADED = define("leads.why_least_loaded", _("least loaded"))
