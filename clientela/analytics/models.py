"""The analytics app's records; each part keeps its models in its own module."""

from clientela.analytics.digest_models import DigestSubscription
from clientela.analytics.marketing_models import CampaignSpend, MarketingPlan
from clientela.analytics.plans_models import ActivityPlan, ClientForecast, SalesPlan

__all__ = [
    "ActivityPlan",
    "CampaignSpend",
    "ClientForecast",
    "DigestSubscription",
    "MarketingPlan",
    "SalesPlan",
]
