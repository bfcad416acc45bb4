"""The search and list indexes are in place after every migration (0004 rebuilds leads_lead on
SQLite, which drops the FTS triggers unless the migration recreates them)."""

from __future__ import annotations

from django.db import connection

from clientela.core.normalise import search_text
from clientela.leads import search
from clientela.leads.lists import LEADS
from clientela.leads.models import Lead
from clientela.leads.selectors import lead_list


def _index_names() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Lead._meta.db_table)
    return {name for name, info in constraints.items() if info.get("index")}


def test_fts_index_follows_new_leads_after_all_migrations(world):
    if connection.vendor == "sqlite":
        assert search.sqlite_index_ready()
    lead = Lead.objects.create(
        first_name="Ștefan",
        last_name="Морозов",
        email="stefan@zzqx.example",
        search_text=search_text("Ștefan", "Морозов", "stefan@zzqx.example"),
    )
    Lead.objects.create(first_name="Other", last_name="Person", search_text="other person")
    found = Lead.objects.filter(search.search_condition("морозов"))
    assert list(found) == [lead]
    assert list(Lead.objects.filter(search.search_condition("zzqx"))) == [lead]
    assert list(Lead.objects.filter(search.search_condition("morozov"))) == [lead]


def test_index_diet(world):
    names = _index_names()
    assert {"lead_owner_status_idx", "lead_team_status_idx", "lead_status_created_idx"} <= names
    assert {"lead_email_idx", "lead_phone_idx", "lead_name_key_idx", "lead_merged_into_idx"} <= names
    # no automatic indexes on foreign keys: owner/team lead a list index, the rest are partial
    automatic = {
        n for n in names if n.startswith("leads_lead_") and not n.startswith("leads_lead_created_at")
    }
    assert automatic <= {"leads_lead_pkey"}, automatic
    if connection.vendor == "postgresql":
        assert "lead_search_trgm" in names and "lead_email_trgm" not in names


def test_owner_status_list_and_count_skip_merged_leads(world):
    owner = world.manager_north
    kept = Lead.objects.create(first_name="Kept", owner=owner, team=world.north)
    merged = Lead.objects.create(first_name="Gone", owner=owner, team=world.north, merged_into=kept)
    leads = lead_list(viewer=world.admin, filters=LEADS.values(owner=owner.pk, status="new"))
    assert list(leads) == [kept] and leads.count() == 1
    assert merged.pk not in set(leads.values_list("pk", flat=True))
