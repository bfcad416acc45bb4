"""What the lead import says and writes a million times, done once: search texts of names and
companies that repeat in a file, and translations of the same few sentences.
"""

from __future__ import annotations

from functools import lru_cache

from django.utils.translation import gettext as _
from unidecode import unidecode

from clientela.core.normalise import fold


@lru_cache(maxsize=200_000)
def _fold_cached(part: str) -> str:
    return fold(part)


@lru_cache(maxsize=200_000)
def _latin_cached(folded: str) -> str:
    return unidecode(folded).lower()


def _fold(part: str) -> str:
    # NFKD leaves ASCII alone and casefold is lower() there: most e-mails skip the work.
    return part.lower() if part.isascii() else _fold_cached(part)


def fast_search_text(*parts: str) -> str:
    """Same as `core.normalise.search_text`, with names and companies (which repeat in a
    file) folded and transliterated once. `unidecode` maps character by character, so the
    transliteration of the joined text is the join of the parts' transliterations."""
    folded_parts = [_fold(p) for p in parts if p]
    folded = " ".join(folded_parts)
    if folded.isascii():
        latin = folded.strip()
    else:
        latin = " ".join(fp if fp.isascii() else _latin_cached(fp) for fp in folded_parts).strip()
    return folded if latin == folded else f"{folded} {latin}"


class Translations:
    """`gettext` once per message for a run (the language does not change during one): the
    importer says the same few sentences a million times."""

    def __init__(self) -> None:
        self._cache: dict[str, str] = {}

    def __call__(self, message: str) -> str:
        try:
            return self._cache[message]
        except KeyError:
            translated = self._cache[message] = _(message)
            return translated
