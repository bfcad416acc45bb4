"""Search indexes for lead lists at millions of rows (see clientela/leads/search.py).

PostgreSQL: pg_trgm and GIN trigram indexes on `search_text` (the list's `q` search) and on
`email`, so `LIKE '%fragment%'` is answered from the index; and a larger statistics sample
for `search_text`, without which the planner misjudges how rare a fragment is.
SQLite: an FTS5 table with the trigram tokenizer over `search_text` (external content:
`leads_lead`), kept current by triggers, and filled from the existing rows.
"""

from django.db import migrations

FTS = "leads_lead_fts"

SQLITE_FORWARD = [
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
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {FTS}_ai",
    f"DROP TRIGGER IF EXISTS {FTS}_ad",
    f"DROP TRIGGER IF EXISTS {FTS}_au",
    f"DROP TABLE IF EXISTS {FTS}",
]
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # A larger sample lets the planner estimate how rare a '%fragment%' is, so it takes the
    # trigram index for rare terms and the date index for common ones (docs/performance.md).
    "ALTER TABLE leads_lead ALTER COLUMN search_text SET STATISTICS 1000",
    "CREATE INDEX IF NOT EXISTS lead_search_trgm ON leads_lead USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS lead_email_trgm ON leads_lead USING gin (email gin_trgm_ops)",
]
POSTGRES_BACKWARD = [
    "ALTER TABLE leads_lead ALTER COLUMN search_text SET STATISTICS -1",
    "DROP INDEX IF EXISTS lead_search_trgm",
    "DROP INDEX IF EXISTS lead_email_trgm",
]


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement)


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRES_FORWARD)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_FORWARD)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRES_BACKWARD)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("leads", "0002_default_refusal_reasons")]
    operations = [migrations.RunPython(forward, backward)]
