"""Exchange rates: the board's column totals in the base currency (by hand), a currency without
a rate shown apart, only admins record rates (page, API), and the bulk load's field-level errors."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clientela.conftest import login
from clientela.core.audit import history_for
from clientela.core.errors import BusinessError, PermissionDeniedError
from clientela.deals.models import ExchangeRate
from clientela.deals.rates import services
from clientela.deals.rates.selectors import rates_on
from clientela.deals.tests.conftest import pipeline, stage

pytestmark = pytest.mark.urls("clientela.deals.tests.urls")

API = "/api/v1/exchange-rates"


@pytest.fixture(autouse=True)
def _base(settings):
    settings.BASE_CURRENCY = "EUR"


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def column_of(client, stage_code: str) -> str:
    page = client.get(f"{reverse('deals:board')}?pipeline={pipeline().pk}").content.decode()
    column = page.split(f'data-testid="column-{stage(stage_code).pk}"')[1].split("</section>")[0]
    return html.unescape(column).replace("\u00a0", " ")


def total_of(column: str) -> str:
    return re.search(r'class="kanban-total-value"[^>]*>([^<]*)<', column).group(1)


def test_column_total_is_in_the_base_currency_with_the_latest_rate_on_or_before_today(
    client, world, make_deal
):
    services.exchange_rates_upsert(
        by=world.admin,
        rows=[
            {"currency": "RON", "rate": "0.1", "valid_from": days(-40)},  # superseded
            {"currency": "RON", "rate": "0.2", "valid_from": days(-10)},  # in force
            {"currency": "RON", "rate": "0.5", "valid_from": days(1)},  # not yet
            {"currency": "HUF", "rate": "0.0025", "valid_from": days(0)},
        ],
    )
    make_deal(amount="1000")
    make_deal(amount="250.50")
    make_deal(amount="400000", currency="HUF")
    make_deal(amount="99", currency="EUR")
    login(client, world.manager_north)
    column = column_of(client, "first_contact")
    # By hand: 1 250.50 RON × 0.2 = 250.10; 400 000 HUF × 0.0025 = 1 000.00; 99.00 EUR as is.
    assert total_of(column) == "1 349.10 EUR"
    assert "1 250.50 RON × 0.2 = 250.10 EUR" in column
    assert "400 000.00 HUF × 0.0025 = 1 000.00 EUR" in column
    assert "99.00 EUR" in column
    assert "no rate" not in column


def test_a_currency_without_a_rate_is_shown_apart_not_added(client, world, make_deal):
    services.exchange_rate_set(by=world.admin, currency="RON", rate="0.2", valid_from=days(-1))
    make_deal(amount="100")
    make_deal(amount="500", currency="USD")
    login(client, world.manager_north)
    column = column_of(client, "first_contact")
    assert total_of(column) == "20.00 EUR"
    assert 'data-testid="column-total-missing"' in column
    assert "no rate for USD: 500.00 USD" in column
    # A rate recorded only from tomorrow does not count today either.
    services.exchange_rate_set(by=world.admin, currency="USD", rate="0.9", valid_from=days(1))
    assert "no rate for USD" in column_of(client, "first_contact")


def test_only_admins_record_rates_and_every_change_is_audited(client, world):
    for user in (world.head_north, world.manager_north, world.marketer_north):
        with pytest.raises(PermissionDeniedError):
            services.exchange_rate_set(by=user, currency="RON", rate="0.2", valid_from=days(0))
    url = reverse("deals:exchange_rates")
    login(client, world.manager_north)
    assert client.get(url).status_code == 403
    login(client, world.head_north)
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="rate-form"' not in page.content.decode()
    assert client.post(url, {"currency": "RON", "rate": "0.2", "valid_from": days(0)}).status_code == 403
    assert not ExchangeRate.objects.exists()

    login(client, world.admin)
    assert 'data-testid="rate-form"' in client.get(url).content.decode()
    response = client.post(url, {"currency": "ron", "rate": "0.2011", "valid_from": days(0).isoformat()})
    assert response.status_code == 302
    rate = ExchangeRate.objects.get()
    assert (rate.currency, rate.base, rate.rate, rate.updated_by) == (
        "RON",
        "EUR",
        Decimal("0.2011"),
        world.admin,
    )
    # The same currency and day again corrects the figure; both writes are in the audit log.
    client.post(url, {"currency": "RON", "rate": "0.2013", "valid_from": days(0).isoformat()})
    rate.refresh_from_db()
    assert rate.rate == Decimal("0.2013") and ExchangeRate.objects.count() == 1
    assert [entry.action for entry in history_for(rate)] == ["update", "create"]
    # A bad value is shown next to its field.
    response = client.post(url, {"currency": "RON", "rate": "-1", "valid_from": days(0).isoformat()})
    assert response.status_code == 422 and "Must be more than zero." in response.content.decode()


def test_rates_of_another_base_currency_are_not_used(client, world, make_deal, settings):
    services.exchange_rate_set(by=world.admin, currency="RON", rate="0.2", valid_from=days(-1))
    settings.BASE_CURRENCY = "USD"
    assert rates_on() == {}
    make_deal(amount="100")
    login(client, world.manager_north)
    assert "no rate for RON: 100.00 RON" in column_of(client, "first_contact")


def test_the_api_lists_rates_and_only_admins_load_them(client, world, api_token):
    rows = [
        {"currency": "RON", "rate": "0.2011", "valid_from": days(-1).isoformat()},
        {"currency": "huf", "rate": 1, "valid_from": days(-1).isoformat()},
    ]
    head = api_token(world.head_north)
    response = client.post(API, {"rates": rows}, content_type="application/json", headers=head)
    assert response.status_code == 403 and not ExchangeRate.objects.exists()

    admin = api_token(world.admin)
    response = client.post(API, {"rates": rows}, content_type="application/json", headers=admin)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["base"] == "EUR"
    assert {(row["currency"], row["rate"], row["entered_by"]) for row in body["saved"]} == {
        ("RON", "0.2011000000", world.admin.username),
        ("HUF", "1.0000000000", world.admin.username),
    }
    rows[0]["rate"] = "0.2020"
    client.post(API, {"rates": rows}, content_type="application/json", headers=admin)
    assert ExchangeRate.objects.get(currency="RON").rate == Decimal("0.2020")

    listed = client.get(f"{API}?currency=RON", headers=head).json()
    assert [row["rate"] for row in listed["items"]] == ["0.2020000000"]
    assert client.get(f"{API}?on={days(-2).isoformat()}", headers=head).json()["items"] == []


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"currency": "EURO", "rate": "1", "valid_from": "2026-01-05"}, "rates.0.currency", "ISO 4217"),
        ({"currency": "XXX", "rate": "1", "valid_from": "2026-01-05"}, "rates.0.currency", "ISO 4217"),
        ({"currency": "EUR", "rate": "1", "valid_from": "2026-01-05"}, "rates.0.currency", "base currency"),
        ({"currency": "RON", "rate": "9" * 400, "valid_from": "2026-01-05"}, "rates.0.rate", "too large"),
        ({"currency": "RON", "rate": 10**60, "valid_from": "2026-01-05"}, "rates.0.rate", "too large"),
        ({"currency": "RON", "rate": "1e999999", "valid_from": "2026-01-05"}, "rates.0.rate", "too large"),
        ({"currency": "RON", "rate": 0.2, "valid_from": "2026-01-05"}, "rates.0.rate", "string"),
        ({"currency": "RON", "rate": "0", "valid_from": "2026-01-05"}, "rates.0.rate", "more than zero"),
        ({"currency": "RON", "rate": "NaN", "valid_from": "2026-01-05"}, "rates.0.rate", "number"),
        ({"currency": "RON", "rate": "0.00000000001", "valid_from": "2026-01-05"}, "rates.0.rate", "decimal"),
        ({"currency": "RON", "rate": "1", "valid_from": "yesterday"}, "rates.0.valid_from", "YYYY-MM-DD"),
        ({"currency": "RON", "rate": "1", "valid_from": "9999-12-31"}, "rates.0.valid_from", "1990"),
        ({"currency": ["RON"], "rate": {"x": 1}, "valid_from": 5}, "rates.0.currency", "ISO 4217"),
    ],
)
def test_the_bulk_load_answers_field_errors_and_saves_nothing(client, world, api_token, row, field, message):
    good = {"currency": "HUF", "rate": "0.0025", "valid_from": "2026-01-05"}
    response = client.post(
        API, {"rates": [row, good]}, content_type="application/json", headers=api_token(world.admin)
    )
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert field in errors and message in " ".join(errors[field]), errors
    assert not ExchangeRate.objects.exists()


def test_the_bulk_load_refuses_duplicates_and_empty_loads(world):
    row = {"currency": "RON", "rate": "0.2", "valid_from": "2026-01-05"}
    with pytest.raises(BusinessError) as refused:
        services.exchange_rates_upsert(by=world.admin, rows=[row, dict(row, rate="0.3")])
    assert "rates.1.valid_from" in refused.value.errors
    with pytest.raises(BusinessError) as refused:
        services.exchange_rates_upsert(by=world.admin, rows=[])
    assert "rates" in refused.value.errors
