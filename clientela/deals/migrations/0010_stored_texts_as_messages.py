"""Deal timeline lines the system wrote as finished text (deal started, stage moves, won, lost,
reopened) become message codes with their parameters where they are recognised, so every reader
sees them in their own language. Notes and anything not recognised stay as written."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from clientela.core.texts import Message, recognise, recognise_sentences

LABELS = {
    "deals.created": {"pipeline": "pipeline", "stage": "stage"},
    "deals.moved": {"old": "stage", "new": "stage"},
    "deals.lost": {"reason": "lost_reason"},
}
CODES = ["deals.created", "deals.from_lead", "deals.moved", "deals.won", "deals.schedule", "deals.lost"]
SYSTEM_KINDS = ["created", "stage", "won", "lost", "reopened"]
BATCH = 2000


def _one(text: str) -> Message | None:
    return recognise(text, CODES, labels=LABELS)


def read(text: str) -> Message | None:
    reopened = recognise(text, ["deals.reopened"], nested={"moved": _one})
    if reopened is not None and isinstance(reopened.params.get("moved"), Message):
        return reopened
    return recognise_sentences(text, _one)


def convert(apps: Any, schema_editor: Any) -> None:
    DealEvent = apps.get_model("deals", "DealEvent")
    rows = DealEvent.objects.filter(kind__in=SYSTEM_KINDS, text_message__isnull=True).exclude(text="")
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last).order_by("pk").only("pk", "text")[:BATCH])
        if not batch:
            break
        last = batch[-1].pk
        changed = []
        for event in batch:
            found = read(event.text)
            if found is not None:
                event.text_message = found.as_json()
                changed.append(event)
        DealEvent.objects.bulk_update(changed, ["text_message"])


class Migration(migrations.Migration):
    dependencies = [("deals", "0009_dealevent_text_message")]

    operations = [migrations.RunPython(convert, migrations.RunPython.noop)]
