"""Titles of the tasks the system created (first contact, call back, re-contact, keep in touch),
written as finished text in the writer's language, become message codes with their parameters
where they are recognised, so every reader sees them in their own language. Titles people typed
stay as typed."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from clientela.core.texts import recognise

CODES = {
    "first_contact": ["tasks.first_contact"],
    "call_back": ["tasks.call_back"],
    "recontact": ["tasks.recontact"],
    "keep_alive": ["tasks.keep_alive"],
}
BATCH = 2000


def convert(apps: Any, schema_editor: Any) -> None:
    Task = apps.get_model("activities", "Task")
    memo: dict[tuple[str, str], Any] = {}
    for kind, codes in CODES.items():
        rows = Task.objects.filter(kind=kind, title_message__isnull=True)
        last = 0
        while True:
            batch = list(rows.filter(pk__gt=last).order_by("pk").only("pk", "title")[:BATCH])
            if not batch:
                break
            last = batch[-1].pk
            changed = []
            for task in batch:
                key = (kind, task.title)
                if key not in memo:
                    found = recognise(task.title, codes)
                    memo[key] = found.as_json() if found is not None else None
                if memo[key] is not None:
                    task.title_message = memo[key]
                    changed.append(task)
            Task.objects.bulk_update(changed, ["title_message"])


class Migration(migrations.Migration):
    dependencies = [("activities", "0005_task_title_message")]

    operations = [migrations.RunPython(convert, migrations.RunPython.noop)]
