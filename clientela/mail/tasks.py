"""Background jobs of the mail app: thin, idempotent, on the "email" queue."""

from __future__ import annotations

from clientela.core.tasks import durable_task


@durable_task(queue_name="email")
def send_message(message_id: int) -> None:
    """Send one queued e-mail (retried with backoff; a sent message is never sent again)."""
    from clientela.mail.services import message_deliver

    message_deliver(message_id=message_id)
