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
    # False: the person switched this event off in the app; kept only for their e-mail digest.
    in_app = models.BooleanField(_("shown in the app"), default=True)
    digested_at = models.DateTimeField(_("sent in a digest at"), null=True, blank=True)

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


class DigestFrequency(models.TextChoices):
    OFF = "off", _("No e-mail")
    DAILY = "daily", _("Once a day")
    HOURLY = "hourly", _("Every hour")


class NotificationSettings(models.Model):
    """A person's notification choices: how often unread notifications are e-mailed as a digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_settings",
    )
    digest = models.CharField(
        _("e-mail digest"), max_length=8, choices=DigestFrequency.choices, default=DigestFrequency.OFF
    )
    last_digest_at = models.DateTimeField(_("last digest sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return str(self.user)


class NotificationPreference(models.Model):
    """One event (`verb`) a person switched off in the app or took out of (or into) the digest.

    Without a row an event shows in the app and goes into the digest (when the person has one).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    verb = models.CharField(_("event"), max_length=40)
    in_app = models.BooleanField(_("in the app"), default=True)
    in_digest = models.BooleanField(_("in the e-mail digest"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "verb"], name="notification_pref_uniq")]

    def __str__(self) -> str:
        return f"{self.user}: {self.verb}"


class TaskOutbox(models.Model):
    """A job that could not reach the queue server (Redis down), kept until it can be delivered.

    `id` is the job id the worker will see; the drain delivers rows in order, each once.
    """

    seq = models.BigAutoField(primary_key=True)
    job_id = models.CharField(max_length=64, unique=True)
    task_path = models.CharField(_("job"), max_length=200)
    queue_name = models.CharField(_("queue"), max_length=32)
    priority = models.IntegerField(default=0)
    run_after = models.DateTimeField(_("run after"), null=True, blank=True)
    args = models.JSONField(_("arguments"), default=list)
    kwargs = models.JSONField(_("keyword arguments"), default=dict)
    created_at = models.DateTimeField(_("stored at"), auto_now_add=True)
    attempts = models.PositiveIntegerField(_("delivery attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("job waiting for the queue")
        verbose_name_plural = _("jobs waiting for the queue")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{self.task_path} ({self.job_id})"
