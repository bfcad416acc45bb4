"""The analytics app's models, each kept in the module of its part."""

from clientela.analytics.digest_models import DigestSubscription  # noqa: F401
