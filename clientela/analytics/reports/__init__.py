"""The reports, one module each; importing this package registers them all (engine.REPORTS)."""

from clientela.analytics.reports import activity, marketing  # noqa: F401
