"""The `post_migrate` hook of the leads app: after every migrate the SQLite full-text index of
leads (FTS table and its triggers) exists and holds every lead, so search keeps using it."""

from __future__ import annotations

import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection

from clientela.intake.pipeline import IntakeContext, RawLead, intake_submit
from clientela.leads import search
from clientela.leads.lists import LEADS
from clientela.leads.selectors import lead_list

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS index is SQLite's")


def drop_index() -> None:
    with connection.cursor() as cursor:
        for trigger in search.SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        cursor.execute(f"DROP TABLE IF EXISTS {search.FTS_TABLE}")


def test_a_fresh_test_database_has_the_index(db):
    assert search.sqlite_index_ready()


def test_migrate_recreates_a_lost_index_and_fills_it(world):
    ctx = IntakeContext(door="api", team=world.north, owner=world.head_north)
    intake_submit(raw=RawLead(name="Алексей Морозов", phone="+40721123456"), ctx=ctx)
    drop_index()  # as a migration that rebuilds leads_lead, or a restored database, leaves it
    assert not search.sqlite_index_ready()
    # What `migrate` does when it has applied the migrations (running `migrate` itself here
    # would also re-check every app's migrations, which other tests' schema changes disturb).
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert search.sqlite_index_ready()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM leads_lead_fts WHERE search_text LIKE %s", ["%morozov%"])
        assert cursor.fetchone()[0] == 1, "rows written while the index was missing are indexed again"
    found = lead_list(viewer=world.head_north, filters=LEADS.values(q="morozov"))
    assert [lead.last_name for lead in found] == ["Морозов"]
