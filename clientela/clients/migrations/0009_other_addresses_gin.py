"""GIN indexes on the other e-mails and phones of clients and contacts (PostgreSQL).

The duplicate check of every intake door asks whether an arriving e-mail or phone is one of a
contact's or a client's other addresses: `@>` for one value (`intake.pipeline.secondary_match`),
`?|` for a whole import batch (`imports.leads`). Without an index both read every row; with
a GIN index (`jsonb_ops`, which serves both operators) they read the matching rows only.
SQLite has no such index: there the lookups read the rows whose lists are not empty.
"""

from django.db import migrations

INDEXES = [
    ("clients_client", "other_emails", "client_other_emails_gin"),
    ("clients_client", "other_phones", "client_other_phones_gin"),
    ("clients_contact", "other_emails", "contact_other_emails_gin"),
    ("clients_contact", "other_phones", "contact_other_phones_gin"),
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, name in INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS {name} ON "{table}" USING gin ("{column}")')


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, _column, name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("clients", "0008_last_contact_db_default")]
    operations = [migrations.RunPython(forward, backward)]
