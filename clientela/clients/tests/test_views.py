"""Client and contact pages: scoping per role on every door (list, search, autocomplete,
export, cards), filters, saved views, forms with field errors, handover pages, query counts."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.clients.models import Client, Contact, SavedView
from clientela.clients.services.client import client_archive, client_update
from clientela.clients.services.handover import client_handover
from clientela.clients.tests.factories import make_client, make_contact
from clientela.conftest import login
from clientela.core.models import AuditEntry

pytestmark = pytest.mark.urls("clientela.clients.tests.urls")

LIST = "/clients/"
CONTACTS = "/contacts/"


def page(client, url=LIST, status=200, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.content[:800]
    return response.content.decode()


def ids_on(body: str, prefix: str = "clients") -> set[int]:
    return {int(m) for m in re.findall(rf'data-href="/{prefix}/(\d+)/"', body)}


@pytest.fixture
def spread(world):
    """One client in every scoping situation, each with a contact."""
    clients = {
        "own": make_client(world.manager_north, name="Own Alpha", country="RO", industry="Logistics"),
        "colleague": make_client(world.manager_north2, name="Colleague Beta", country="RO"),
        "queue": make_client(None, world.north, name="Queue Gamma", country="HU"),
        "south": make_client(world.manager_south, name="South Delta", country="HU", tax_id="10773381-2-44"),
    }
    for key, client in clients.items():
        make_contact(client, first_name=key.title(), last_name="Person", email=f"{key}@example.com")
    return clients


ROLES = [
    ("manager_north", {"own", "queue"}),
    ("head_north", {"own", "colleague", "queue"}),
    ("marketer_north", set()),
    ("admin", {"own", "colleague", "queue", "south"}),
    ("manager_south", {"south"}),
]


@pytest.mark.parametrize(("who", "expected"), ROLES)
def test_list_shows_only_what_the_role_may_see(client, world, spread, who, expected):
    body = page(login(client, getattr(world, who)))
    assert ids_on(body) == {spread[name].pk for name in expected}


@pytest.mark.parametrize(("who", "expected"), ROLES)
def test_contact_list_is_scoped_the_same_way(client, world, spread, who, expected):
    body = page(login(client, getattr(world, who)), CONTACTS)
    contacts = Contact.objects.filter(client__in=[spread[n] for n in expected])
    assert ids_on(body, "contacts") == {c.pk for c in contacts}


@pytest.mark.parametrize("term", ["South", "10773381", "south@example", "Delta", "south person"])
def test_search_never_reaches_another_teams_client(client, world, spread, term):
    body = page(login(client, world.manager_north), f"{LIST}?q={term}")
    assert spread["south"].pk not in ids_on(body)
    admin_body = page(login(client, world.admin), f"{LIST}?q={term}")
    assert spread["south"].pk in ids_on(admin_body)


def test_search_by_every_kind_of_key(client, world, spread):
    make_contact(spread["own"], first_name="Алексей", last_name="Морозов", phone="+40 744 555 666")
    login(client, world.manager_north)
    own = spread["own"].pk
    assert ids_on(page(client, f"{LIST}?q=alpha")) == {own}  # company name
    assert ids_on(page(client, f"{LIST}?q=morozov")) == {own}  # a contact, transliterated
    assert ids_on(page(client, f"{LIST}?q=own@example.com")) == {own}  # a contact's e-mail
    assert ids_on(page(client, f"{LIST}?q=744555")) == {own}  # a contact's phone digits
    client_update(by=world.manager_north, client=spread["own"], data={"tax_id": "18547290"})
    assert ids_on(page(client, f"{LIST}?q=18547290")) == {own}  # tax id
    assert ids_on(page(client, f"{LIST}?q=RO18547290")) == {own}  # its VAT spelling


def test_converted_clients_are_found_too(client, world):
    from clientela.leads.services.convert import lead_convert
    from clientela.leads.tests.test_views_helpers import make_lead

    lead = make_lead(owner=world.manager_north, team=world.north, first_name="Ștefan", last_name="Radu")
    conversion = lead_convert(by=world.manager_north, lead=lead, client_name="Convertit SRL")
    login(client, world.manager_north)
    assert ids_on(page(client, f"{LIST}?q=convertit")) == {conversion.client.pk}
    assert ids_on(page(client, f"{LIST}?q=Radu")) == {conversion.client.pk}
    card = page(client, f"/clients/{conversion.client.pk}/")
    assert f'href="/leads/{lead.pk}/"' in card  # the conversion link, this way round


def test_filters(client, world, spread):
    login(client, world.head_north)
    assert ids_on(page(client, f"{LIST}?owner=me")) == set()
    assert ids_on(page(client, f"{LIST}?owner={world.manager_north2.pk}")) == {spread["colleague"].pk}
    assert ids_on(page(client, f"{LIST}?owner=none")) == {spread["queue"].pk}
    assert ids_on(page(client, f"{LIST}?country=hu")) == {spread["queue"].pk}
    assert ids_on(page(client, f"{LIST}?industry=logistics")) == {spread["own"].pk}
    assert ids_on(page(client, f"{LIST}?status=new")) == {spread[n].pk for n in ("own", "colleague", "queue")}
    assert ids_on(page(client, f"{LIST}?status=passive")) == set()
    assert ids_on(page(client, f"{LIST}?completeness=below")) == {
        spread[n].pk for n in ("own", "colleague", "queue")
    }
    client_archive(by=world.head_north, client=spread["colleague"])
    assert spread["colleague"].pk not in ids_on(page(client, LIST))
    assert ids_on(page(client, f"{LIST}?archived=yes")) == {spread["colleague"].pk}


def test_bad_filter_values_are_reported_not_500(client, world, spread):
    body = page(login(client, world.manager_north), f"{LIST}?country=Romania&status=weird&page=x&sort=drop")
    assert "two-letter country code" in body


def test_htmx_gets_the_table_only(client, world, spread):
    body = page(login(client, world.manager_north), f"{LIST}?q=alpha", **{"HX-Request": "true"})
    assert "<html" not in body and ids_on(body) == {spread["own"].pk}


def test_list_page_queries_do_not_grow_with_rows(client, world, django_assert_max_num_queries):
    login(client, world.manager_north)
    for n in range(3):
        make_contact(make_client(world.manager_north, name=f"Few {n}", tags=["vip"]))
    with CaptureQueriesContext(connection) as few:
        page(client)
    hq = make_client(world.manager_north, name="Many HQ")
    for n in range(40):
        c = make_client(
            world.manager_north, name=f"Many {n}", tags=["vip", f"t{n}"], headquarters=hq if n % 2 else None
        )
        make_contact(c)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = page(client)
    assert len(ids_on(body)) == 44


def test_contact_list_queries_do_not_grow_with_rows(client, world, django_assert_max_num_queries):
    login(client, world.manager_north)
    make_contact(make_client(world.manager_north))
    with CaptureQueriesContext(connection) as few:
        page(client, CONTACTS)
    for n in range(30):
        make_contact(make_client(world.manager_north, name=f"C{n}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = page(client, CONTACTS)
    assert len(ids_on(body, "contacts")) == 31


def test_autocomplete_is_scoped(client, world, spread):
    login(client, world.manager_north)
    items = client.get("/clients/autocomplete/?q=a").json()["items"]
    assert {i["id"] for i in items} <= {spread["own"].pk, spread["queue"].pk}
    assert spread["south"].pk not in {
        i["id"] for i in client.get("/clients/autocomplete/?q=South").json()["items"]
    }
    assert client.get("/clients/autocomplete/?q=10773381").json()["items"] == []


def _csv_ids(response) -> set[int]:
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    return {int(row[0]) for row in rows[1:]}


@pytest.mark.parametrize(("who", "expected"), [r for r in ROLES if r[0] != "marketer_north"])
def test_csv_export_holds_exactly_what_the_role_sees(client, world, spread, who, expected):
    login(client, getattr(world, who))
    response = client.get("/clients/export/?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert _csv_ids(response) == {spread[n].pk for n in expected}
    assert AuditEntry.objects.filter(event="export").exists()


def test_export_respects_the_filters_and_search(client, world, spread):
    login(client, world.admin)
    assert _csv_ids(client.get("/clients/export/?q=delta&format=csv")) == {spread["south"].pk}
    assert _csv_ids(client.get("/clients/export/?country=RO&format=csv")) == {
        spread["own"].pk,
        spread["colleague"].pk,
    }


def test_xlsx_export_is_scoped_and_writes_formulas_as_text(client, world, spread):
    from openpyxl import load_workbook

    client_update(by=world.manager_north, client=spread["own"], data={"address": "=HYPERLINK(1)"})
    login(client, world.manager_north)
    response = client.get("/clients/export/?format=xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert {r[0] for r in rows[1:]} == {spread["own"].pk, spread["queue"].pk}
    address_column = rows[0].index("Address")
    own_row = next(r for r in rows if r[0] == spread["own"].pk)
    assert own_row[address_column] == "=HYPERLINK(1)"
    cell = next(c for c in workbook.active.iter_rows(min_row=2) if c[0].value == spread["own"].pk)[
        address_column
    ]
    assert cell.data_type == "s"


def test_contact_export_is_scoped(client, world, spread):
    login(client, world.manager_north)
    expected = set(
        Contact.objects.filter(client__in=[spread["own"], spread["queue"]]).values_list("pk", flat=True)
    )
    assert _csv_ids(client.get("/contacts/export/?format=csv")) == expected


def test_marketers_export_nothing(client, world, spread):
    login(client, world.marketer_north)
    assert client.get("/clients/export/?format=csv").status_code == 403
    assert client.get("/contacts/export/?format=xlsx").status_code == 403


def test_cards_of_other_teams_are_404(client, world, spread):
    login(client, world.manager_north)
    south = spread["south"]
    assert client.get(f"/clients/{south.pk}/").status_code == 404
    assert client.get(f"/clients/{south.pk}/edit/").status_code == 404
    assert client.get(f"/contacts/{south.contacts.get().pk}/").status_code == 404
    assert client.post(f"/clients/{south.pk}/archive/").status_code == 404


def test_a_colleagues_client_is_not_editable_by_a_manager(client, world, spread):
    login(client, world.manager_north)
    colleague = spread["colleague"]
    assert client.get(f"/clients/{colleague.pk}/").status_code == 404  # not even visible
    login(client, world.head_north)
    body = page(client, f"/clients/{colleague.pk}/")
    assert "Hand over" in body and "Edit" in body


def test_card_shows_completeness_status_contacts_branches_and_figures(client, world):
    hq = make_client(world.manager_north, name="Vector HQ", employees=100, country="RO", tax_id="18547290")
    make_client(world.manager_north, name="Vector Cluj", employees=20, headquarters=hq)
    make_client(world.manager_south, name="Vector Debrecen", employees=5, headquarters=hq)
    make_contact(hq, first_name="Ioana", last_name="Pop", role="decision_maker")
    login(client, world.manager_north)
    body = page(client, f"/clients/{hq.pk}/")
    assert "Card completeness" in body and "Missing:" in body
    assert "Ioana Pop" in body and "Decision maker" in body
    assert "Vector Cluj" in body and "Vector Debrecen" not in body
    assert "and 1 branch managed by another team" in body
    figures = re.search(r'id="family-figures">(.*?)</dl>', body, re.S).group(1)
    assert "<dd>2</dd>" in figures and "<dd>125</dd>" in figures
    assert "New" in body  # status badge


def test_create_form_shows_field_errors_and_then_creates(client, world):
    login(client, world.manager_north)
    assert client.get("/clients/new/").status_code == 200
    response = client.post(
        "/clients/new/", {"kind": "company", "name": "Alpha", "country": "RO", "tax_id": "18547291"}
    )
    assert response.status_code == 422
    assert "check digit" in response.content.decode()
    assert not Client.objects.exists()
    response = client.post(
        "/clients/new/",
        {"kind": "company", "name": "Alpha", "country": "RO", "tax_id": "RO18547290", "tags": "vip, key"},
    )
    created = Client.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/clients/{created.pk}/"
    assert created.owner == world.manager_north and created.tax_id == "18547290"
    assert sorted(t.name for t in created.tags.all()) == ["key", "vip"]


def test_duplicate_tax_id_is_shown_on_the_field(client, world):
    make_client(world.manager_north, name="First", country="RO", tax_id="18547290")
    login(client, world.manager_north)
    response = client.post(
        "/clients/new/", {"kind": "company", "name": "Second", "country": "RO", "tax_id": "18547290"}
    )
    assert response.status_code == 422
    assert "First (#" in response.content.decode()


def test_edit_form_saves_only_changes_and_links_an_hq(client, world):
    hq = make_client(world.manager_north, name="HQ")
    branch = make_client(world.manager_north, name="Branch", city="Cluj")
    login(client, world.manager_north)
    form = page(client, f"/clients/{branch.pk}/edit/")
    assert 'value="Cluj"' in form
    before = AuditEntry.objects.count()
    response = client.post(
        f"/clients/{branch.pk}/edit/",
        {"kind": "company", "name": "Branch", "city": "Cluj", "headquarters": hq.pk},
    )
    assert response.status_code == 302
    branch.refresh_from_db()
    assert branch.headquarters == hq
    changes = AuditEntry.objects.order_by("id")[before:]
    assert [list(e.changes) for e in changes] == [["headquarters"]]


def test_edit_rejects_an_hq_the_user_cannot_see(client, world):
    branch = make_client(world.manager_north)
    foreign = make_client(world.manager_south)
    login(client, world.manager_north)
    response = client.post(
        f"/clients/{branch.pk}/edit/", {"kind": "company", "name": "B", "headquarters": foreign.pk}
    )
    assert response.status_code == 422
    assert "Choose a client you can see" in response.content.decode()


def test_saved_views_belong_to_their_owner(client, world, spread):
    login(client, world.head_north)
    response = client.post(
        "/clients/views/save/", {"list": "clients", "name": "HU queue", "query": "?country=HU"}
    )
    assert response.status_code == 302
    assert SavedView.objects.get().user == world.head_north
    assert "HU queue" in page(client)
    login(client, world.manager_north2)
    assert "HU queue" not in page(client)
    login(client, world.head_north)
    client.post("/clients/views/delete/", {"list": "clients", "name": "HU queue"})
    assert not SavedView.objects.exists()


def test_presets(client, world, spread):
    login(client, world.manager_north)
    assert ids_on(page(client, f"{LIST}?view=mine")) == {spread["own"].pk}
    assert ids_on(page(client, f"{LIST}?view=incomplete")) == {spread["own"].pk, spread["queue"].pk}


def test_handover_pages(client, world, spread):
    login(client, world.manager_north)
    assert client.get(f"/clients/{spread['own'].pk}/handover/").status_code == 403
    assert (
        client.post(
            "/clients/handover/", {"ids": [spread["own"].pk], "to_user": world.manager_north2.pk}
        ).status_code
        == 403
    )
    assert Client.objects.get(pk=spread["own"].pk).owner == world.manager_north

    login(client, world.head_north)
    response = client.post(
        f"/clients/{spread['own'].pk}/handover/", {"to_user": world.manager_north2.pk, "note": "Be kind"}
    )
    assert response.status_code == 302
    summary_url = response["Location"]
    assert Client.objects.get(pk=spread["own"].pk).owner == world.manager_north2

    login(client, world.manager_north2)
    body = page(client, summary_url)
    assert "Own Alpha" in body and "Be kind" in body and "Own Person" in body
    login(client, world.manager_south)
    assert client.get(summary_url).status_code == 404


def test_bulk_handover_from_the_list(client, world, spread):
    login(client, world.head_north)
    ids = [spread["own"].pk, spread["queue"].pk]
    response = client.post(
        "/clients/handover/", {"ids": ids, "to_user": world.manager_north2.pk, "next": LIST}
    )
    assert response.status_code == 302 and "/clients/handovers/" in response["Location"]
    assert set(Client.objects.filter(owner=world.manager_north2)) == {
        spread["own"],
        spread["queue"],
        spread["colleague"],
    }
    # A client the head cannot see makes the whole action fail: nothing moves.
    response = client.post(
        "/clients/handover/",
        {"ids": [spread["colleague"].pk, spread["south"].pk], "to_user": world.head_north.pk},
    )
    assert response.status_code == 302
    assert Client.objects.get(pk=spread["colleague"].pk).owner == world.manager_north2


def test_portfolio_handover_page(client, world, spread):
    login(client, world.head_north)
    assert client.get("/clients/handover/").status_code == 200
    response = client.post(
        "/clients/handover/", {"from_user": world.manager_north.pk, "to_user": world.manager_north.pk}
    )
    assert response.status_code == 422
    response = client.post(
        "/clients/handover/", {"from_user": world.manager_north.pk, "to_user": world.manager_north2.pk}
    )
    assert response.status_code == 302
    assert Client.objects.get(pk=spread["own"].pk).owner == world.manager_north2


def test_contact_pages(client, world, spread):
    login(client, world.manager_north)
    own = spread["own"]
    response = client.post(
        f"/clients/{own.pk}/contacts/new/", {"first_name": "", "last_name": "", "email": "bad"}
    )
    assert response.status_code == 422 and "A contact needs a name" in response.content.decode()
    response = client.post(
        f"/clients/{own.pk}/contacts/new/",
        {"first_name": "Zoltán", "last_name": "Kiss", "role": "buyer", "email": "z@k.hu"},
    )
    assert response.status_code == 302
    contact = Contact.objects.get(last_name="Kiss")
    body = page(client, f"/contacts/{contact.pk}/")
    assert "Zoltán Kiss" in body and "Buyer" in body and "Own Alpha" in body
    # Move to the queue client; the history shows both.
    response = client.post(
        f"/contacts/{contact.pk}/move/", {"to_client": spread["queue"].pk, "position": "CEO"}
    )
    assert response.status_code == 302
    body = page(client, f"/contacts/{contact.pk}/")
    assert "Queue Gamma" in body and "Own Alpha" in body and "CEO" in body
    # Not to another team's client.
    response = client.post(f"/contacts/{contact.pk}/move/", {"to_client": spread["south"].pk})
    assert response.status_code == 422


def test_settings_page_is_for_admins(client, world):
    login(client, world.head_north)
    assert client.get("/clients/settings/").status_code == 403
    login(client, world.admin)
    assert client.get("/clients/settings/").status_code == 200
    response = client.post("/clients/settings/", {"card_norm_min": 9, "card_norm_target": 14})
    assert response.status_code == 302
    response = client.post("/clients/settings/", {"card_norm_min": 15, "card_norm_target": 14})
    assert response.status_code == 422


def test_lost_and_archive_buttons(client, world, spread):
    login(client, world.manager_north)
    own = spread["own"]
    client.post(f"/clients/{own.pk}/lost/", {"reason": "quality", "note": "late deliveries"})
    own.refresh_from_db()
    assert own.lost_reason == "quality"
    assert "Lost on" in page(client, f"/clients/{own.pk}/")
    client.post(f"/clients/{own.pk}/reactivate/")
    client.post(f"/clients/{own.pk}/archive/")
    own.refresh_from_db()
    assert own.lost_at is None and own.is_archived
    response = client.post(f"/clients/{own.pk}/delete/")
    assert response.status_code == 403  # only admins delete, and only empty clients


def test_branch_card_links_its_head_office_only_when_visible(client, world):
    hq = make_client(world.manager_south, name="Foreign HQ")
    branch = make_client(world.manager_north, name="Local Branch", headquarters=hq)
    own_hq = make_client(world.manager_north, name="Own HQ")
    own_branch = make_client(world.manager_north, name="Own Branch", headquarters=own_hq)
    login(client, world.manager_north)
    body = page(client, f"/clients/{branch.pk}/")
    assert "Foreign HQ" in body and f'href="/clients/{hq.pk}/"' not in body
    body = page(client, f"/clients/{own_branch.pk}/")
    assert f'href="/clients/{own_hq.pk}/"' in body


def test_private_person_card_and_head_create_form(client, world):
    person = make_client(world.manager_north, name="Ion Popescu", kind="person", city="Cluj")
    login(client, world.manager_north)
    body = page(client, f"/clients/{person.pk}/")
    assert "Private person" in body and "Legal details" not in body
    login(client, world.head_north)
    form = page(client, "/clients/new/")
    assert 'name="owner"' in form and world.manager_north2.get_full_name() in form


def test_card_renders_sections_of_other_capabilities(client, world):
    from clientela.clients.selectors import client_card_sections

    own = make_client(world.manager_north, name="With sections")
    login(client, world.manager_north)
    body = page(client, f"/clients/{own.pk}/")
    if "deals/_client_deals.html" in client_card_sections():
        assert 'id="client-deals"' in body


def test_autocomplete_can_leave_out_the_current_client(client, world):
    a = make_client(world.manager_north, name="Same Name A")
    b = make_client(world.manager_north, name="Same Name B")
    login(client, world.manager_north)
    items = client.get(f"/clients/autocomplete/?q=same&exclude={a.pk}").json()["items"]
    assert [i["id"] for i in items] == [b.pk]


def test_contact_search_and_htmx(client, world, spread):
    cyrillic = make_contact(spread["own"], first_name="Ольга", last_name="Волкова", phone="+40 755 123 987")
    login(client, world.manager_north)
    assert ids_on(page(client, f"{CONTACTS}?q=volkova"), "contacts") == {cyrillic.pk}
    assert ids_on(page(client, f"{CONTACTS}?q=123987"), "contacts") == {cyrillic.pk}
    assert ids_on(page(client, f"{CONTACTS}?q=alpha"), "contacts") == set(
        spread["own"].contacts.values_list("pk", flat=True)
    )
    assert ids_on(page(client, f"{CONTACTS}?q=south"), "contacts") == set()
    body = page(client, f"{CONTACTS}?q=volkova", **{"HX-Request": "true"})
    assert "<html" not in body and ids_on(body, "contacts") == {cyrillic.pk}


def test_card_history_lists_each_handover_once(client, world):
    own = make_client(world.manager_north, name="Once", tags=["vip"])
    client_handover(by=world.head_north, clients=[own], to_user=world.manager_north2)
    login(client, world.head_north)
    body = page(client, f"/clients/{own.pk}/")
    assert body.count("Handed over from") == 1
    assert "Tags changed" not in body  # the tags are part of the creation entry


def test_a_client_without_phone_or_email_is_reached_through_its_main_contact(client, world):
    company = make_client(world.manager_north, name="Reach SRL", email="office@reach.example")
    make_contact(company, first_name="Zoe", last_name="Assistant", phone="+40 721 000 111", role="gatekeeper")
    make_contact(
        company,
        first_name="Dan",
        last_name="Director",
        phone="+40 721 000 222",
        email="dan@reach.example",
        role="decision_maker",
    )
    login(client, world.manager_north)
    card = page(client, f"/clients/{company.pk}/")
    # The decision maker's phone, said whose it is; the client's own e-mail stays first.
    assert 'href="tel:+40721000222"' in card
    assert 'data-reach-via="phone"' in card and "via Dan Director" in card
    assert 'href="mailto:office@reach.example"' in card
    assert 'data-reach-via="email"' not in card
