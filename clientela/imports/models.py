"""File imports: the job of one uploaded file, its per-row report in batches, and which record
an id from another system became.

The tables keep the names they had when imports were part of `intake` (`intake_importjob`, …):
the app moved, the data did not.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientela.core.models import BusinessModel
from clientela.core.permissions import ScopedQuerySet
from clientela.imports.choices import ImportKind, ImportStatus
from clientela.leads.choices import Source


class ImportJob(BusinessModel):
    """One uploaded file imported as leads, clients or contacts: progress, counts, and the
    per-row report. For clients and contacts `merged_count` counts rows matched to an existing
    record (updated or unchanged)."""

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices, default=ImportKind.LEADS)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    default_country = models.CharField(_("default country"), max_length=2, blank=True)
    default_source = models.CharField(
        _("default source"), max_length=32, choices=Source.choices, default=Source.IMPORT
    )
    team = models.ForeignKey(
        "users.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    merged_count = models.PositiveIntegerField(_("merged"), default=0)
    interest_count = models.PositiveIntegerField(_("interests"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    # Clients and contacts: rows that matched an existing record and had nothing new for it.
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    report = models.FileField(_("report"), upload_to="imports/reports/%Y/%m/", blank=True)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # What the file turned out to be, so the mapping page and the report can say it.
    file_format = models.CharField(_("format"), max_length=8, blank=True)
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    default_campaign = models.CharField(_("default campaign"), max_length=100, blank=True)
    # Who runs the job right now (a random token per run): a second runner of the same job stops
    # at its first batch instead of importing the rows twice.
    run_token = models.CharField(max_length=32, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    # Set when the mapping is confirmed and the job handed to a worker (an upload waits until then).
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    # The one audit entry of the import, kept up to date batch by batch.
    audit_entry = models.ForeignKey(
        "core.AuditEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    objects = ScopedQuerySet.as_manager()
    scope_marketer_sees_team = True

    class Meta:
        db_table = "intake_importjob"  # the table of the app that first held it, kept as it is
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == ImportStatus.DONE else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))


class ImportReportChunk(models.Model):
    """The per-row report lines of one committed batch (CSV text, no header).

    Written in the batch's transaction, so the report always matches what was imported; the
    chunks are joined into `ImportJob.report` when the import finishes.
    """

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="report_chunks")
    seq = models.PositiveIntegerField()
    first_line = models.PositiveIntegerField()
    last_line = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        db_table = "intake_importreportchunk"
        verbose_name = _("import report part")
        verbose_name_plural = _("import report parts")
        ordering = ["job", "seq"]
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="import_report_chunk_uniq")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.seq}"


class ExternalRef(models.Model):
    """Which record an id from another system (a file's `external_id` column) became.

    A clients file and the contacts file exported beside it share the company's id: importing
    the clients records it here, so the contacts find their company by it, and importing the
    same file again matches the records instead of creating them twice.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    external_id = models.CharField(_("external id"), max_length=100)
    object_id = models.PositiveBigIntegerField(_("record"))
    job = models.ForeignKey(
        ImportJob,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("import"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "intake_externalref"
        verbose_name = _("external id")
        verbose_name_plural = _("external ids")
        constraints = [
            models.UniqueConstraint(fields=["kind", "external_id"], name="external_ref_unique"),
        ]
        indexes = [models.Index(fields=["kind", "object_id"], name="external_ref_object_idx")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.external_id} → #{self.object_id}"
