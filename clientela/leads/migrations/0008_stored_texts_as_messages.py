"""Timeline lines and assignment reasons written as finished text (in whatever language the writer
had) become message codes with their parameters where they are recognised, so every reader sees
them in their own language; anything else (a person's note, a reason typed by a head) stays as is."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from clientela.core.texts import Message, recognise

EVENT_CODES = [
    "leads.created",
    "leads.touch",
    "leads.assigned_by_hand",
    "leads.reassigned",
    "leads.taken",
    "leads.postponed",
    "leads.returned",
    "leads.merged",
    "leads.converted_deal",
    "leads.converted",
    "leads.refused_until",
    "leads.refused",
    "leads.changed",
    "leads.status",
    "leads.no_team",
]
WHY_CODES = [
    "leads.why_country",
    "leads.why_region",
    "leads.why_industry",
    "leads.why_product",
    "leads.why_temperature",
    "leads.why_top_converter",
    "leads.why_load",
    "leads.why_round_robin",
    "leads.why_least_loaded",
]
LABELS = {
    "leads.created": {"source": "lead_source"},
    "leads.touch": {"source": "lead_source"},
    "leads.status": {"old": "lead_status", "new": "lead_status"},
    "leads.refused": {"reason": "refusal_reason"},
    "leads.refused_until": {"reason": "refusal_reason"},
    "leads.why_temperature": {"temp": "lead_temperature"},
}
# Lines only the system writes (notes are people's words).
SYSTEM_KINDS = [
    "created",
    "touch",
    "status",
    "assigned",
    "converted",
    "refused",
    "postponed",
    "returned",
    "merged",
    "edited",
]
BATCH = 2000


def _why(text: str) -> Any:
    """'country RO, hot lead, 3 open leads, 0 clients, least loaded' piece by piece, or None."""
    from clientela.core.texts import Join

    pieces: list[Any] = []
    rest = text
    while rest:
        for cut in [len(rest), *reversed([i for i in range(len(rest)) if rest.startswith(", ", i)])]:
            found = recognise(rest[:cut], WHY_CODES, labels=LABELS)
            if found is not None:
                pieces.append(found)
                rest = rest[cut + 2 :]
                break
        else:
            return None
    return Join(pieces, ", ") if pieces else None


def read(text: str) -> Message | None:
    return recognise(
        text,
        [*EVENT_CODES, "leads.by_rule", "leads.by_team"],
        labels=LABELS,
        nested={"why": _why},
    )


def convert(apps: Any, schema_editor: Any) -> None:
    memo: dict[str, Any] = {}

    def message_for(text: str) -> Any:
        if text not in memo:
            found = read(text)
            memo[text] = found.as_json() if found is not None else None
        return memo[text]

    LeadEvent = apps.get_model("leads", "LeadEvent")
    Lead = apps.get_model("leads", "Lead")
    for model, field, kinds in (
        (LeadEvent, "text", {"kind__in": SYSTEM_KINDS}),
        (Lead, "assignment_reason", {}),
    ):
        target = f"{field}_message" if field == "text" else "assignment_message"
        rows = model.objects.filter(**{f"{target}__isnull": True, **kinds}).exclude(**{field: ""})
        last = 0
        while True:
            batch = list(rows.filter(pk__gt=last).order_by("pk").only("pk", field)[:BATCH])
            if not batch:
                break
            last = batch[-1].pk
            changed = []
            for row in batch:
                message = message_for(getattr(row, field))
                if message is not None:
                    setattr(row, target, message)
                    changed.append(row)
            model.objects.bulk_update(changed, [target])


class Migration(migrations.Migration):
    dependencies = [("leads", "0007_lead_assignment_message_leadevent_text_message")]

    operations = [migrations.RunPython(convert, migrations.RunPython.noop)]
