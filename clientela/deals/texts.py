"""What the deals app writes for people (core.texts): the deal's timeline lines, kept as codes and
shown in each reader's language; built-in pipelines, stages and lost reasons as translated labels."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from clientela.core.texts import Label, define, define_labels
from clientela.deals.defaults import DEFAULT_NAMES, LOST_REASON_LABELS, PIPELINE_LABELS, STAGE_LABELS

define_labels("pipeline", PIPELINE_LABELS)
define_labels("stage", STAGE_LABELS)
define_labels("lost_reason", LOST_REASON_LABELS)

CREATED = define("deals.created", _("Deal started in %(pipeline)s, stage “%(stage)s”."))
FROM_LEAD = define("deals.from_lead", _("From lead %(lead)s."))
MOVED = define("deals.moved", _("%(old)s → %(new)s after %(days)s d in “%(old)s”."))
WON = define("deals.won", _("Won: %(amount)s."))
SCHEDULE = define("deals.schedule", _("Payment schedule: %(rows)s."))
LOST = define("deals.lost", _("Lost: %(reason)s."))
REOPENED = define("deals.reopened", _("Reopened. %(moved)s"))
EARLY_OFFER = define(
    "deals.early_offer",
    _("Offer sent early: %(days)s days after the previous one (the minimum is %(min)s days)."),
)


def label(kind: str, record: Any) -> Label:
    """A built-in record's name, translated for each reader while it keeps its built-in name
    (as `deals.models._label` shows it); a renamed or added record's name as written."""
    code = record.code if record.code and DEFAULT_NAMES.get(record.code) == record.name else ""
    return Label(kind, code, record.name)
