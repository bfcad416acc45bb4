"""Base model for business records and the audit log every app writes to."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class BusinessModel(models.Model):
    """Every business record knows when and by whom it was created and last changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    BULK = "bulk", _("Bulk change")
    EVENT = "event", _("Event")


class AuditEntry(models.Model):
    """Who changed which fields of which record, from what to what.

    `changes` maps a field name to `[old, new]` (JSON-safe values). A bulk operation (an import,
    a mass reassignment) is one entry with `object_id` empty and the details in `changes`.
    """

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    event = models.CharField(_("event"), max_length=64, blank=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(_("record"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"


class CompletedJob(models.Model):
    """Marks a background job's effect as done, so a retried or re-delivered job is a no-op.

    A job claims its key inside the same transaction as its database effects (`tasks.run_once`).
    """

    key = models.CharField(max_length=200, unique=True)
    done_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("completed job")
        verbose_name_plural = _("completed jobs")

    def __str__(self) -> str:
        return self.key


class Notification(models.Model):
    """Something a person should know (a lead assigned to them, a duplicate touched …)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    verb = models.CharField(_("event"), max_length=40)
    text = models.CharField(_("text"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "read_at", "-at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return self.text


class PeriodicRun(models.Model):
    """When each periodic job was last enqueued, shared by every scheduler process."""

    name = models.CharField(max_length=200, unique=True)
    last_enqueued_at = models.DateTimeField()

    class Meta:
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")

    def __str__(self) -> str:
        return self.name


class FailedJob(models.Model):
    """A background job that failed every retry: kept, visible in settings, retryable."""

    task_path = models.CharField(_("job"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    kwargs = models.JSONField(_("keyword arguments"), default=dict)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    error = models.TextField(_("error"))
    failed_at = models.DateTimeField(_("failed at"), auto_now_add=True, db_index=True)
    retried_at = models.DateTimeField(_("retried at"), null=True, blank=True)

    class Meta:
        verbose_name = _("failed job")
        verbose_name_plural = _("failed jobs")
        ordering = ["-failed_at"]

    def __str__(self) -> str:
        return self.task_path
