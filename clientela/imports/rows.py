"""What the clients and contacts imports share about a row: its outcome, the cell parsers
(lists, roles, languages, dates, revenue, tax ids), the field labels of the report, and how the
forms' cleaning is asked for a row.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.clients.choices import ContactRole, RevenueBand
from clientela.clients.identifiers import TAX_ID_RULES, InvalidIdentifier, normalise_tax_id
from clientela.core.errors import BusinessError
from clientela.core.normalise import fold
from clientela.imports.files import fields_for
from clientela.imports.models import ImportKind


class Outcome:
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


OUTCOME_LABELS = {
    Outcome.CREATED: gettext_lazy("created"),
    Outcome.UPDATED: gettext_lazy("updated"),
    Outcome.UNCHANGED: gettext_lazy("unchanged"),
    Outcome.REJECTED: gettext_lazy("rejected"),
}


# --- Cell values -------------------------------------------------------------------------------

_list_split = re.compile(r"\s*[;,\n]\s*")
_email_split = re.compile(r"[\s;,]+")
_ROLE_WORDS: dict[str, str] = {}
_REVENUE_LIMITS = [
    (1_000_000, RevenueBand.MICRO),
    (10_000_000, RevenueBand.SMALL),
    (50_000_000, RevenueBand.MEDIUM),
    (250_000_000, RevenueBand.LARGE),
]
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d", "%Y.%m.%d")


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", fold(text or ""))


def split_list(value: str, *, emails: bool = False) -> list[str]:
    """'a@x.ro; b@x.ro' → both; phones split on ; , and new lines (not on spaces)."""
    parts = (_email_split if emails else _list_split).split(value or "")
    return [p.strip() for p in parts if p.strip()]


def parse_role(value: str) -> str | None:
    """A contact role from its code or its name in any of our languages; None when unknown."""
    from django.utils import translation

    if not _ROLE_WORDS:
        for code, _label in settings.LANGUAGES:
            with translation.override(code):
                for role in ContactRole:
                    _ROLE_WORDS.setdefault(_key(str(role.label)), role.value)
        for role in ContactRole:
            _ROLE_WORDS[_key(role.value)] = role.value
    return _ROLE_WORDS.get(_key(value))


@functools.lru_cache(maxsize=512)
def parse_language(value: str) -> str | None:
    """A language code from 'ro', 'RO', 'Romanian', 'română' …; None when unknown."""
    from django.utils import translation

    key = _key(value)
    for code, label in settings.LANGUAGES:
        if key == code:
            return code
        names = {_key(str(label))}
        for other, _other_label in settings.LANGUAGES:
            with translation.override(other):
                names.add(_key(str(_(str(label)))))
        names |= _LANGUAGE_NAMES.get(code, set())
        if key in names:
            return code
    return None


_LANGUAGE_NAMES = {
    "en": {"english", "engleza", "английский", "angol", "inggeris"},
    "ro": {"romanian", "romana", "română", "румынский", "roman", "romania"},
    "ru": {"russian", "rusa", "русский", "orosz", "rusia"},
    "hu": {"hungarian", "maghiara", "венгерский", "magyar", "hungary"},
    "ms": {"malay", "malaeza", "малайский", "maláj", "melayu", "bahasamelayu"},
}
_LANGUAGE_NAMES = {code: {_key(n) for n in names} for code, names in _LANGUAGE_NAMES.items()}


def parse_date(value: str) -> dt.date | str:
    """A date from ISO or day-first spellings; the text itself when it is none of them."""
    text = value.strip()
    if "T" in text:
        text = text.split("T", 1)[0]
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return value


def parse_revenue(value: str) -> str | None:
    """A revenue band from its code or an amount (EUR or equivalent); None when neither."""
    text = value.strip()
    if text in RevenueBand.values:
        return text
    digits = re.sub(r"[\s,'’]", "", text)
    try:
        amount = float(digits)
    except ValueError:
        return None
    if amount < 0:
        return None
    for limit, band in _REVENUE_LIMITS:
        if amount < limit:
            return band.value
    return RevenueBand.ENTERPRISE.value


def _whole_number(value: str) -> str:
    """'1 200', '1,200' → '1200' for the employees count (other text is left to the form rules)."""
    compact = re.sub(r"[\s,.'’]", "", value)
    return compact if compact.isdigit() else value


def _tax_keys(raw: str, country: str) -> set[str]:
    """Every key a client's tax id may be stored under for this spelling: per the country's rule
    when the country is known, else per every country whose rule accepts it, plus the bare text."""
    keys = {re.sub(r"[^0-9A-Z]", "", raw.upper())}
    countries = [country] if country else list(TAX_ID_RULES)
    for code in countries:
        try:
            keys.add(normalise_tax_id(code, raw).key)
        except InvalidIdentifier:
            continue
    return {k for k in keys if k}


CLIENT_FIELD_LABELS = dict(fields_for(ImportKind.CLIENTS))
CONTACT_FIELD_LABELS = dict(fields_for(ImportKind.CONTACTS))
# How the report names a field in a row's reason (short, as on the client and contact forms).
_FORM_LABELS = {
    "email": gettext_lazy("E-mail"),
    "phone": gettext_lazy("Phone"),
    "other_emails": gettext_lazy("Other e-mails"),
    "other_phones": gettext_lazy("Other phones"),
    "revenue_band": gettext_lazy("Annual revenue (amount or band)"),
    "preferred_language": gettext_lazy("Preferred language"),
}


@dataclass
class RowResult:
    line: int
    outcome: str
    record_id: int | None = None
    reason: str = ""


@dataclass
class _DrySeen:
    """A dry run's client "created" in an earlier (rolled back) batch: which fields it has."""

    line: int
    filled: set[str]
    tags: set[str]
    contact: bool = False

    def match(self, line: int, values: dict[str, Any], tags: list[str]) -> RowResult:
        new = {k for k, v in values.items() if v not in ("", None, []) and k not in self.filled}
        new_tags = set(tags) - self.tags
        self.filled |= new
        self.tags |= new_tags
        if self.contact:
            reason = _("would match the contact of line %(line)s") % {"line": self.line}
        else:
            reason = _("would match the client of line %(line)s") % {"line": self.line}
        return RowResult(line, Outcome.UPDATED if new or new_tags else Outcome.UNCHANGED, reason=reason)


class RowRejected(Exception):
    """This row cannot be imported; the message is the report's reason."""


def _cleaned(
    clean: Callable[..., dict[str, Any]], data: dict[str, Any], problems: dict[str, list[str]], **kwargs: Any
) -> dict[str, Any]:
    """The form's cleaning of `data`, with the problems the import found itself reported beside
    the form's own (one BusinessError naming every bad field)."""
    try:
        values = clean(data, **kwargs)
    except BusinessError as exc:
        raise BusinessError(exc.message, errors={**problems, **exc.errors}, status=422) from exc
    if problems:
        raise BusinessError(_("Some fields are not valid."), errors=problems, status=422)
    return values


def _json_contains_ok() -> bool:
    """JSON `contains` lookups work on PostgreSQL and on SQLite with the JSON1 extension."""
    from django.db import connection

    return connection.features.supports_json_field_contains
