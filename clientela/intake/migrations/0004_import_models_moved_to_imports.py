"""The import models left intake for the `imports` app, which took them over on the same tables:
removed from intake's state only (the tables and their rows stay as they are)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0003_import_kind_and_external_refs"),
        ("imports", "0001_initial"),
        # nothing may still point at intake's ImportJob when it leaves the state
        ("leads", "0006_import_job_in_imports_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ExternalRef"),
                migrations.DeleteModel(name="ImportReportChunk"),
                migrations.DeleteModel(name="ImportJob"),
            ],
            database_operations=[],
        ),
    ]
