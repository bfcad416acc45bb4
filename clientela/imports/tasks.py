"""Background jobs of file imports: an import runs in a worker, never in the request.

The queue stores a job as the path of its task function (`clientela.imports.tasks.run_import`);
jobs queued before imports became their own app name the old paths, which `intake.tasks` and
`intake.import_clients` still answer to.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from clientela.imports.choices import ImportStatus
from clientela.imports.leads import import_run
from clientela.imports.models import ImportJob
from clientela.imports.records import records_import_run, summary


@task()
def run_import(*, job_id: int, force: bool = False) -> dict[str, Any]:
    """Run (or resume after its last committed batch) one leads import job.

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


@task()
def run_records_import(*, job_id: int, force: bool = False) -> dict[str, Any]:
    """Run (or resume after its last committed batch) one clients or contacts import.

    Safe to deliver twice: a finished job is not run again, and a job another worker runs is
    refused (its batches check the run token before they commit).
    """
    job = ImportJob.objects.select_related("team", "owner").filter(pk=job_id).first()
    if job is None:
        return {"job": job_id, "status": "missing"}
    if job.status != ImportStatus.DONE:
        job = records_import_run(job=job, force=force)
    return {"job": job.pk, "status": job.status, "summary": summary(job)}
