"""Index diet of leads_lead for bulk imports (docs/performance.md, "Index diet"), regions on
distribution rules, and the round-robin pointer of the implicit team rule.

SQLite rebuilds `leads_lead` for the altered foreign keys, which drops the FTS triggers of
0003_search_indexes: they are recreated and the FTS index rebuilt at the end. PostgreSQL drops
the trigram index on `email` (searches use `search_text`, which contains the e-mail).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


FTS = "leads_lead_fts"
SQLITE_REPAIR = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5("
    "search_text, content='leads_lead', content_rowid='id', tokenize='trigram', detail='none')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_ai AFTER INSERT ON leads_lead BEGIN "
    f"INSERT INTO {FTS}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_ad AFTER DELETE ON leads_lead BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_au AFTER UPDATE OF search_text ON leads_lead "
    f"WHEN old.search_text IS NOT new.search_text BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {FTS}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for statement in SQLITE_REPAIR:
            schema_editor.execute(statement)
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS lead_email_trgm")


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for statement in SQLITE_REPAIR:
            schema_editor.execute(statement)
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS lead_email_trgm ON leads_lead USING gin (email gin_trgm_ops)"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0002_client_card'),
        ('intake', '0002_import_progress'),
        ('leads', '0003_search_indexes'),
        ('users', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='lead',
            name='lead_owner_status_idx',
        ),
        migrations.RemoveIndex(
            model_name='lead',
            name='lead_team_status_idx',
        ),
        migrations.RemoveIndex(
            model_name='lead',
            name='lead_status_created_idx',
        ),
        migrations.AddField(
            model_name='distributionrule',
            name='regions',
            field=models.JSONField(blank=True, default=list, help_text='Regions (as on the lead, e.g. “Transilvania”); with countries, both must match.', verbose_name='regions'),
        ),
        migrations.AddField(
            model_name='leadpolicy',
            name='last_assigned',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='last assigned (no rule matched)'),
        ),
        migrations.AlterField(
            model_name='lead',
            name='client',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='source_leads', to='clients.client', verbose_name='client'),
        ),
        migrations.AlterField(
            model_name='lead',
            name='contact',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='source_leads', to='clients.contact', verbose_name='contact'),
        ),
        migrations.AlterField(
            model_name='lead',
            name='converted_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='lead',
            name='created_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by'),
        ),
        migrations.AlterField(
            model_name='lead',
            name='import_job',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, to='intake.importjob'),
        ),
        migrations.AlterField(
            model_name='lead',
            name='intake_form',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, to='intake.intakeform'),
        ),
        migrations.AlterField(
            model_name='lead',
            name='merged_into',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='merged', to='leads.lead', verbose_name='merged into'),
        ),
        migrations.AlterField(
            model_name='lead',
            name='owner',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='leads', to=settings.AUTH_USER_MODEL, verbose_name='owner'),
        ),
        migrations.AlterField(
            model_name='lead',
            name='postponed_until',
            field=models.DateField(blank=True, null=True, verbose_name='postponed until'),
        ),
        migrations.AlterField(
            model_name='lead',
            name='refusal_reason',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, to='leads.refusalreason', verbose_name='refusal reason'),
        ),
        migrations.AlterField(
            model_name='lead',
            name='team',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, to='users.team', verbose_name='team'),
        ),
        migrations.AlterField(
            model_name='lead',
            name='updated_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='updated by'),
        ),
        migrations.AlterField(
            model_name='leadevent',
            name='actor',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by'),
        ),
        migrations.AlterField(
            model_name='leadevent',
            name='at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='at'),
        ),
        migrations.AlterField(
            model_name='leadevent',
            name='lead',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='leads.lead'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(condition=models.Q(('merged_into__isnull', True)), fields=['owner', 'status', '-created_at'], name='lead_owner_status_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(condition=models.Q(('merged_into__isnull', True)), fields=['team', 'status', '-created_at'], name='lead_team_status_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(condition=models.Q(('merged_into__isnull', True)), fields=['status', '-created_at'], name='lead_status_created_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(condition=models.Q(('refusal_reason__isnull', False)), fields=['refusal_reason'], name='lead_refusal_reason_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(condition=models.Q(('postponed_until__isnull', False)), fields=['postponed_until'], name='lead_postponed_until_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(condition=models.Q(('converted_by__isnull', False)), fields=['converted_by'], name='lead_converted_by_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(condition=models.Q(('client__isnull', False)), fields=['client'], name='lead_client_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(condition=models.Q(('contact__isnull', False)), fields=['contact'], name='lead_contact_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(condition=models.Q(('merged_into__isnull', False)), fields=['merged_into'], name='lead_merged_into_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(condition=models.Q(('intake_form__isnull', False)), fields=['intake_form'], name='lead_intake_form_idx'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(condition=models.Q(('updated_by__isnull', False)), fields=['updated_by'], name='lead_updated_by_idx'),
        ),
        migrations.AlterField(
            model_name='lead',
            name='name_key',
            field=models.CharField(blank=True, editable=False, max_length=120),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['name_key'], name='lead_name_key_idx'),
        ),
        migrations.RunPython(forward, backward),
    ]
