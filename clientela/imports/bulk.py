"""Fast inserts for the file import: ids reserved up front, rows written in one statement.

`bulk_create` builds a model instance and prepares every field of every row; at a million
leads that alone takes longer than the database. Here a batch is written as plain tuples:
PostgreSQL gets them through `COPY … FROM STDIN` with ids taken from the table's sequence
beforehand; SQLite gets one `executemany` with ids after the table's current maximum (the
import holds SQLite's write lock for the whole batch, so nobody else can take them).

Columns the import does not set get the model field's default, prepared once, so a field
added to the model later is still filled the way Django would fill it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone


class BulkInserter:
    """Insert rows of one model: `columns` are the attnames the caller provides, in order."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.model = model
        self.table = model._meta.db_table
        fields = list(model._meta.concrete_fields)
        by_attname = {f.attname: f for f in fields}
        unknown = [c for c in columns if c not in by_attname]
        if unknown:
            raise ValueError(f"{model.__name__} has no columns {unknown}")
        self.columns = ["id", *columns]
        # Every other column gets the field's default, prepared once (constant per import);
        # auto_now / auto_now_add dates get the time of each insert.
        self.default_columns: list[str] = []
        defaults: list[Any] = []
        self.stamped: list[int] = []
        for f in fields:
            if f.attname in self.columns:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.stamped.append(len(defaults))
            self.default_columns.append(str(f.column))
            defaults.append(self.prepare(f, f.get_default()))
        self.defaults = tuple(defaults)
        self.all_columns = [str(by_attname[c].column) for c in self.columns] + self.default_columns
        self.vendor = connection.vendor

    @staticmethod
    def prepare(field: models.Field, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(field, models.JSONField):
            return json.dumps(value)
        return field.get_db_prep_save(value, connection)

    def reserve_ids(self, count: int) -> list[int]:
        """`count` new primary keys nobody else will use."""
        if count == 0:
            return []
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [self.table, count],
                )
                return [row[0] for row in cursor.fetchall()]
            cursor.execute(f'SELECT MAX(id) FROM "{self.table}"')  # noqa: S608 (table name from the model)
            highest = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [self.table])
            row = cursor.fetchone()
            highest = max(highest, row[0] if row else 0)
        return list(range(highest + 1, highest + 1 + count))

    def insert(self, rows: Iterable[tuple[Any, ...]]) -> int:
        """Write rows shaped like `self.columns` (id first). Returns how many were written."""
        defaults = self.defaults
        if self.stamped:
            now = db_datetime(timezone.now())
            defaults = tuple(now if i in self.stamped else value for i, value in enumerate(defaults))
        full_rows = [row + defaults for row in rows]
        if not full_rows:
            return 0
        column_list = ", ".join(f'"{c}"' for c in self.all_columns)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                sql = f'COPY "{self.table}" ({column_list}) FROM STDIN'
                with cursor.cursor.copy(sql) as copy:
                    for row in full_rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.all_columns))
                cursor.executemany(
                    f'INSERT INTO "{self.table}" ({column_list}) VALUES ({marks})',  # noqa: S608
                    full_rows,
                )
        return len(full_rows)


def db_datetime(value: dt.datetime) -> Any:
    """A datetime as the current database wants it in a raw row."""
    if connection.vendor == "postgresql":
        return value
    return connection.ops.adapt_datetimefield_value(value)
