"""The satisfaction survey and exit questionnaire letters, shipped in the five languages (kept
when an admin has edited them)."""

from django.db import migrations, models


def load_defaults(apps, schema_editor):
    from clientela.comms.template_defaults import DEFAULT_TEMPLATES

    MessageTemplate = apps.get_model("comms", "MessageTemplate")
    for key in ("survey", "exit_survey"):
        for language, (subject, body) in DEFAULT_TEMPLATES[key].items():
            MessageTemplate.objects.get_or_create(
                key=key, language=language, defaults={"subject": subject, "body": body + "\n"}
            )


class Migration(migrations.Migration):
    dependencies = [("comms", "0004_index_diet")]

    operations = [
        migrations.AlterField(
            model_name="messagetemplate",
            name="key",
            field=models.CharField(
                choices=[
                    ("acknowledgement", "Acknowledgement of receipt"),
                    ("keep_alive", "Keep-alive"),
                    ("farewell", "Farewell letter"),
                    ("follow_up", "Follow-up"),
                    ("greetings", "Greetings"),
                    ("summary", "Summary after a call"),
                    ("survey", "Satisfaction survey"),
                    ("exit_survey", "Exit questionnaire"),
                ],
                max_length=32,
                verbose_name="message",
            ),
        ),
        migrations.RunPython(load_defaults, migrations.RunPython.noop),
    ]
