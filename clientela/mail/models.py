"""E-mail threads, messages and attachments.

A `Thread` is one conversation with a counterpart, linked to the record it is about (lead,
client, contact, deal) and owned like that record (owner + team), so the usual scoping rules
decide who may read it. A `Message` is one e-mail in or out; outbound ones carry their sending
state (queued → sending → sent, or failed with the server's error). The raw MIME of every
message is kept as a file in the default storage, attachments likewise.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientela.core.permissions import ScopedQuerySet


class Direction(models.TextChoices):
    IN = "in", _("Received")
    OUT = "out", _("Sent")


class LastWord(models.TextChoices):
    US = "us", _("Us")
    THEM = "them", _("Them")


class SendStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Thread(models.Model):
    """One conversation: the messages sharing a Message-ID chain (or subject + counterpart)."""

    subject = models.CharField(_("subject"), max_length=300, blank=True)
    subject_key = models.CharField(max_length=300, blank=True, db_index=True, editable=False)
    counterpart = models.CharField(
        _("counterpart"), max_length=254, blank=True, db_index=True, help_text=_("Their e-mail address.")
    )
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mail_threads",
    )
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mail_threads",
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mail_threads",
    )
    deal = models.ForeignKey(
        "deals.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mail_threads",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mail_threads",
    )
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True, db_index=True)
    last_word = models.CharField(_("last word"), max_length=8, choices=LastWord.choices, blank=True)
    message_count = models.PositiveIntegerField(_("messages"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("e-mail thread")
        verbose_name_plural = _("e-mail threads")
        ordering = ["-last_message_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "last_word", "-last_message_at"], name="mail_thread_inbox_idx"),
            models.Index(fields=["subject_key", "counterpart"], name="mail_thread_subject_idx"),
        ]

    def __str__(self) -> str:
        return self.subject or str(_("(no subject)"))

    @property
    def clock_ref(self) -> str:
        return f"mail.thread:{self.pk}"

    @property
    def record(self) -> models.Model | None:
        return self.deal or self.contact or self.client or self.lead


def raw_upload_to(instance: Message, filename: str) -> str:
    return f"mail/raw/{filename}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    return f"mail/attachments/{filename}"


class Message(models.Model):
    thread = models.ForeignKey(
        Thread, verbose_name=_("thread"), on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=255, blank=True)
    references = models.JSONField(_("References"), default=list, blank=True)
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    from_name = models.CharField(_("sender name"), max_length=200, blank=True)
    to = models.JSONField(_("to"), default=list, blank=True)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML (sanitised)"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=SendStatus.choices, db_index=True)
    last_error = models.TextField(_("last error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sending_since = models.DateTimeField(null=True, blank=True, editable=False)
    source = models.CharField(_("source"), max_length=40, blank=True)
    raw = models.FileField(_("raw message"), upload_to=raw_upload_to, blank=True, max_length=300)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("e-mail message")
        verbose_name_plural = _("e-mail messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread", "created_at"], name="mail_message_thread_idx")]

    def __str__(self) -> str:
        return self.subject or self.message_id

    @property
    def at(self):  # type: ignore[no-untyped-def]
        return self.sent_at or self.received_at or self.created_at


class Attachment(models.Model):
    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=120, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    file = models.FileField(_("file"), upload_to=attachment_upload_to, blank=True, max_length=300)
    content_id = models.CharField(max_length=255, blank=True)
    refused_reason = models.CharField(_("not stored because"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class Signature(models.Model):
    """What is appended to every e-mail a user sends."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="mail_signature",
    )
    name = models.CharField(_("name"), max_length=120, blank=True)
    position = models.CharField(_("position"), max_length=120, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    website = models.URLField(_("website"), blank=True)
    phones = models.CharField(
        _("phones"), max_length=200, blank=True, help_text=_("Separate several with commas.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")

    def __str__(self) -> str:
        return self.name or str(self.user)

    def lines(self) -> list[str]:
        phones = [p.strip() for p in self.phones.split(",") if p.strip()]
        return [line for line in (self.name, self.position, self.company, *phones, self.website) if line]

    @property
    def is_empty(self) -> bool:
        return not self.lines()
