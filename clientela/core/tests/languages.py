"""Helpers for tests that check a text reaches its reader in the reader's language."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from clientela.core.models import Notification


def romanian(*users: Any) -> None:
    """These users read the app in Romanian."""
    for user in users:
        user.language = "ro"
        user.save(update_fields=["language"])


def in_ro(msgid: str, params: dict[str, Any] | None = None) -> str:
    """The text as a Romanian reader should get it — and proof it is not the English one."""
    with translation.override("ro"):
        expected = _(msgid) % params if params is not None else _(msgid)
    with translation.override("en"):
        english = _(msgid) % params if params is not None else _(msgid)
    assert expected != english, "the Romanian catalogue translates this text"
    return expected


def text(user: Any, verb: str) -> str:
    """The latest notification of this kind the user got."""
    return Notification.objects.filter(user=user, verb=verb).latest("id").text
