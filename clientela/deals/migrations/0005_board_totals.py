"""Board totals kept by the database: the `BoardTotal` table, the triggers on `deals_deal` that
keep it (PostgreSQL statement triggers, SQLite row triggers; see clientela/deals/board_totals.py),
and its first fill from the deals there are."""

import django.db.models.deletion
import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models

from clientela.deals import board_totals


def forward(apps, schema_editor):
    board_totals.install(schema_editor.connection)


def backward(apps, schema_editor):
    board_totals.uninstall(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('deals', '0004_board_partial_indexes'),
        ('users', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='BoardTotal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('currency', models.CharField(max_length=3)),
                ('deals', models.BigIntegerField(default=0)),
                ('amount_cents', models.BigIntegerField(default=0)),
                ('owner', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('pipeline', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='deals.pipeline')),
                ('stage', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='deals.stage')),
                ('team', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='users.team')),
            ],
            options={
                'constraints': [models.UniqueConstraint(models.F('pipeline'), models.F('stage'), models.F('currency'), django.db.models.functions.comparison.Coalesce('owner', models.Value(0)), django.db.models.functions.comparison.Coalesce('team', models.Value(0)), name='deals_board_total_once')],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
