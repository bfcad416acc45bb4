"""Client and contact search that stays fast at hundreds of thousands of companies.

What matches: every word of the query (folded: lowercased, accents removed; a word that is
mostly digits is looked up as phone/id digits) must occur as a substring of the client's search
key (name, legal form, tax id, registration number, e-mails, city, phone digits, plus the Latin
transliteration) or of the search key of one of its working contacts (name, position, e-mails,
phone digits). For the contact list, a word matches the contact or its client.

The search keys are kept by `Client.save()` / `Contact.save()` (and the bulk importers, which
call the same functions), so every record is findable however it was made.

How it is found (indexes from migration `0004_search_indexes`), one index-assisted
`id IN (… UNION ALL …)` per word:

* PostgreSQL — `search_text LIKE '%word%'` on both tables, answered by GIN trigram indexes (pg_trgm);
* SQLite — FTS5 tables with the trigram tokenizer (`clients_client_fts`, `clients_contact_fts`,
  external content, kept by triggers) answer words of three or more characters; the `LIKE` on
  the row stays as the exact check. Shorter words cannot use a trigram index and are scanned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from clientela.core.normalise import fold, phone_digits, search_text

if TYPE_CHECKING:
    from clientela.clients.models import Client, Contact

MIN_INDEXED = 3  # characters: trigram indexes cannot help below this
_LIKE_SPECIAL = frozenset("%_\\")
TABLES = ("clients_client", "clients_contact")


def _fts_sql(table: str) -> list[str]:
    fts = f"{table}_fts"
    delete_old = f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text)"  # noqa: S608
    insert_new = f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text)"  # noqa: S608
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(search_text, content='{table}', "
        "content_rowid='id', tokenize='trigram', detail='none')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN {insert_new}; END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN {delete_old}; END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF search_text ON {table} "
        f"WHEN old.search_text IS NOT new.search_text BEGIN {delete_old}; {insert_new}; END",
    ]


SQLITE_FTS_SQL = {table: _fts_sql(table) for table in TABLES}

POSTGRES_SQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # A larger sample lets the planner judge how rare a '%fragment%' is.
    "ALTER TABLE clients_client ALTER COLUMN search_text SET STATISTICS 1000",
    "ALTER TABLE clients_contact ALTER COLUMN search_text SET STATISTICS 1000",
    "CREATE INDEX IF NOT EXISTS client_search_trgm ON clients_client USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS contact_search_trgm ON clients_contact USING gin (search_text gin_trgm_ops)",
]
POSTGRES_UNDO = [
    "DROP INDEX IF EXISTS client_search_trgm",
    "DROP INDEX IF EXISTS contact_search_trgm",
    "ALTER TABLE clients_client ALTER COLUMN search_text SET STATISTICS -1",
    "ALTER TABLE clients_contact ALTER COLUMN search_text SET STATISTICS -1",
]
SQLITE_UNDO = [
    statement
    for table in TABLES
    for statement in (
        f"DROP TRIGGER IF EXISTS {table}_fts_ai",
        f"DROP TRIGGER IF EXISTS {table}_fts_ad",
        f"DROP TRIGGER IF EXISTS {table}_fts_au",
        f"DROP TABLE IF EXISTS {table}_fts",
    )
]


# --- Search keys ---------------------------------------------------------------------------------


def client_search_text(c: Client) -> str:
    """Name, legal ids, e-mails and city in every spelling, plus phone and id digits."""
    words = search_text(
        c.name,
        c.legal_form,
        c.tax_id,
        c.registration_number,
        c.email,
        *(c.other_emails or []),
        c.city,
    )
    phones = [c.phone, *(c.other_phones or [])]
    digits = " ".join(d for d in (phone_digits(p) for p in phones) if d)
    return f"{words} {digits} {phone_digits(c.tax_id)}".strip()


def contact_search_text(c: Contact) -> str:
    """Name, position and e-mails in every spelling, plus phone digits."""
    words = search_text(
        c.first_name,
        c.last_name,
        c.position,
        c.email,
        *(c.other_emails or []),
    )
    phones = [c.phone, *(c.other_phones or [])]
    digits = " ".join(d for d in (phone_digits(p) for p in phones) if d)
    return f"{words} {digits}".strip()


CLIENT_SEARCH_FIELDS = frozenset(
    {
        "name",
        "legal_form",
        "tax_id",
        "registration_number",
        "email",
        "other_emails",
        "city",
        "phone",
        "other_phones",
    }
)
CONTACT_SEARCH_FIELDS = frozenset(
    {"first_name", "last_name", "position", "email", "other_emails", "phone", "other_phones"}
)


# --- Conditions ----------------------------------------------------------------------------------


def search_terms(q: str) -> list[str]:
    """The folded words of a query; a mostly-digit word becomes its digits (a phone/id fragment)."""
    terms = []
    for word in q.split():
        digits = phone_digits(word)
        if digits and len(digits) >= 3 and len(digits) >= len(word.strip("+()- ")) - 2:
            terms.append(digits)
        else:
            folded = fold(word)
            if folded:
                terms.append(folded)
    return terms


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def sqlite_index_ready() -> bool:
    """Does this SQLite database have both FTS tables and their six triggers?"""
    names = [f"{table}_fts{suffix}" for table in TABLES for suffix in ("", "_ai", "_ad", "_au")]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM sqlite_master WHERE name IN ({', '.join(['%s'] * len(names))})",  # noqa: S608
            names,
        )
        return bool(cursor.fetchone()[0] == len(names))


def _matching_ids(table: str, term: str, *, use_fts: bool) -> tuple[str, list[str]]:
    """SQL selecting the ids of `table` rows whose search key contains `term` (index-assisted)."""
    like = _like(term)
    if connection.vendor == "sqlite":
        exact = f"{table}.search_text LIKE %s ESCAPE '\\'"
        if use_fts and len(term) >= MIN_INDEXED and not _LIKE_SPECIAL & set(term):
            # `LIKE` on a trigram FTS5 table is answered from its index; the row's LIKE stays exact.
            return (
                f"{table}.id IN (SELECT rowid FROM {table}_fts WHERE search_text LIKE %s) AND {exact}",  # noqa: S608
                [f"%{term}%", like],
            )
        return exact, [like]
    return f"{table}.search_text LIKE %s", [like]


def _client_ids_sql(term: str, *, use_fts: bool) -> tuple[str, list[str]]:
    own, own_params = _matching_ids("clients_client", term, use_fts=use_fts)
    via, via_params = _matching_ids("clients_contact", term, use_fts=use_fts)
    sql = (
        f"SELECT clients_client.id FROM clients_client WHERE {own} "  # noqa: S608 (constant SQL)
        f"UNION ALL SELECT clients_contact.client_id FROM clients_contact "
        f"WHERE {via} AND NOT clients_contact.is_archived"
    )
    return sql, [*own_params, *via_params]


def _use_fts() -> bool:
    return connection.vendor == "sqlite" and sqlite_index_ready()


def client_search_condition(q: str) -> Q:
    """Every word matches the client or one of its working contacts (module docstring)."""
    condition = Q()
    use_fts = _use_fts()
    for term in search_terms(q):
        sql, params = _client_ids_sql(term, use_fts=use_fts)
        condition &= Q(pk__in=RawSQL(sql, params))  # noqa: S611 (constant SQL, term a parameter)
    return condition


def contact_search_condition(q: str) -> Q:
    """Every word matches the contact (name, position, e-mails, phone digits) or its client."""
    condition = Q()
    use_fts = _use_fts()
    for term in search_terms(q):
        own, own_params = _matching_ids("clients_contact", term, use_fts=use_fts)
        client, client_params = _matching_ids("clients_client", term, use_fts=use_fts)
        sql = (
            f"SELECT clients_contact.id FROM clients_contact WHERE {own} "  # noqa: S608 (constant SQL)
            "UNION ALL SELECT clients_contact.id FROM clients_contact WHERE clients_contact.client_id IN "
            f"(SELECT clients_client.id FROM clients_client WHERE {client})"
        )
        condition &= Q(pk__in=RawSQL(sql, [*own_params, *client_params]))  # noqa: S611
    return condition


# --- SQLite index upkeep ---------------------------------------------------------------------------


def ensure_sqlite_index(*, rebuild: bool = False) -> bool:
    """(Re)create the SQLite FTS tables and triggers when missing; rebuild them when asked or
    when triggers had to be recreated (rows changed meanwhile were not indexed).

    Django's SQLite schema editor rebuilds a table (dropping its triggers) for many schema
    changes; the `post_migrate` handler in `clients.apps` calls this after every migrate.
    Returns whether anything was repaired.
    """
    if connection.vendor != "sqlite":
        return False
    repaired = not sqlite_index_ready()
    with connection.cursor() as cursor:
        for table, statements in SQLITE_FTS_SQL.items():
            for statement in statements:
                cursor.execute(statement)
            if repaired or rebuild:
                cursor.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")  # noqa: S608 (constant names)
    return repaired
