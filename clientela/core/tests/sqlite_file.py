"""Run code against a SQLite *file* database with the production settings (WAL, busy timeout,
IMMEDIATE transactions), in another process: the test suite's in-memory database shares one cache
between threads, whose table locks fail at once instead of waiting, so it cannot say how the
product behaves under concurrent writers. A test builds its records as usual (transactional_db),
copies the database into a file and runs a script there with as many threads as it likes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

PRELUDE = """
import django, json, os, sys, threading
django.setup()
from django.db import connection, connections
"""


def copy_test_database(path: Path) -> None:
    """The test database as it is now (commit first: use transactional_db), into a file."""
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()


def _database_url(tmp_path: Path) -> str:
    """SQLite: a file copy of the test database. PostgreSQL: the test database itself (the
    test commits its records with transactional_db, so another process sees them)."""
    if connection.vendor == "sqlite":
        database = tmp_path / "clientela.sqlite3"
        copy_test_database(database)
        return f"sqlite:///{database}"
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{port}/{db['NAME']}"


def run_on_file_database(tmp_path: Path, script: str, *, timeout: float = 240) -> Any:
    """Run `script` in a fresh Python with the production settings on a database the test's
    records are in (on SQLite a file copy, with its real locking; on PostgreSQL the test
    database); the script prints one JSON value on its last line, returned here."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIENTELA_")}
    env.update(
        {
            "CLIENTELA_DATA_DIR": str(tmp_path),
            "CLIENTELA_DATABASE_URL": _database_url(tmp_path),
            "DJANGO_SETTINGS_MODULE": "clientela.settings",
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(script)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"the script failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])
