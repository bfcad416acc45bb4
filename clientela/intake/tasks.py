"""Background jobs of the intake app: file imports run in a worker, never in the request."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from clientela.intake.choices import ImportStatus
from clientela.intake.importer import import_run
from clientela.intake.models import ImportJob


@task()
def run_import(*, job_id: int, force: bool = False) -> dict[str, Any]:
    """Run (or resume after its last committed batch) one import job.

    Safe to deliver twice: a finished job is not run again, and a job another worker is
    running is refused (its batches check the run token before they commit).
    """
    job = ImportJob.objects.select_related("team", "owner").filter(pk=job_id).first()
    if job is None:
        return {"job": job_id, "status": "missing"}
    if job.status != ImportStatus.DONE:
        job = import_run(job=job, force=force)
    return {
        "job": job.pk,
        "status": job.status,
        "created": job.created_count,
        "merged": job.merged_count,
        "interests": job.interest_count,
        "rejected": job.rejected_count,
    }
