"""Search indexes for client and contact lists at hundreds of thousands of companies
(see clientela/clients/search.py).

PostgreSQL: pg_trgm and GIN trigram indexes on `search_text` of clients and contacts, so
`LIKE '%fragment%'` is answered from the index, with a larger statistics sample.
SQLite: FTS5 tables with the trigram tokenizer over both `search_text` columns (external
content), kept current by triggers and filled from the existing rows.
Search keys of rows saved without one (made outside the services) are computed first.
"""

from django.db import migrations

from clientela.clients import search


def _fill_missing_keys(apps):
    for model_name, compute in (("Client", search.client_search_text), ("Contact", search.contact_search_text)):
        model = apps.get_model("clients", model_name)
        for row in model.objects.filter(search_text="").iterator(chunk_size=2000):
            model.objects.filter(pk=row.pk).update(search_text=compute(row))


def forward(apps, schema_editor):
    _fill_missing_keys(apps)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in search.POSTGRES_SQL:
            schema_editor.execute(statement)
    elif vendor == "sqlite":
        for table, statements in search.SQLITE_FTS_SQL.items():
            for statement in statements:
                schema_editor.execute(statement)
            schema_editor.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = search.POSTGRES_UNDO if vendor == "postgresql" else search.SQLITE_UNDO if vendor == "sqlite" else []
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("clients", "0003_remove_client_price_list_text")]
    operations = [migrations.RunPython(forward, backward)]
