"""Leads and interests keep the import that brought them: the import models moved from `intake`
to the `imports` app on the same table, so only the state's target changes (no database work)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0005_scope_columns_in_list_indexes"),
        ("imports", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="interest",
                    name="import_job",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to="imports.importjob"),
                ),
                migrations.AlterField(
                    model_name="lead",
                    name="import_job",
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, to="imports.importjob"),
                ),
            ],
            database_operations=[],
        ),
    ]
