"""Client and contact search (clients.search): what matches, that it is answered by the index
condition on both databases, that the keys follow every save and the SQLite index repairs itself."""

from __future__ import annotations

import pytest
from django.db import connection

from clientela.clients import search, selectors
from clientela.clients.lists import CLIENTS, CONTACTS
from clientela.clients.models import Client, Contact
from clientela.clients.tests.factories import make_client, make_contact


def found(viewer, q: str) -> set[int]:
    return set(selectors.client_list(viewer=viewer, filters=CLIENTS.values(q=q)).values_list("pk", flat=True))


def found_contacts(viewer, q: str) -> set[int]:
    return set(
        selectors.contact_list(viewer=viewer, filters=CONTACTS.values(q=q)).values_list("pk", flat=True)
    )


@pytest.fixture
def companies(world):
    alpha = make_client(
        world.manager_north, name="Ștefan Alpha SRL", tax_id="RO18547290", city="Iași", phone="+40721234567"
    )
    make_contact(alpha, first_name="Алексей", last_name="Морозов", email="a.morozov@alpha.example")
    beta = make_client(world.manager_north, name="Beta 100% Kft", country="HU")
    gone = make_contact(beta, first_name="Gina", last_name="Archived", phone="+40744555666")
    Contact.objects.filter(pk=gone.pk).update(is_archived=True)
    south = make_client(world.manager_south, name="Alpha South")
    return {"alpha": alpha, "beta": beta, "south": south, "gone": gone}


@pytest.mark.django_db
def test_every_word_matches_the_client_or_a_working_contact(world, companies):
    alpha, beta = companies["alpha"].pk, companies["beta"].pk
    admin = world.admin
    assert found(admin, "alpha") == {alpha, companies["south"].pk}
    assert found(admin, "STEFAN alpha") == {alpha}  # case and diacritics
    assert found(admin, "iasi") == {alpha}  # city
    assert found(admin, "morozov") == {alpha}  # a contact, transliterated
    assert found(admin, "Морозов alpha") == {alpha}  # words may match client and contact
    assert found(admin, "721 234") == {alpha}  # phone digit fragments
    assert found(admin, "18547290") == {alpha}  # tax id
    assert found(admin, "morozov beta") == set()  # every word must match
    assert found(admin, "100%") == {beta}  # LIKE wildcards are literal
    assert found(admin, "0%") == {beta}
    assert found(admin, "_") == set()
    assert found(admin, "744555") == set(), "archived contacts do not find their client"
    assert found(world.manager_north, "alpha") == {alpha}, "search stays permission-scoped"


@pytest.mark.django_db
def test_contact_list_search_matches_the_contact_or_its_client(world, companies):
    morozov = Contact.objects.get(last_name="Морозов").pk
    assert found_contacts(world.admin, "morozov") == {morozov}
    assert found_contacts(world.admin, "stefan alpha") == {morozov}  # its client's name
    assert found_contacts(world.admin, "alpha.example") == {morozov}
    assert found_contacts(world.manager_south, "morozov") == set()


@pytest.mark.django_db
def test_autocomplete_uses_the_same_condition(world, companies):
    picked = selectors.client_autocomplete(viewer=world.manager_north, q="морозов")
    assert [c.pk for c in picked] == [companies["alpha"].pk]


@pytest.mark.django_db
def test_search_keys_follow_every_save_however_made(world):
    client = Client.objects.create(name="Zsófia Trade", phone="+36301234567", owner=world.manager_north)
    assert found(world.admin, "zsofia") == {client.pk}
    # A save of some fields writes the key when one of them feeds it.
    client.name = "Omega Trade"
    client.save(update_fields=["name"])
    assert found(world.admin, "omega") == {client.pk}
    assert found(world.admin, "zsofia") == set()
    contact = Contact.objects.create(client=client, first_name="Ödön", last_name="Kiss")
    assert found(world.admin, "odon") == {client.pk}
    contact.position = "Beszerző"
    contact.save(update_fields=["position"])
    assert found_contacts(world.admin, "beszerzo") == {contact.pk}


@pytest.mark.django_db
def test_search_is_one_query_and_index_assisted(world, companies, django_assert_max_num_queries):
    clients = selectors.client_list(viewer=world.admin, filters=CLIENTS.values(q="alpha morozov"))
    with django_assert_max_num_queries(3):  # the list itself and the prefetched tags
        rows = list(clients)
    assert [c.pk for c in rows] == [companies["alpha"].pk]
    sql = str(clients.query)
    if connection.vendor == "sqlite":
        assert "clients_client_fts" in sql and "clients_contact_fts" in sql
    else:
        assert "UNION ALL" in sql and "LIKE" in sql


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index is SQLite's")
def test_sqlite_index_is_repaired_and_rebuilt(world, companies):
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER clients_contact_fts_ai")
    assert not search.sqlite_index_ready()
    late = make_contact(companies["beta"], first_name="Late", last_name="Comer")  # not indexed now
    assert search.ensure_sqlite_index() is True
    assert search.sqlite_index_ready()
    assert found(world.admin, "comer") == {companies["beta"].pk}, "rebuilt with the rows missed meanwhile"
    assert late.pk in found_contacts(world.admin, "late comer")
    assert search.ensure_sqlite_index() is False
