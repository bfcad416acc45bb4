"""The demo data: deals on all three pipelines with proposals, payments and history."""

from __future__ import annotations

import pytest

from clientela.core.demo import DEMO_PASSWORD
from clientela.deals import demo
from clientela.deals.choices import DealStatus, PaymentKind
from clientela.deals.models import Deal, DealStageChange, Document, DocumentVersion, Payment
from clientela.deals.selectors import overdue_receivables
from clientela.users import demo as users_demo

pytestmark = pytest.mark.urls("clientela.deals.tests.urls")


@pytest.mark.django_db
def test_demo_has_deals_on_every_pipeline_with_proposals_and_payments():
    context = {"password": DEMO_PASSWORD, "deal_count": 24}
    users_demo.load(context)
    demo.load(context)
    deals = Deal.objects.all()
    assert set(deals.values_list("pipeline__code", flat=True)) == {"corporate", "direct", "retail"}
    assert deals.filter(status=DealStatus.WON).exists()
    assert deals.filter(status=DealStatus.LOST, lost_reason__isnull=False).exists()
    assert deals.filter(status=DealStatus.OPEN).exists()
    assert DealStageChange.objects.filter(seconds_in_previous__gt=0).exists()
    assert Document.objects.filter(kind="proposal").exists()
    assert DocumentVersion.objects.filter(sent_at__isnull=False).exists()
    assert all(version.pdf for version in DocumentVersion.objects.all()[:5])
    assert Payment.objects.filter(kind=PaymentKind.EXPECTED).exists()
    assert Payment.objects.filter(kind=PaymentKind.RECEIVED).exists()
    assert overdue_receivables(context["users"]["admin"]).exists()
    for deal in deals.filter(status=DealStatus.WON, pipeline__code="corporate"):
        expected = sum(p.amount for p in deal.payments.filter(kind=PaymentKind.EXPECTED))
        assert expected == deal.amount
