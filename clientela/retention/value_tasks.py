"""The nightly value classification (`retention.value.value_classify`) as a periodic sweep."""

from __future__ import annotations

from django.utils import timezone

from clientela.core.tasks import durable_task

# The sweep runs hourly and classifies once a day, from this local hour on (the quiet hours).
NIGHT_HOUR = 2


@durable_task()
def classify_clients_nightly() -> bool:
    """Classify the clients unless that was already done today (local date). Returns whether it
    ran. A run is idempotent: it recomputes the same figures, and alerts fire once a month."""
    from clientela.retention import value

    now = timezone.localtime()
    last = value.latest_run()
    if last is not None and timezone.localtime(last.at).date() >= now.date():
        return False
    if now.hour < NIGHT_HOUR and last is not None:
        return False
    value.value_classify(by=None)
    return True
