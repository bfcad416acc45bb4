"""The reader's language: texts the system writes for a person (notifications, reminders,
timeline reasons, task titles) are built in that person's language, never in the language the
process happens to run in. Every app writes such texts, so the rule lives here, at the bottom."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation


def language_of(user: Any) -> str:
    """The language `user` reads (the site's default when they have none, or no user)."""
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def format_language_of(user: Any) -> str:
    """The language code whose date formats `user` reads: their language, where English readers
    of a team in the United States read American dates ("en-us") and every other English reader
    the European way (the formats of "en", en-GB style)."""
    language = language_of(user)
    team = getattr(user, "team", None) if user is not None else None
    if language == "en" and (getattr(team, "default_country", "") or "").upper() == "US":
        return "en-us"
    return language


def in_language_of(user: Any) -> translation.override:
    """Write a text for `user` in their language (the site's default when they have none)."""
    return translation.override(language_of(user))


def reader_language(owner: Any, team: Any) -> str:
    """Who reads why a record went where: its owner, else the team's head (the queue), else the
    site's default — in their language."""
    reader = owner if owner is not None else (team.head if team is not None and team.head_id else None)
    return language_of(reader)
