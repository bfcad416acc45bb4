from django.db import migrations

REASONS = [
    ("price", "Price"),
    ("competitor", "Chose a competitor"),
    ("no_budget", "No budget now"),
    ("timing", "Timing or plans changed"),
    ("no_decision", "No decision"),
    ("quality", "Quality"),
    ("other", "Other"),
]


def add_reasons(apps, schema_editor):
    RefusalReason = apps.get_model("leads", "RefusalReason")
    for position, (code, name) in enumerate(REASONS):
        RefusalReason.objects.get_or_create(code=code, defaults={"name": name, "position": position})


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]
    operations = [migrations.RunPython(add_reasons, migrations.RunPython.noop)]
