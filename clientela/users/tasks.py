"""Background jobs of the users app."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from clientela.core.tasks import durable_task
from clientela.users.models import User


@durable_task(queue_name="email")
def send_password_reset_email(*, user_id: int, site_url: str) -> bool:
    """Send a password-reset link. The token is made here, so no secret waits in the queue.

    Idempotent enough for retries: a second run sends a second valid link, which the person can
    ignore; a link stops working once the password changes.
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return False
    with translation.override(user.language):
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        link = site_url.rstrip("/") + reverse("users:password_reset_confirm", args=[uid, token])
        context = {"user": user, "link": link, "site_url": site_url}
        subject = render_to_string("users/email/password_reset_subject.txt", context).strip()
        body = render_to_string("users/email/password_reset.txt", context)
        html = render_to_string("users/email/password_reset.html", context)
    message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html, "text/html")
    message.send()
    return True
