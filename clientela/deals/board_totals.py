"""The board's open-deal totals, kept by the database itself.

`BoardTotal` holds, per pipeline × stage × currency × owner × team, how many open deals there
are and their amount in cents. Database triggers on `deals_deal` keep it (migration
`0005_board_totals`), so every way a deal is written keeps it current: the services, a
handover's bulk `UPDATE`, imports, `bulk_create` and `COPY`. A board's column counts and totals
are then a sum over a few hundred rows instead of over every open deal of the pipeline
(75,000 index entries for an admin at 500k deals).

* PostgreSQL — statement-level triggers with transition tables: one grouped upsert per
  statement, however many deals it wrote (a handover of thousands of deals is one upsert).
* SQLite — row-level triggers, one upsert per written deal that changes the totals.

Amounts are kept in integer cents, so adding and taking away never drifts (SQLite sums
decimals as floating point). A combination whose deals all left stays as a row of zeros; the
board skips it.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "deals_boardtotal"
KEY = ("pipeline_id", "stage_id", "currency", "owner_id", "team_id")
# The conflict target: the unique index of `BoardTotal` (owner and team may be NULL).
_CONFLICT = "(pipeline_id, stage_id, currency, COALESCE(owner_id, 0), COALESCE(team_id, 0))"
_COLUMNS = ", ".join(KEY)
_ON_CONFLICT = (
    f"ON CONFLICT {_CONFLICT} DO UPDATE SET deals = {TABLE}.deals + excluded.deals,"
    f" amount_cents = {TABLE}.amount_cents + excluded.amount_cents"
)


def _pg_signed(rows: str, sign: str) -> str:
    return (
        f"SELECT {_COLUMNS}, {sign}1 AS deals, {sign}ROUND(amount * 100)::bigint AS cents"  # noqa: S608
        f" FROM {rows} WHERE status = 'open'"
    )


def _pg_upsert(changes: str) -> str:
    # ORDER BY: concurrent statements lock the totals rows in one order (no deadlock between them).
    return (
        f"INSERT INTO {TABLE} ({_COLUMNS}, deals, amount_cents)"  # noqa: S608 (constant names)
        f" SELECT {_COLUMNS}, SUM(deals), SUM(cents) FROM ({changes}) AS changes"
        f" GROUP BY {_COLUMNS} HAVING SUM(deals) <> 0 OR SUM(cents) <> 0 ORDER BY {_COLUMNS}"
        f" {_ON_CONFLICT};"
    )


POSTGRES_SQL = [
    f"""
CREATE OR REPLACE FUNCTION deals_board_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_pg_upsert(_pg_signed("new_rows", ""))}
    ELSIF TG_OP = 'DELETE' THEN
        {_pg_upsert(_pg_signed("old_rows", "-"))}
    ELSE
        {_pg_upsert(_pg_signed("new_rows", "") + " UNION ALL " + _pg_signed("old_rows", "-"))}
    END IF;
    RETURN NULL;
END
$$""",
    "CREATE TRIGGER deals_board_totals_insert AFTER INSERT ON deals_deal"
    " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION deals_board_totals_apply()",
    "CREATE TRIGGER deals_board_totals_update AFTER UPDATE ON deals_deal"
    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION deals_board_totals_apply()",
    "CREATE TRIGGER deals_board_totals_delete AFTER DELETE ON deals_deal"
    " REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION deals_board_totals_apply()",
]
POSTGRES_UNDO = [
    "DROP TRIGGER IF EXISTS deals_board_totals_insert ON deals_deal",
    "DROP TRIGGER IF EXISTS deals_board_totals_update ON deals_deal",
    "DROP TRIGGER IF EXISTS deals_board_totals_delete ON deals_deal",
    "DROP FUNCTION IF EXISTS deals_board_totals_apply()",
]


def _sqlite_upsert(row: str, sign: str) -> str:
    values = ", ".join(f"{row}.{column}" for column in KEY)
    return (
        f"INSERT INTO {TABLE} ({_COLUMNS}, deals, amount_cents)"
        f" SELECT {values}, {sign}1, {sign}CAST(ROUND({row}.amount * 100) AS INTEGER)"
        f" WHERE {row}.status = 'open' {_ON_CONFLICT};"
    )


_SQLITE_CHANGED = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in ("status", *KEY, "amount"))
SQLITE_SQL = [
    f"CREATE TRIGGER deals_board_totals_insert AFTER INSERT ON deals_deal WHEN NEW.status = 'open'"
    f" BEGIN {_sqlite_upsert('NEW', '')} END",
    f"CREATE TRIGGER deals_board_totals_delete AFTER DELETE ON deals_deal WHEN OLD.status = 'open'"
    f" BEGIN {_sqlite_upsert('OLD', '-')} END",
    f"CREATE TRIGGER deals_board_totals_update AFTER UPDATE ON deals_deal"
    f" WHEN (OLD.status = 'open' OR NEW.status = 'open') AND ({_SQLITE_CHANGED})"
    f" BEGIN {_sqlite_upsert('OLD', '-')} {_sqlite_upsert('NEW', '')} END",
]
SQLITE_UNDO = [
    "DROP TRIGGER IF EXISTS deals_board_totals_insert",
    "DROP TRIGGER IF EXISTS deals_board_totals_update",
    "DROP TRIGGER IF EXISTS deals_board_totals_delete",
]

_CENTS = {
    "postgresql": "SUM(ROUND(amount * 100))::bigint",
    "sqlite": "SUM(CAST(ROUND(amount * 100) AS INTEGER))",
}


TRIGGERS = ("deals_board_totals_insert", "deals_board_totals_update", "deals_board_totals_delete")
_TRIGGERS_PRESENT = {
    "postgresql": "SELECT COUNT(*) FROM pg_trigger WHERE tgrelid = 'deals_deal'::regclass AND tgname IN %s",
    "sqlite": "SELECT COUNT(*) FROM sqlite_master"
    " WHERE type = 'trigger' AND tbl_name = 'deals_deal' AND name IN %s",
}


def install(connection: BaseDatabaseWrapper) -> None:
    """(Re)create the triggers (PostgreSQL or SQLite) and count the totals from the deals there are."""
    statements = {"postgresql": POSTGRES_SQL, "sqlite": SQLITE_SQL}.get(connection.vendor)
    if statements is None:
        vendor = connection.vendor
        raise ImproperlyConfigured(f"Board totals have triggers for PostgreSQL and SQLite, not {vendor}.")
    uninstall(connection)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    rebuild(connection)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for statement in {"postgresql": POSTGRES_UNDO, "sqlite": SQLITE_UNDO}.get(connection.vendor, []):
            cursor.execute(statement)


def installed(connection: BaseDatabaseWrapper) -> bool:
    with connection.cursor() as cursor:
        placeholders = "(" + ", ".join(["%s"] * len(TRIGGERS)) + ")"
        cursor.execute(_TRIGGERS_PRESENT[connection.vendor].replace("%s", placeholders, 1), TRIGGERS)
        return bool(cursor.fetchone()[0] == len(TRIGGERS))


def ensure(connection: BaseDatabaseWrapper) -> bool:
    """Put the triggers back and recount when they are missing, and recount when a total went
    below zero. The `post_migrate` handler in `deals.apps` calls this after every migrate and
    flush: Django's SQLite schema editor rebuilds a table (dropping its triggers) for many
    schema changes, and its SQLite flush empties the tables one by one, so deleting the deals
    after their totals leaves negative totals. Returns whether anything was repaired."""
    if connection.vendor not in _TRIGGERS_PRESENT:
        return False
    if not installed(connection):
        install(connection)
        return True
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {TABLE} WHERE deals < 0 LIMIT 1")  # noqa: S608 (constant name)
        if cursor.fetchone() is None:
            return False
    rebuild(connection)
    return True


def rebuild(connection: BaseDatabaseWrapper) -> None:
    """Recount every total from the deals (after a restore, or rows written with triggers off)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608 (constant names)
        cursor.execute(
            f"INSERT INTO {TABLE} ({_COLUMNS}, deals, amount_cents)"  # noqa: S608
            f" SELECT {_COLUMNS}, COUNT(*), {_CENTS[connection.vendor]} FROM deals_deal"
            f" WHERE status = 'open' GROUP BY {_COLUMNS}"
        )
