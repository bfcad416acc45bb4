"""The analytics app's records, one module per topic (imported here so Django finds them)."""

from clientela.analytics.marketing_models import CampaignSpend, MarketingPlan

__all__ = ["CampaignSpend", "MarketingPlan"]
