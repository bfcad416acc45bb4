"""Labels and defaults of configurable lead policy."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

# Built-in refusal reasons (SPEC §2); their labels are translated, custom ones show their name.
DEFAULT_REFUSAL_REASONS: dict[str, Any] = {
    "price": _("Price"),
    "competitor": _("Chose a competitor"),
    "no_budget": _("No budget now"),
    "timing": _("Timing or plans changed"),
    "no_decision": _("No decision"),
    "quality": _("Quality"),
    "other": _("Other"),
}


def refusal_reason_label(reason: Any) -> str:
    label = DEFAULT_REFUSAL_REASONS.get(reason.code)
    return str(label) if label is not None else reason.name


def ensure_default_refusal_reasons() -> None:
    """Create the built-in refusal reasons that are missing (fresh installs, flushed test DBs)."""
    from clientela.leads.models import RefusalReason

    for position, (code, label) in enumerate(DEFAULT_REFUSAL_REASONS.items()):
        RefusalReason.objects.get_or_create(code=code, defaults={"name": str(label), "position": position})
