"""Lead search that stays fast at millions of leads: the same matching as
`lists.search_condition`, answered from an index on both databases.

What matches is unchanged: every term (folded: lowercased, accents removed) must occur as a
substring of `Lead.search_text` (name, company, e-mail, phone digits, plus the Latin
transliteration), and a term that is mostly digits is looked up as phone digits.

How it is found differs per database (indexes from migration `0003_search_indexes`):

* PostgreSQL — `search_text LIKE '%term%'`, answered by the GIN trigram index (pg_trgm);
* SQLite — the FTS5 table `leads_lead_fts` (trigram tokenizer, external content) answers
  `LIKE '%term%'` from its index for terms of three or more characters; the `LIKE` on the
  lead row stays as the exact check.
  Shorter terms cannot use a trigram index on either database and are scanned.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from clientela.core.normalise import fold, phone_digits

FTS_TABLE = "leads_lead_fts"
MIN_INDEXED = 3  # characters: the trigram indexes cannot help below this
_LIKE_SPECIAL = frozenset("%_\\")

_DELETE_OLD = (
    "INSERT INTO leads_lead_fts(leads_lead_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text)"
)
_INSERT_NEW = "INSERT INTO leads_lead_fts(rowid, search_text) VALUES (new.id, new.search_text)"
SQLITE_FTS_SQL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS leads_lead_fts USING fts5(search_text, content='leads_lead', "
    "content_rowid='id', tokenize='trigram', detail='none')",
    f"CREATE TRIGGER IF NOT EXISTS leads_lead_fts_ai AFTER INSERT ON leads_lead BEGIN {_INSERT_NEW}; END",
    f"CREATE TRIGGER IF NOT EXISTS leads_lead_fts_ad AFTER DELETE ON leads_lead BEGIN {_DELETE_OLD}; END",
    "CREATE TRIGGER IF NOT EXISTS leads_lead_fts_au AFTER UPDATE OF search_text ON leads_lead "
    f"WHEN old.search_text IS NOT new.search_text BEGIN {_DELETE_OLD}; {_INSERT_NEW}; END",
]
FTS_INSERT_TRIGGER = f"{FTS_TABLE}_ai"
SQLITE_TRIGGERS = (FTS_INSERT_TRIGGER, f"{FTS_TABLE}_ad", f"{FTS_TABLE}_au")

POSTGRES_SQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE leads_lead ALTER COLUMN search_text SET STATISTICS 1000",
    "CREATE INDEX IF NOT EXISTS lead_search_trgm ON leads_lead USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS lead_email_trgm ON leads_lead USING gin (email gin_trgm_ops)",
]


def search_terms(q: str) -> list[str]:
    """The folded terms of a query; a mostly-digit term becomes its digits (a phone fragment)."""
    terms = []
    for term in (fold(t) for t in q.split() if t.strip()):
        digits = phone_digits(term)
        if digits and len(digits) >= 3 and len(digits) >= len(term.strip("+()- ")) - 2:
            terms.append(digits)
        else:
            terms.append(term)
    return terms


def sqlite_index_ready() -> bool:
    """Does this SQLite database have the FTS table and its three triggers?"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE name = %s OR (type = 'trigger' AND name IN (%s, %s, %s))",
            [FTS_TABLE, *SQLITE_TRIGGERS],
        )
        return len(cursor.fetchall()) == 4


def search_condition(q: str) -> Q:
    """Every term of `q` as a substring of the lead's search text, index-assisted."""
    condition = Q()
    use_fts = connection.vendor == "sqlite" and sqlite_index_ready()
    for term in search_terms(q):
        condition &= Q(search_text__contains=term)
        if use_fts and len(term) >= MIN_INDEXED and not _LIKE_SPECIAL & set(term):
            # `LIKE` on a trigram FTS5 table is answered from its index (detail=none keeps the
            # index small and fast to write; the LIKE on leads_lead above stays the exact check).
            indexed = "SELECT rowid FROM leads_lead_fts WHERE search_text LIKE %s"
            condition &= Q(pk__in=RawSQL(indexed, [f"%{term}%"]))  # noqa: S611 (constant SQL, term a parameter)
    return condition


def ensure_sqlite_index(*, rebuild: bool = False) -> bool:
    """(Re)create the SQLite FTS table and triggers when missing; rebuild it when asked or
    when the triggers had to be recreated (rows changed meanwhile were not indexed).

    Django's SQLite schema editor rebuilds a table (and drops its triggers) for many schema
    changes, so a migration that alters `leads_lead` must call this afterwards (or run it from
    a `post_migrate` handler). Returns whether anything was repaired.
    """
    if connection.vendor != "sqlite":
        return False
    repaired = not sqlite_index_ready()
    with connection.cursor() as cursor:
        for statement in SQLITE_FTS_SQL:
            cursor.execute(statement)
        if repaired or rebuild:
            cursor.execute("INSERT INTO leads_lead_fts(leads_lead_fts) VALUES ('rebuild')")
    return repaired
