"""Jobs used by the background-work tests: one that fails a given number of times first."""

from __future__ import annotations

from clientela.core.models import CompletedJob
from clientela.core.tasks import durable_task


@durable_task(retries=3)
def flaky(*, key: str, failures: int) -> str:
    attempts = CompletedJob.objects.filter(key__startswith=f"{key}:attempt").count() + 1
    CompletedJob.objects.create(key=f"{key}:attempt{attempts}")
    if attempts <= failures:
        raise RuntimeError(f"temporary failure {attempts}")
    CompletedJob.objects.create(key=f"{key}:done")
    return "ok"


@durable_task(retries=1)
def record_once(*, key: str) -> bool:
    """An idempotent job: its effect (one row per run of the effect) is guarded by `run_once`."""
    from clientela.core.tasks import run_once

    def effect() -> None:
        runs = CompletedJob.objects.filter(key__startswith=f"effect-count:{key}:").count() + 1
        CompletedJob.objects.create(key=f"effect-count:{key}:{runs}")

    return run_once(f"effect:{key}", effect)
