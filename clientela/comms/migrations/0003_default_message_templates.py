"""Ship the default message templates in the five languages (kept when an admin has edited them)."""

from django.db import migrations


def load_defaults(apps, schema_editor):
    from clientela.comms.template_defaults import DEFAULT_TEMPLATES

    MessageTemplate = apps.get_model("comms", "MessageTemplate")
    for key, variants in DEFAULT_TEMPLATES.items():
        for language, (subject, body) in variants.items():
            MessageTemplate.objects.get_or_create(
                key=key, language=language, defaults={"subject": subject, "body": body + "\n"}
            )


class Migration(migrations.Migration):
    dependencies = [("comms", "0002_message_templates_and_message_clocks")]

    operations = [migrations.RunPython(load_defaults, migrations.RunPython.noop)]
