"""A deal's timeline lines and the seeded catalogue are shown in the reader's language, whatever
language the writer had."""

from __future__ import annotations

from django.utils import translation

from clientela.conftest import login
from clientela.deals.board.services import deal_move
from clientela.deals.defaults import SEEDED_OBJECTIONS, SEEDED_PRODUCT_NAMES
from clientela.deals.demo import OBJECTIONS, PRODUCTS
from clientela.deals.models import DealEvent, Objection, Product
from clientela.deals.tests.conftest import stage


def test_the_deal_timeline_written_in_romanian_reads_in_russian(world, client, make_deal):
    with translation.override("ro"):
        deal = make_deal(title="Audit 2027")
        deal_move(by=world.manager_north, deal=deal, stage=stage("needs_identified"))
    created = DealEvent.objects.get(deal=deal, kind="created")
    moved = DealEvent.objects.get(deal=deal, kind="stage")
    with translation.override("ru"):
        assert created.shown_text == "Сделка создана в воронке Корпоративные продажи, этап «Первый контакт»."
        assert moved.shown_text.startswith("Первый контакт → Потребности выявлены после 0 дн.")
    world.manager_north.language = "ru"
    world.manager_north.save(update_fields=["language"])
    page = login(client, world.manager_north).get(f"/deals/{deal.pk}/").content.decode()
    assert "Сделка создана в воронке Корпоративные продажи" in page
    assert "Tranzacție" not in page and "Deal started" not in page


def test_seeded_products_and_objections_read_in_the_readers_language(db):
    product = Product.objects.create(code="TR-TECH", name="Technical translation", unit="page")
    typed = Product.objects.create(code="X-1", name="Traducere juridică", unit="page")
    objection = Objection.objects.create(
        text="It is too expensive.",
        answer="Compare the cost of one lost client with the price; offer a pilot at a smaller scope.",
    )
    with translation.override("ru"):
        assert str(product) == "Технический перевод"
        assert str(objection) == "Это слишком дорого."
        assert objection.shown_answer.startswith("Сравните цену")
        assert str(typed) == "Traducere juridică"  # an admin's name as written
    with translation.override("en"):
        assert str(product) == "Technical translation"


def test_every_seeded_name_has_its_translations():
    with translation.override(None):
        names = {str(name) for name in SEEDED_PRODUCT_NAMES}
        objections = {(str(text), str(answer)) for text, answer in SEEDED_OBJECTIONS}
    assert {name for _code, name, *_rest in PRODUCTS} <= names
    assert {(text, answer) for text, answer, _stages in OBJECTIONS} <= objections
