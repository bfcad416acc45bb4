"""File imports become their own app: the import models enter this app's state on the tables
intake created (`intake_importjob`, `intake_importreportchunk`, `intake_externalref`).

State only: nothing is created, altered or copied in the database. `intake` removes the models
from its state after this migration, and `leads` points its foreign keys here.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

KINDS = [("leads", "Leads"), ("clients", "Clients"), ("contacts", "Contacts")]
SOURCES = [
    ("web_form", "Web form"),
    ("landing_calculator", "Calculator"),
    ("demo_download", "Demo download"),
    ("webinar", "Webinar"),
    ("ebook", "E-book"),
    ("callback_widget", "Callback request"),
    ("incoming_call", "Incoming call"),
    ("email", "E-mail"),
    ("exhibition", "Exhibition"),
    ("cold_call", "Cold call"),
    ("purchased_list", "Purchased list"),
    ("referral", "Referral"),
    ("word_of_mouth", "Word of mouth"),
    ("social", "Social media"),
    ("manual", "Entered by hand"),
    ("import", "Imported file"),
    ("other", "Other"),
]
STATUSES = [("pending", "Waiting"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")]


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("intake", "0003_import_kind_and_external_refs"),
        ("core", "0004_periodicrun"),
        ("users", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ImportJob",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="created at")),
                        ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                        ("kind", models.CharField(choices=KINDS, default="leads", max_length=16, verbose_name="kind")),
                        ("file", models.FileField(upload_to="imports/%Y/%m/", verbose_name="file")),
                        ("original_name", models.CharField(max_length=255, verbose_name="file name")),
                        ("status", models.CharField(choices=STATUSES, default="pending", max_length=16, verbose_name="status")),
                        ("dry_run", models.BooleanField(default=False, verbose_name="dry run")),
                        ("mapping", models.JSONField(blank=True, default=dict, verbose_name="column mapping")),
                        ("default_country", models.CharField(blank=True, max_length=2, verbose_name="default country")),
                        ("default_source", models.CharField(choices=SOURCES, default="import", max_length=32, verbose_name="default source")),
                        ("total_rows", models.PositiveIntegerField(default=0, verbose_name="rows")),
                        ("processed_rows", models.PositiveIntegerField(default=0, verbose_name="processed rows")),
                        ("created_count", models.PositiveIntegerField(default=0, verbose_name="created")),
                        ("merged_count", models.PositiveIntegerField(default=0, verbose_name="merged")),
                        ("interest_count", models.PositiveIntegerField(default=0, verbose_name="interests")),
                        ("rejected_count", models.PositiveIntegerField(default=0, verbose_name="rejected")),
                        ("unchanged_count", models.PositiveIntegerField(default=0, verbose_name="unchanged")),
                        ("report", models.FileField(blank=True, upload_to="imports/reports/%Y/%m/", verbose_name="report")),
                        ("error", models.TextField(blank=True, verbose_name="error")),
                        ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="started at")),
                        ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished at")),
                        ("file_format", models.CharField(blank=True, max_length=8, verbose_name="format")),
                        ("encoding", models.CharField(blank=True, max_length=32, verbose_name="encoding")),
                        ("delimiter", models.CharField(blank=True, max_length=1, verbose_name="delimiter")),
                        ("columns", models.JSONField(blank=True, default=list, verbose_name="columns")),
                        ("default_campaign", models.CharField(blank=True, max_length=100, verbose_name="default campaign")),
                        ("run_token", models.CharField(blank=True, editable=False, max_length=32)),
                        ("heartbeat_at", models.DateTimeField(blank=True, null=True, verbose_name="last progress")),
                        ("queued_at", models.DateTimeField(blank=True, null=True, verbose_name="queued at")),
                        ("audit_entry", models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="core.auditentry")),
                        ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="created by")),
                        ("owner", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="imported by")),
                        ("team", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to="users.team", verbose_name="team")),
                        ("updated_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="updated by")),
                    ],
                    options={
                        "verbose_name": "import",
                        "verbose_name_plural": "imports",
                        "db_table": "intake_importjob",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="ImportReportChunk",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("seq", models.PositiveIntegerField()),
                        ("first_line", models.PositiveIntegerField()),
                        ("last_line", models.PositiveIntegerField()),
                        ("text", models.TextField()),
                        ("job", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="report_chunks", to="imports.importjob")),
                    ],
                    options={
                        "verbose_name": "import report part",
                        "verbose_name_plural": "import report parts",
                        "db_table": "intake_importreportchunk",
                        "ordering": ["job", "seq"],
                        "constraints": [models.UniqueConstraint(fields=("job", "seq"), name="import_report_chunk_uniq")],
                    },
                ),
                migrations.CreateModel(
                    name="ExternalRef",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=KINDS, max_length=16, verbose_name="kind")),
                        ("external_id", models.CharField(max_length=100, verbose_name="external id")),
                        ("object_id", models.PositiveBigIntegerField(verbose_name="record")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("job", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="imports.importjob", verbose_name="import")),
                    ],
                    options={
                        "verbose_name": "external id",
                        "verbose_name_plural": "external ids",
                        "db_table": "intake_externalref",
                        "indexes": [models.Index(fields=["kind", "object_id"], name="external_ref_object_idx")],
                        "constraints": [models.UniqueConstraint(fields=("kind", "external_id"), name="external_ref_unique")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
