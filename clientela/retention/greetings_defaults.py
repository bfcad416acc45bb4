"""The holidays Clientela greets out of the box: a few common ones in Romania, Hungary, Russia and
Malaysia for 2026–2027 (admins and heads add, change and switch off holidays on the settings
page). Built-in holidays are named and wished by code, in the reader's or recipient's language."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

# code → (name, wish)
HOLIDAY_NAMES = {
    "new_year": (_("New Year"), _("Happy New Year!")),
    "christmas": (_("Christmas"), _("Merry Christmas!")),
    "easter": (_("Easter"), _("Happy Easter!")),
    "orthodox_easter": (_("Orthodox Easter"), _("Happy Easter!")),
    "national_day": (_("National Day"), _("Happy National Day!")),
    "womens_day": (_("International Women's Day"), _("Happy International Women's Day!")),
    "chinese_new_year": (_("Chinese New Year"), _("Happy Chinese New Year!")),
    "hari_raya": (_("Hari Raya Aidilfitri"), _("Selamat Hari Raya Aidilfitri!")),
}

BIRTHDAY_WISH = _("Happy birthday!")


def _each_year(code: str, country: str, month: int, day: int) -> list[tuple[str, str, dt.date]]:
    return [(code, country, dt.date(year, month, day)) for year in (2026, 2027)]


DEFAULT_HOLIDAYS: list[tuple[str, str, dt.date]] = [
    *_each_year("new_year", "RO", 1, 1),
    ("orthodox_easter", "RO", dt.date(2026, 4, 12)),
    ("orthodox_easter", "RO", dt.date(2027, 5, 2)),
    *_each_year("national_day", "RO", 12, 1),
    *_each_year("christmas", "RO", 12, 25),
    *_each_year("new_year", "HU", 1, 1),
    ("easter", "HU", dt.date(2026, 4, 5)),
    ("easter", "HU", dt.date(2027, 3, 28)),
    *_each_year("national_day", "HU", 8, 20),
    *_each_year("christmas", "HU", 12, 25),
    *_each_year("new_year", "RU", 1, 1),
    *_each_year("womens_day", "RU", 3, 8),
    ("orthodox_easter", "RU", dt.date(2026, 4, 12)),
    ("orthodox_easter", "RU", dt.date(2027, 5, 2)),
    *_each_year("new_year", "MY", 1, 1),
    ("chinese_new_year", "MY", dt.date(2026, 2, 17)),
    ("chinese_new_year", "MY", dt.date(2027, 2, 6)),
    ("hari_raya", "MY", dt.date(2026, 3, 21)),
    ("hari_raya", "MY", dt.date(2027, 3, 10)),
    *_each_year("national_day", "MY", 8, 31),
]

# English names, stored in `GreetingHoliday.name` (the built-ins are shown by their code).
ENGLISH_NAMES = {
    "new_year": "New Year",
    "christmas": "Christmas",
    "easter": "Easter",
    "orthodox_easter": "Orthodox Easter",
    "national_day": "National Day",
    "womens_day": "International Women's Day",
    "chinese_new_year": "Chinese New Year",
    "hari_raya": "Hari Raya Aidilfitri",
}


def ensure_default_holidays(model: type | None = None) -> int:
    """Create the built-in holidays that are missing (a data migration and tests call it)."""
    if model is None:
        from clientela.retention.greetings_models import GreetingHoliday

        model = GreetingHoliday
    created = 0
    for code, country, date in DEFAULT_HOLIDAYS:
        _row, made = model.objects.get_or_create(  # type: ignore[attr-defined]
            country=country, date=date, name=ENGLISH_NAMES[code], defaults={"code": code}
        )
        created += int(made)
    return created
