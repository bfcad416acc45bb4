"""(Over 600 lines: two thirds are the header-alias tables of the five languages, kept beside
the mapping that reads them.)

Reading import files (leads, clients, contacts): CSV in whatever encoding and delimiter it
came in, or XLSX; and the column mapping with suggestions from header names in several languages.

A table is read as a stream of `(line, cells)`: `line` is the line (CSV) or row (XLSX) number a
person sees when they open the file, so the per-row report can point at it. Rows whose cells
are all empty are not data rows and are skipped.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.errors import BusinessError
from clientela.core.normalise import fold

# The fields a column can be mapped to: the intake pipeline's `RawLead` fields.
IMPORT_FIELDS: list[tuple[str, Any]] = [
    ("name", gettext_lazy("Full name")),
    ("first_name", gettext_lazy("First name")),
    ("last_name", gettext_lazy("Last name")),
    ("email", gettext_lazy("E-mail")),
    ("phone", gettext_lazy("Phone")),
    ("company", gettext_lazy("Company")),
    ("position", gettext_lazy("Position")),
    ("industry", gettext_lazy("Industry")),
    ("country", gettext_lazy("Country (two letters)")),
    ("region", gettext_lazy("Region")),
    ("city", gettext_lazy("City")),
    ("source", gettext_lazy("Source")),
    ("origin", gettext_lazy("Origin (seed, net, spear)")),
    ("campaign", gettext_lazy("Campaign")),
    ("interest", gettext_lazy("Interested in (product)")),
    ("message", gettext_lazy("Message or note")),
    ("consent", gettext_lazy("Marketing consent (yes/no)")),
    ("temperature", gettext_lazy("Temperature (cold, warm, hot)")),
    ("external_id", gettext_lazy("External id")),
]
FIELD_NAMES = frozenset(name for name, _label in IMPORT_FIELDS)
# A file must give the import at least one of these, or no row could become anything.
IDENTITY_FIELDS = ("name", "first_name", "last_name", "email", "phone", "company")

# Header spellings seen in real files (en, ro, ru, hu, ms and common CRM exports).
HEADER_ALIASES: dict[str, list[str]] = {
    "name": [
        "name",
        "full name",
        "fullname",
        "contact",
        "contact name",
        "contact person",
        "person",
        "nume complet",
        "nume si prenume",
        "nume și prenume",
        "persoana de contact",
        "фио",
        "имя и фамилия",
        "контакт",
        "контактное лицо",
        "név",
        "teljes név",
        "kapcsolattartó",
        "nama",
        "nama penuh",
    ],
    "first_name": [
        "first name",
        "firstname",
        "first",
        "given name",
        "forename",
        "prenume",
        "имя",
        "keresztnév",
        "utónév",
        "nama pertama",
        "nama depan",
    ],
    "last_name": [
        "last name",
        "lastname",
        "last",
        "surname",
        "family name",
        "nume",
        "nume de familie",
        "фамилия",
        "vezetéknév",
        "családnév",
        "nama keluarga",
        "nama akhir",
    ],
    "email": [
        "email",
        "e-mail",
        "mail",
        "email address",
        "e-mail address",
        "adresa de email",
        "adresă email",
        "adresa email",
        "почта",
        "электронная почта",
        "эл почта",
        "эл. почта",
        "емейл",
        "e-mail cím",
        "email cím",
        "emel",
        "alamat emel",
        "alamat e-mel",
        "e-mel",
    ],
    "phone": [
        "phone",
        "telephone",
        "tel",
        "mobile",
        "mobile phone",
        "cell",
        "phone number",
        "telefon",
        "număr de telefon",
        "numar de telefon",
        "nr telefon",
        "mobil",
        "телефон",
        "тел",
        "мобильный",
        "мобильный телефон",
        "номер телефона",
        "telefonszám",
        "mobiltelefon",
        "nombor telefon",
        "no telefon",
        "telefon bimbit",
    ],
    "company": [
        "company",
        "company name",
        "organisation",
        "organization",
        "firm",
        "account",
        "firma",
        "companie",
        "compania",
        "societate",
        "компания",
        "организация",
        "фирма",
        "название компании",
        "cég",
        "cégnév",
        "vállalat",
        "syarikat",
        "nama syarikat",
    ],
    "position": [
        "position",
        "job title",
        "title",
        "role",
        "job",
        "funcție",
        "functie",
        "post",
        "должность",
        "позиция",
        "beosztás",
        "pozíció",
        "jawatan",
    ],
    "industry": ["industry", "sector", "domeniu", "industrie", "отрасль", "iparág", "industri"],
    "country": [
        "country",
        "country code",
        "țară",
        "tara",
        "țara",
        "страна",
        "ország",
        "negara",
    ],
    "region": [
        "region",
        "state",
        "county",
        "județ",
        "judet",
        "регион",
        "область",
        "megye",
        "régió",
        "negeri",
    ],
    "city": ["city", "town", "oraș", "oras", "localitate", "город", "város", "bandar"],
    "source": [
        "source",
        "lead source",
        "channel",
        "sursă",
        "sursa",
        "canal",
        "источник",
        "канал",
        "forrás",
        "csatorna",
        "sumber",
    ],
    "origin": ["origin", "origin type", "origine", "происхождение", "тип", "eredet", "asal"],
    "campaign": [
        "campaign",
        "utm campaign",
        "utm_campaign",
        "campanie",
        "кампания",
        "kampány",
        "kempen",
    ],
    "interest": [
        "interest",
        "interested in",
        "product",
        "interes",
        "produs",
        "интерес",
        "продукт",
        "érdeklődés",
        "termék",
        "minat",
        "produk",
    ],
    "message": [
        "message",
        "note",
        "notes",
        "comment",
        "comments",
        "mesaj",
        "notă",
        "nota",
        "observații",
        "observatii",
        "сообщение",
        "комментарий",
        "примечание",
        "üzenet",
        "megjegyzés",
        "mesej",
        "catatan",
    ],
    "consent": [
        "consent",
        "marketing consent",
        "gdpr",
        "opt in",
        "opt-in",
        "acord",
        "consimțământ",
        "согласие",
        "hozzájárulás",
        "persetujuan",
    ],
    "temperature": [
        "temperature",
        "temp",
        "lead temperature",
        "temperatură",
        "температура",
        "hőmérséklet",
        "suhu",
    ],
    "external_id": [
        "external id",
        "external_id",
        "id",
        "ref",
        "reference",
        "cod",
        "код",
        "внешний id",
        "azonosító",
    ],
}

_key_junk = re.compile(r"[\W_]+")


def header_key(header: str) -> str:
    """'E-mail cím' → 'emailcim', 'Почта' → 'почта': how headers are compared."""
    return _key_junk.sub("", fold(header or ""))


# --- Clients and contacts ------------------------------------------------------------------

# The fields a column of a clients file can be mapped to (what the client card holds).
CLIENT_IMPORT_FIELDS: list[tuple[str, Any]] = [
    ("name", gettext_lazy("Company name")),
    ("legal_form", gettext_lazy("Legal form")),
    ("tax_id", gettext_lazy("Tax id")),
    ("registration_number", gettext_lazy("Registration number")),
    ("country", gettext_lazy("Country (two letters)")),
    ("region", gettext_lazy("Region")),
    ("city", gettext_lazy("City")),
    ("address", gettext_lazy("Address")),
    ("postal_code", gettext_lazy("Postal code")),
    ("website", gettext_lazy("Website")),
    ("phone", gettext_lazy("Phones (several: separated by ;)")),
    ("email", gettext_lazy("E-mails (several: separated by ;)")),
    ("industry", gettext_lazy("Industry")),
    ("employees", gettext_lazy("Employees")),
    ("revenue", gettext_lazy("Annual revenue (amount or band)")),
    ("owner", gettext_lazy("Personal manager (e-mail or username)")),
    ("tags", gettext_lazy("Tags (separated by ; or ,)")),
    ("external_id", gettext_lazy("External id (from the other system)")),
]

# The fields of a contacts file: the person, and how to find their client.
CONTACT_IMPORT_FIELDS: list[tuple[str, Any]] = [
    ("client", gettext_lazy("Client (company name)")),
    ("client_tax_id", gettext_lazy("Client's tax id")),
    ("client_external_id", gettext_lazy("Client's external id")),
    ("name", gettext_lazy("Full name")),
    ("first_name", gettext_lazy("First name")),
    ("last_name", gettext_lazy("Last name")),
    ("position", gettext_lazy("Position")),
    ("role", gettext_lazy("Role (decision maker, influencer, buyer …)")),
    ("phone", gettext_lazy("Phones (several: separated by ;)")),
    ("email", gettext_lazy("E-mails (several: separated by ;)")),
    ("birthday", gettext_lazy("Birthday (YYYY-MM-DD)")),
    ("language", gettext_lazy("Preferred language")),
    ("notes", gettext_lazy("Notes")),
    ("external_id", gettext_lazy("External id (from the other system)")),
]

_COMMON_ALIASES = {
    "country": HEADER_ALIASES["country"],
    "region": HEADER_ALIASES["region"],
    "city": HEADER_ALIASES["city"],
    "industry": HEADER_ALIASES["industry"],
    "position": [a for a in HEADER_ALIASES["position"] if a != "role"],
}
_PHONE_ALIASES = [*HEADER_ALIASES["phone"], "phones", "telefoane", "телефоны", "telefonszámok"]
_EMAIL_ALIASES = [*HEADER_ALIASES["email"], "emails", "e-mails", "adrese email", "e-mail címek"]

CLIENT_HEADER_ALIASES: dict[str, list[str]] = {
    **_COMMON_ALIASES,
    "name": [
        *HEADER_ALIASES["company"],
        "client",
        "client name",
        "customer",
        "customer name",
        "legal name",
        "name",
        "denumire",
        "denumire firma",
        "nume firma",
        "client",
        "клиент",
        "наименование",
        "название",
        "ügyfél",
        "név",
        "megnevezés",
        "pelanggan",
        "nama pelanggan",
        "nama",
    ],
    "legal_form": [
        "legal form",
        "company type",
        "forma juridica",
        "formă juridică",
        "forma de organizare",
        "организационно-правовая форма",
        "опф",
        "правовая форма",
        "cégforma",
        "társasági forma",
        "jenis syarikat",
        "bentuk perniagaan",
    ],
    "tax_id": [
        "tax id",
        "tax number",
        "taxid",
        "tin",
        "vat",
        "vat number",
        "vat id",
        "cui",
        "cif",
        "cod fiscal",
        "cod unic de inregistrare",
        "инн",
        "налоговый номер",
        "adószám",
        "adóazonosító",
        "nombor cukai",
        "no cukai",
    ],
    "registration_number": [
        "registration number",
        "registration no",
        "registration_no",
        "reg no",
        "company number",
        "nr reg com",
        "nr registrul comertului",
        "nr. reg. com.",
        "огрн",
        "регистрационный номер",
        "cégjegyzékszám",
        "nombor pendaftaran",
        "no pendaftaran",
        "ssm",
    ],
    "address": ["address", "street", "adresa", "adresă", "адрес", "cím", "alamat"],
    "postal_code": [
        "postal code",
        "postcode",
        "zip",
        "zip code",
        "cod postal",
        "индекс",
        "почтовый индекс",
        "irányítószám",
        "poskod",
    ],
    "website": [
        "website",
        "web",
        "site",
        "url",
        "web site",
        "sait",
        "сайт",
        "weboldal",
        "honlap",
        "laman web",
    ],
    "phone": _PHONE_ALIASES,
    "email": _EMAIL_ALIASES,
    "employees": [
        "employees",
        "staff",
        "headcount",
        "number of employees",
        "angajati",
        "angajați",
        "numar angajati",
        "сотрудники",
        "численность",
        "число сотрудников",
        "létszám",
        "alkalmazottak",
        "pekerja",
        "bilangan pekerja",
    ],
    "revenue": [
        "revenue",
        "annual revenue",
        "annual_revenue",
        "turnover",
        "cifra de afaceri",
        "venit",
        "выручка",
        "оборот",
        "árbevétel",
        "forgalom",
        "hasil",
        "pendapatan",
    ],
    "owner": [
        "owner",
        "manager",
        "account manager",
        "personal manager",
        "responsible",
        "responsabil",
        "manager de cont",
        "менеджер",
        "ответственный",
        "felelős",
        "kapcsolattartó munkatárs",
        "pengurus",
        "pengurus akaun",
    ],
    "tags": ["tags", "tag", "labels", "etichete", "теги", "метки", "címkék", "tanda", "label"],
    "external_id": [*HEADER_ALIASES["external_id"], "company id", "company_id", "client id", "customer id"],
}

CONTACT_HEADER_ALIASES: dict[str, list[str]] = {
    **_COMMON_ALIASES,
    "client": [
        *HEADER_ALIASES["company"],
        "client",
        "client name",
        "customer",
        "firma client",
        "клиент",
        "ügyfél",
        "pelanggan",
    ],
    "client_tax_id": [
        "client tax id",
        "company tax id",
        "tax id",
        "vat",
        "cui",
        "cif",
        "cod fiscal",
        "инн",
        "инн компании",
        "adószám",
        "nombor cukai",
    ],
    "client_external_id": [
        "company id",
        "company_id",
        "client id",
        "client_id",
        "customer id",
        "id firma",
        "id client",
        "id компании",
        "id клиента",
        "cégazonosító",
        "id syarikat",
    ],
    "name": [a for a in HEADER_ALIASES["name"] if a not in ("name", "nama")],
    "first_name": HEADER_ALIASES["first_name"],
    "last_name": HEADER_ALIASES["last_name"],
    "role": [
        "role",
        "contact role",
        "buying role",
        "rol",
        "rolul",
        "роль",
        "szerep",
        "szerepkör",
        "peranan",
    ],
    "phone": _PHONE_ALIASES,
    "email": _EMAIL_ALIASES,
    "birthday": [
        "birthday",
        "birth date",
        "date of birth",
        "dob",
        "data nasterii",
        "data nașterii",
        "zi de nastere",
        "день рождения",
        "дата рождения",
        "születésnap",
        "születési dátum",
        "tarikh lahir",
        "hari jadi",
    ],
    "language": [
        "language",
        "preferred language",
        "limba",
        "limbă",
        "язык",
        "nyelv",
        "bahasa",
    ],
    "notes": HEADER_ALIASES["message"],
    "external_id": [
        *HEADER_ALIASES["external_id"],
        "contact id",
        "contact_id",
        "person id",
    ],
}

KIND_FIELDS: dict[str, list[tuple[str, Any]]] = {
    "leads": IMPORT_FIELDS,
    "clients": CLIENT_IMPORT_FIELDS,
    "contacts": CONTACT_IMPORT_FIELDS,
}
KIND_FIELD_NAMES: dict[str, frozenset[str]] = {
    kind: frozenset(name for name, _label in fields) for kind, fields in KIND_FIELDS.items()
}
KIND_ALIASES: dict[str, dict[str, list[str]]] = {
    "leads": HEADER_ALIASES,
    "clients": CLIENT_HEADER_ALIASES,
    "contacts": CONTACT_HEADER_ALIASES,
}


def fields_for(kind: str) -> list[tuple[str, Any]]:
    """The fields a column of a `kind` file (leads, clients, contacts) can be mapped to."""
    return KIND_FIELDS.get(kind, IMPORT_FIELDS)


def _alias_table(aliases: dict[str, list[str]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for target, spellings in aliases.items():
        for alias in [target, *spellings]:
            table.setdefault(header_key(alias), target)
    return table


_ALIAS_TO_FIELD: dict[str, str] = _alias_table(HEADER_ALIASES)
_ALIASES_BY_KIND: dict[str, dict[str, str]] = {kind: _alias_table(a) for kind, a in KIND_ALIASES.items()}


def suggest_mapping(headers: list[str], *, kind: str = "leads") -> dict[str, str]:
    """`{header: field}` for every header we recognise; each field at most once (first wins)."""
    table = _ALIASES_BY_KIND.get(kind, _ALIAS_TO_FIELD)
    taken: set[str] = set()
    suggestion: dict[str, str] = {}
    for header in headers:
        target = table.get(header_key(header))
        if target and target not in taken and header not in suggestion:
            suggestion[header] = target
            taken.add(target)
    return suggestion


def merge_mapping(headers: list[str], given: dict[str, str] | None, *, kind: str = "leads") -> dict[str, str]:
    """The given mapping, plus suggestions for the columns it does not mention (unless their
    field is already taken). Map a column to "" to ignore it."""
    mapping = dict(given or {})
    taken = {v for v in mapping.values() if v}
    named = set(mapping)
    for index, header in enumerate(headers):
        if header in named or f"#{index + 1}" in named:
            continue
        target = suggest_mapping([header], kind=kind).get(header)
        if target and target not in taken:
            mapping[header] = target
            taken.add(target)
    return mapping


def _identity_problem(kind: str, fields: set[str]) -> str:
    """Why a mapping of `kind` could not make any row into a record ('' when it can)."""
    if kind == "clients":
        return "" if "name" in fields else _("Map a column to the company name.")
    if kind == "contacts":
        if not fields & {"name", "first_name", "last_name"}:
            return _("Map a column to the contact's name.")
        if not fields & {"client", "client_tax_id", "client_external_id"}:
            return _("Map a column that says the contact's client: its name, tax id or external id.")
        return ""
    if not fields & set(IDENTITY_FIELDS):
        return _("Map at least one column to a name, e-mail, phone or company.")
    return ""


def resolve_mapping(
    headers: list[str], mapping: dict[str, str], *, require_identity: bool = True, kind: str = "leads"
) -> dict[int, str]:
    """`{column index: field}` from `{header or "#n": field}`; BusinessError per bad entry.

    Columns are named by their header text, or by `#n` (1-based) when headers repeat or are empty.
    An empty field means "ignore this column".
    """
    known = KIND_FIELD_NAMES.get(kind, FIELD_NAMES)
    errors: list[str] = []
    resolved: dict[int, str] = {}
    used: dict[str, str] = {}
    positions = {header: index for index, header in reversed(list(enumerate(headers)))}
    for column, target in mapping.items():
        target = (target or "").strip()
        if not target:
            continue
        if target not in known:
            if kind == "clients":
                errors.append(_("“%(field)s” is not a client field.") % {"field": target})
            elif kind == "contacts":
                errors.append(_("“%(field)s” is not a contact field.") % {"field": target})
            else:
                errors.append(_("“%(field)s” is not a lead field.") % {"field": target})
            continue
        index: int | None
        if column.startswith("#") and column[1:].isdigit():
            index = int(column[1:]) - 1
            if not 0 <= index < len(headers):
                index = None
        else:
            index = positions.get(column)
        if index is None:
            errors.append(_("The file has no column “%(column)s”.") % {"column": column})
            continue
        if target in used:
            errors.append(
                _("“%(field)s” is mapped twice (“%(first)s” and “%(second)s”).")
                % {"field": target, "first": used[target], "second": column}
            )
            continue
        used[target] = column
        resolved[index] = target
    if require_identity and not errors:
        problem = _identity_problem(kind, set(resolved.values()))
        if problem:
            errors.append(problem)
    if errors:
        raise BusinessError(_("The column mapping is not valid."), errors={"mapping": errors}, status=422)
    return resolved


# --- Reading -------------------------------------------------------------------------------

LEGACY_ENCODINGS = ["cp1250", "cp1251", "cp1252", "iso8859_2", "latin_1"]
DELIMITERS = ",;\t|"
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"


class _KeepOpen(io.RawIOBase):
    """A readable, seekable view of a binary stream that leaves it open when closed."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()


@dataclass
class Table:
    """An opened file: its headers and a row stream; `estimated_rows` for the progress bar."""

    file_format: str
    headers: list[str]
    encoding: str = ""
    delimiter: str = ""
    estimated_rows: int | None = None
    _rows: Iterator[tuple[int, list[str]]] | None = field(default=None, repr=False)
    _close: Any = field(default=None, repr=False)

    def close(self) -> None:
        """Release what reading holds open (an XLSX archive); the caller's stream stays open."""
        if self._close is not None:
            self._close()
            self._close = None

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """`(line, cells)` for every data row (not blank), in file order. Can be consumed once."""
        assert self._rows is not None
        rows, self._rows = self._rows, None
        return rows


def detect_encoding(stream: IO[bytes]) -> tuple[str, int]:
    """`(encoding, line breaks)`: UTF-8 (with or without BOM) when the whole file decodes as
    such, else the likeliest legacy code page (cp1250/cp1251/latin-1 …) by charset-normalizer.
    The line-break count sizes the progress bar. Rewinds the stream."""
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", 0
    encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines = 0
    broken_at: int | None = None
    position = 0
    while chunk := stream.read(1 << 20):
        newlines += chunk.count(b"\n")
        if broken_at is None:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                broken_at = position + exc.start
        position += len(chunk)
    if broken_at is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            broken_at = max(0, position - 4)
    if broken_at is None:
        stream.seek(0)
        return encoding, newlines
    # The start of the file and the place where UTF-8 broke are the most telling samples.
    stream.seek(0)
    sample = stream.read(1 << 16)
    stream.seek(max(0, broken_at - (1 << 12)))
    sample += b"\n" + stream.read(1 << 16)
    stream.seek(0)
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=LEGACY_ENCODINGS).best()
    return (best.encoding if best is not None else "latin_1"), newlines


def sniff_delimiter(lines: list[str]) -> str:
    """The candidate that splits the header into most columns and appears consistently."""
    best, best_score = ",", 0
    for delimiter in DELIMITERS:
        counts = [line.count(delimiter) for line in lines if line.strip()]
        if not counts or counts[0] == 0:
            continue
        consistent = sum(1 for c in counts if c == counts[0])
        score = counts[0] * 10 + consistent
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def open_table(stream: IO[bytes], name: str = "", *, encoding: str = "") -> Table:
    """Open a CSV or XLSX file (by content, not by name). BusinessError when unreadable.

    `encoding` skips the detection pass when it is already known (a stored job)."""
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    if head.startswith(XLSX_MAGIC):
        return _open_xlsx(stream)
    if head.startswith(XLS_MAGIC):
        raise BusinessError(
            _("Old Excel files (.xls) are not supported: save it as XLSX or CSV."),
            errors={"file": [_("Save the file as XLSX or CSV.")]},
            status=422,
        )
    return _open_csv(stream, encoding)


def _open_csv(stream: IO[bytes], known_encoding: str = "") -> Table:
    if known_encoding:
        encoding, newlines = known_encoding, 0
        stream.seek(0)
    else:
        encoding, newlines = detect_encoding(stream)
    # The wrapper must not close the caller's stream (storages hand out shared file objects).
    buffered = io.BufferedReader(_KeepOpen(stream), 1 << 16)
    text = io.TextIOWrapper(buffered, encoding=encoding, errors="replace", newline="")
    first_lines = []
    for _i in range(20):
        line = text.readline()
        if not line:
            break
        first_lines.append(line)
    if not first_lines or not any(line.strip() for line in first_lines):
        raise BusinessError(_("The file is empty."), errors={"file": [_("The file is empty.")]}, status=422)
    delimiter = sniff_delimiter(first_lines)
    text.seek(0)
    reader = csv.reader(text, delimiter=delimiter)
    headers: list[str] = []
    for cells in reader:
        if any(c.strip() for c in cells):
            headers = [c.strip() for c in cells]
            break
    if not headers:
        raise BusinessError(_("The file is empty."), errors={"file": [_("The file is empty.")]}, status=422)
    estimate = max(0, newlines - 1) if newlines else None

    def rows() -> Iterator[tuple[int, list[str]]]:
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            for cell in cells:
                if cell and not cell.isspace():
                    yield start, cells
                    break

    return Table(
        "csv", headers, encoding=encoding, delimiter=delimiter, estimated_rows=estimate, _rows=rows()
    )


def _open_xlsx(stream: IO[bytes]) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # zip/xml errors of a damaged or mislabelled file
        raise BusinessError(
            _("This XLSX file cannot be read."), errors={"file": [_("The file is damaged.")]}, status=422
        ) from exc
    sheet = workbook.worksheets[0]
    source = enumerate(sheet.iter_rows(values_only=True), start=1)
    headers: list[str] = []
    for _number, values in source:
        cells = [_cell_text(v).strip() for v in values]
        if any(cells):
            headers = cells
            break
    if not headers:
        workbook.close()
        raise BusinessError(_("The file is empty."), errors={"file": [_("The file is empty.")]}, status=422)
    while headers and not headers[-1]:
        headers.pop()

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, values in source:
                cells = [_cell_text(v) for v in values]
                if any(c.strip() for c in cells):
                    yield number, cells
        finally:
            workbook.close()

    estimate = sheet.max_row - 1 if sheet.max_row else None
    return Table("xlsx", headers, estimated_rows=estimate, _rows=rows(), _close=workbook.close)


def preview(table: Table, limit: int = 5) -> list[tuple[int, list[str]]]:
    """The first data rows, for the mapping page."""
    out = []
    for row in table.rows():
        out.append(row)
        if len(out) >= limit:
            break
    return out
