"""Helpers shared by the browser journeys: the interface's words in a reader's language, the
person a lead went to, and a journey's "still to fix" checks.

A journey is one long story; when one of its screens is wrong the story should still be told to
its end, so that a run shows every wrong screen at once. `Journey.check` records a failed
expectation (with a screenshot) and lets the journey go on; `Journey.done()` fails the test
with the whole list. Checks that the rest of the journey depends on are plain assertions.
"""

from __future__ import annotations

import functools
import random
import re
import string
from collections.abc import Callable
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = ("en", "ro", "ru", "hu", "ms")


# Not the module-level generator: the test runner seeds that one the same way before every test,
# so two journeys on the same server would mark their records alike.
_fresh = random.SystemRandom()


def unique_tag(length: int = 6) -> str:
    """A mark that makes a test's records its own on the shared server. Letters only: the lead
    search reads a term that is mostly digits as a phone number."""
    return "".join(_fresh.choices(string.ascii_lowercase, k=length))


def unique_digits(length: int = 4) -> str:
    return "".join(_fresh.choices(string.digits, k=length))


@functools.cache
def catalogue(language: str) -> dict[str, str]:
    """msgid → msgstr of the interface in `language` (English: every msgid to itself)."""
    if language == "en":
        return {}
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    return {entry.msgid: entry.msgstr for entry in po if entry.msgstr and not entry.obsolete}


def tr(language: str, msgid: str) -> str:
    """The interface's word for `msgid` as a reader of `language` sees it."""
    return catalogue(language).get(msgid, msgid)


def untranslated_words(language: str) -> dict[str, str]:
    """English texts of the interface that read differently in `language`: msgid → msgstr.
    Single characters, placeholders and texts with no letters are left out (they say nothing
    about a missing translation), and so are English texts that are also a translation in
    `language` (Romanian "Note" translates "Notes")."""
    words = {}
    translations = {msgstr.strip() for msgstr in catalogue(language).values()}
    for msgid, msgstr in catalogue(language).items():
        text = msgid.strip()
        if msgstr.strip() == text or text in translations or "%(" in text or "{" in text or len(text) < 2:
            continue
        if not re.search(r"[A-Za-z]{2}", text):
            continue
        words[text] = msgstr
    return words


def language_of(page) -> str:
    """The interface language the page is shown in (its <html lang>)."""
    return page.evaluate("document.documentElement.lang")


class Journey:
    """Collects the journey's failed expectations of behaviour still being fixed."""

    def __init__(self, page, screens):
        self.page = page
        self.screens = screens
        self.failures: list[str] = []

    def check(self, what: str, expectation: Callable[[], object]) -> bool:
        try:
            expectation()
        except AssertionError as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            self.failures.append(f"{what} ({first_line})")
            self.screens(self.page, f"failed-{what}", full_page=False)
            return False
        return True

    def done(self) -> None:
        assert not self.failures, "the journey met wrong screens:\n- " + "\n- ".join(self.failures)
