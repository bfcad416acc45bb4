"""File import of clients and contacts (CSV/XLSX), on the lead import's machinery.

The same `ImportJob` (kind `clients` or `contacts`), file reading and column suggestions
(`import_files`), report chunks, progress and resumable batches as the lead importer; the rows go
through the same cleaning as the client and contact forms (`clients.services.clean_client_values`
/ `clean_contact_values`: tax ids with their check digits per country, phones to E.164, e-mails).

Every data row gets exactly one outcome:

* **created** — a new client (or contact), with its id;
* **updated** — the row matched an existing record and filled some of its *empty* fields (a
  matched record is never overwritten: what the CRM holds wins, the row only completes it);
* **unchanged** — the row matched an existing record and had nothing new for it;
* **rejected** — with the line and the reason (bad tax id, unknown client, …).

Matching. A client row matches, in this order, the client an earlier import made from the same
external id, then a client with the same tax id (compared per country as the client form does),
then one with the same registration number. A contact row matches, at its client, the contact with
the same external id, e-mail, phone, or first and last name. A match the importer may not see is
rejected (it belongs to another team), as on the client form.

Each batch commits in one transaction with the job's progress, counters and report part: a crash
loses only the batch in flight, and a resumed run starts after the last committed batch. The whole
import is one audit entry (created with the first batch, kept current). A dry run does all of it
inside a savepoint that is rolled back, and keeps only the job and its report.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.clients.choices import ContactRole, RevenueBand
from clientela.clients.completeness import filled_count
from clientela.clients.identifiers import TAX_ID_RULES, InvalidIdentifier, normalise_tax_id
from clientela.clients.models import Client, Contact, ContactMembership, Tag
from clientela.clients.services import (
    OWNER_ROLES,
    clean_client_values,
    clean_contact_values,
    client_search_text,
    contact_search_text,
    owner_candidates,
)
from clientela.core.errors import BusinessError, ConflictError, PermissionDeniedError
from clientela.core.normalise import clean_text, fold
from clientela.core.permissions import role_of
from clientela.core.roles import Role
from clientela.core.tasks import enqueue_on_commit
from clientela.imports import jobs
from clientela.imports.files import Table, fields_for, merge_mapping, open_table, resolve_mapping
from clientela.imports.models import ExternalRef, ImportJob, ImportKind
from clientela.imports.runner import JobRunner, ProgressCallback
from clientela.users.models import Team, User

log = logging.getLogger(__name__)

BATCH_SIZE = 500
RECORD_KINDS = (ImportKind.CLIENTS, ImportKind.CONTACTS)
REPORT_HEADER = ["line", "outcome", "id", "reason"]


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


# --- Who may import ----------------------------------------------------------------------------


def can_import_records(user: Any) -> bool:
    """Heads of sales and admins import clients and contacts: an import names personal managers
    and touches many teams' cards, which is a head's call (managers create cards one by one;
    marketers do not see clients at all)."""
    return role_of(user) in (Role.HEAD, Role.ADMIN)


def require_import_records(user: Any) -> None:
    if not can_import_records(user):
        raise PermissionDeniedError(_("You do not have permission to import clients or contacts."))


def record_teams(user: Any) -> list[Team]:
    """Teams whose clients this user may import (admins: all; heads: the teams they head or are in)."""
    role = role_of(user)
    if role not in (Role.HEAD, Role.ADMIN):
        return []
    teams = Team.objects.filter(is_active=True).order_by("name")
    if role == Role.ADMIN:
        return list(teams)
    ids = {user.team_id} if user.team_id else set()
    ids |= set(user.headed_teams.values_list("id", flat=True))
    return list(teams.filter(pk__in=ids))


# --- Creating and starting jobs ----------------------------------------------------------------


@transaction.atomic
def records_job_create(
    *,
    by: Any,
    kind: str,
    file: IO[bytes],
    name: str,
    team: Team | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    default_country: str = "",
    check_permission: bool = True,
) -> ImportJob:
    """Store a clients or contacts file as an import job, read its columns, suggest a mapping."""
    if kind not in RECORD_KINDS:
        raise BusinessError(
            _("Some fields are not valid."),
            errors={"kind": [_("Choose one of: %s.") % ", ".join(ImportKind.values)]},
            status=422,
        )
    if check_permission:
        require_import_records(by)
        allowed = {t.pk: t for t in record_teams(by)}
        if team is None and getattr(by, "team_id", None) in allowed:
            team = allowed[by.team_id]
        if team is not None and team.pk not in allowed:
            raise PermissionDeniedError(_("You cannot import into this team."))
    country = (default_country or "").strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        raise BusinessError(
            _("Some fields are not valid."),
            errors={"default_country": [_("Use a two-letter country code, e.g. RO, HU, MY.")]},
            status=422,
        )
    table = open_table(file, name)
    table.close()
    mapping = merge_mapping(table.headers, mapping, kind=kind)
    resolve_mapping(table.headers, mapping, require_identity=False, kind=kind)
    return jobs.job_store(
        by=by,
        file=file,
        name=name,
        table=table,
        kind=kind,
        dry_run=dry_run,
        mapping=mapping,
        default_country=country,
        team=team,
    )


@transaction.atomic
def records_job_start(
    *, by: Any, job: ImportJob, mapping: dict[str, str] | None = None, dry_run: bool | None = None
) -> ImportJob:
    """Confirm the mapping and hand the job to a background worker."""
    from clientela.imports.tasks import run_records_import  # the task runs this module's runner

    require_import_records(by)
    return jobs.job_queue(
        by=by,
        job=job,
        mapping=mapping,
        dry_run=dry_run,
        check_mapping=lambda columns, chosen: resolve_mapping(columns, chosen, kind=job.kind),
        runner=run_records_import,
    )


@transaction.atomic
def records_job_repeat(*, by: Any, job: ImportJob) -> ImportJob:
    """After a dry run: the same file and mapping, imported for real (queued at once)."""
    require_import_records(by)
    return records_job_start(by=by, job=jobs.job_copy_for_real(by=by, job=job))


can_resume = jobs.can_resume


@transaction.atomic
def records_job_resume(*, by: Any, job: ImportJob, force: bool = False) -> ImportJob:
    """Queue a failed (or dead) import again; it continues after its last committed batch."""
    from clientela.imports.tasks import run_records_import  # the task runs this module's runner

    require_import_records(by)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not can_resume(job, force=force):
        raise ConflictError(_("Only a failed or stalled import can be resumed."))
    job.queued_at = timezone.now()
    job.save(update_fields=["queued_at", "updated_at"])
    enqueue_on_commit(run_records_import, job_id=job.pk, force=True)
    return job


# --- Reads -------------------------------------------------------------------------------------


def import_jobs_for(*, viewer: Any) -> Any:
    """Imports of every kind the viewer may see: leads imports for those who import leads,
    clients and contacts imports for heads and admins (their own and their teams')."""
    from clientela.imports.leads import can_import

    kinds = [ImportKind.LEADS] if can_import(viewer) else []
    if can_import_records(viewer):
        kinds += list(RECORD_KINDS)
    if not kinds:
        return ImportJob.objects.none()
    return (
        ImportJob.objects.visible_to(viewer)
        .filter(kind__in=kinds)
        .select_related("team", "owner")
        .order_by("-created_at", "-id")
    )


def import_job_for(*, viewer: Any, pk: int) -> ImportJob:
    """One import of a kind the viewer may import and see; 404 otherwise."""
    from clientela.core.permissions import get_visible_or_404

    return get_visible_or_404(import_jobs_for(viewer=viewer), viewer, pk=pk)


def summary_text(job: ImportJob) -> str:
    """The counts of `summary` in the reader's language (pages and notices)."""
    return _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(rejected)s rejected") % {
        "created": job.created_count,
        "updated": job.merged_count,
        "unchanged": job.unchanged_count,
        "rejected": job.rejected_count,
    }


def summary(job: ImportJob) -> str:
    """`N created, N updated, N unchanged, N rejected` — the CLI's last line (not translated:
    scripts read it); the four numbers add up to the file's data rows."""
    return (
        f"{job.created_count} created, {job.merged_count} updated, "
        f"{job.unchanged_count} unchanged, {job.rejected_count} rejected"
    )


def report_lines(job: ImportJob) -> Iterator[str]:
    """The report as CSV text, header first (see `jobs.report_lines`)."""
    return jobs.report_lines(job, REPORT_HEADER)


def records_preview(job: ImportJob, limit: int = 5) -> list[tuple[int, list[str]]]:
    return jobs.preview(job, limit)


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


# --- Running -----------------------------------------------------------------------------------


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


class RecordsImportRunner(JobRunner):
    """Runs (or resumes) one clients or contacts import job."""

    report_header = REPORT_HEADER
    counters = {
        Outcome.CREATED: "created_count",
        Outcome.UPDATED: "merged_count",
        Outcome.UNCHANGED: "unchanged_count",
        Outcome.REJECTED: "rejected_count",
    }

    def __init__(self, job: ImportJob, **options: Any) -> None:
        options.setdefault("batch_size", BATCH_SIZE)
        super().__init__(job, **options)
        self.labels = CLIENT_FIELD_LABELS if job.kind == ImportKind.CLIENTS else CONTACT_FIELD_LABELS
        # A dry run rolls every batch back: rows of earlier batches it "created", by key.
        self.dry_seen: dict[str, _DrySeen] = {}
        self.created_ids: list[int] = []
        self.updated_ids: list[int] = []
        self._owners: dict[str, User] | None = None
        self._visible_ids: set[int] = set()

    def _import(self, table: Table) -> None:
        job = self.job
        self.mapping = sorted(resolve_mapping(table.headers, job.mapping, kind=job.kind).items())
        if table.estimated_rows and not job.processed_rows:
            job.total_rows = table.estimated_rows
        seq = job.report_chunks.count()
        batch: list[tuple[int, list[str]]] = []
        for number, row in enumerate(table.rows()):
            if number < job.processed_rows:
                continue
            batch.append(row)
            if len(batch) >= self.batch_size:
                seq += 1
                self._commit_batch(batch, seq, functools.partial(self._report, batch))
                batch = []
        if batch:
            seq += 1
            self._commit_batch(batch, seq, functools.partial(self._report, batch))

    def _report(self, batch: list[tuple[int, list[str]]]) -> list[tuple[str, list[Any]]]:
        """The batch's outcomes; a dry run's changes are rolled back at once."""
        if self.job.dry_run:
            savepoint = transaction.savepoint()
            results = self._process(batch)
            transaction.savepoint_rollback(savepoint)
        else:
            results = self._process(batch)
        return [(r.outcome, [r.line, r.outcome, r.record_id or "", r.reason]) for r in results]

    notify_dry_run = True

    def audit_model(self, job: ImportJob) -> type[Client] | type[Contact]:
        return Client if job.kind == ImportKind.CLIENTS else Contact

    def audit_details(self, job: ImportJob, previous: dict[str, Any]) -> dict[str, Any]:
        """Counts and the ids the import created or updated (capped)."""
        details = {
            "kind": job.kind,
            "created": job.created_count,
            "updated": job.merged_count,
            "unchanged": job.unchanged_count,
            "rejected": job.rejected_count,
            "created_ids": sorted(set(previous.get("created_ids", [])) | set(self.created_ids))[:5000],
            "updated_ids": sorted(set(previous.get("updated_ids", [])) | set(self.updated_ids))[:5000],
        }
        self.created_ids, self.updated_ids = [], []
        return details

    def summary_text(self, job: ImportJob) -> str:
        return summary_text(job)

    # -- rows --

    def _process(self, batch: list[tuple[int, list[str]]]) -> list[RowResult]:
        results = []
        handle = self._client_row if self.job.kind == ImportKind.CLIENTS else self._contact_row
        for line, cells in batch:
            row = {
                name: clean_text(cells[index]) if index < len(cells) else "" for index, name in self.mapping
            }
            try:
                with transaction.atomic():  # a savepoint: a refused row leaves nothing behind
                    result = handle(line, row)
            except RowRejected as exc:
                result = RowResult(line, Outcome.REJECTED, reason=str(exc))
            except BusinessError as exc:
                result = RowResult(line, Outcome.REJECTED, reason=self._error_text(exc))
            except IntegrityError:
                result = RowResult(
                    line, Outcome.REJECTED, reason=_("Conflicts with a record saved at the same time.")
                )
            results.append(result)
        return results

    def _error_text(self, exc: BusinessError) -> str:
        if not exc.errors:
            return str(exc.message)
        return "; ".join(
            f"{self._label(name)}: {' '.join(str(m) for m in messages)}"
            for name, messages in exc.errors.items()
        )

    def _label(self, name: str) -> str:
        label = _FORM_LABELS.get(name) or self.labels.get(name)
        return str(label or name)

    def _visible(self, model: type[Client] | type[Contact], pk: int) -> bool:
        if self.by is None or pk in self._visible_ids:
            return True
        visible = model.objects.visible_to(self.by).filter(pk=pk).exists()
        if visible:
            self._visible_ids.add(pk)
        return visible

    def _owner(self, value: str) -> User | None:
        if not value:
            return None
        if self._owners is None:
            people = (
                owner_candidates(self.by)
                if self.by is not None
                else User.objects.filter(is_active=True, role__in=OWNER_ROLES)
            )
            self._owners = {}
            for person in people:
                self._owners.setdefault(person.username.casefold(), person)
                if person.email:
                    self._owners.setdefault(person.email.casefold(), person)
        owner = self._owners.get(value.casefold())
        if owner is None:
            raise RowRejected(
                _("%(field)s: “%(value)s” is not an active manager of your teams.")
                % {"field": self.labels["owner"], "value": value}
            )
        return owner

    def _external(self, kind: str, external_id: str) -> int | None:
        if not external_id:
            return None
        return (
            ExternalRef.objects.filter(kind=kind, external_id=external_id[:100])
            .values_list("object_id", flat=True)
            .first()
        )

    def _remember(self, kind: str, external_id: str, pk: int) -> None:
        if external_id:
            ExternalRef.objects.update_or_create(
                kind=kind, external_id=external_id[:100], defaults={"object_id": pk, "job": self.job}
            )

    def _dry_key(self, *parts: str) -> str:
        return "|".join(parts)

    # -- clients --

    def _client_row(self, line: int, row: dict[str, str]) -> RowResult:
        job = self.job
        data: dict[str, Any] = {}
        for name in ("name", "legal_form", "tax_id", "registration_number", "country", "region", "city"):
            if row.get(name):
                data[name] = row[name]
        for name in ("address", "postal_code", "website", "industry"):
            if row.get(name):
                data[name] = row[name]
        if not data.get("country") and job.default_country:
            data["country"] = job.default_country
        if row.get("employees"):
            data["employees"] = _whole_number(row["employees"])
        problems: dict[str, list[str]] = {}
        if row.get("revenue"):
            band = parse_revenue(row["revenue"])
            if band is None:
                problems["revenue"] = [
                    _("Enter an amount or one of: %(bands)s.") % {"bands": ", ".join(RevenueBand.values)}
                ]
            else:
                data["revenue_band"] = band
        emails = split_list(row.get("email", ""), emails=True)
        phones = split_list(row.get("phone", ""))
        if emails:
            data["email"], data["other_emails"] = emails[0], emails[1:]
        if phones:
            data["phone"], data["other_phones"] = phones[0], phones[1:]
        owner = self._owner(row.get("owner", ""))
        team = (owner.team if owner is not None and owner.team_id else None) or job.team
        team_country = job.default_country or (team.default_country if team is not None else "")
        values = _cleaned(clean_client_values, {"name": "", **data}, problems, team_country=team_country)
        tags = [t for t in split_list(row.get("tags", "")) if t][:20]
        external_id = row.get("external_id", "")

        client, how = self._match_client(values, external_id)
        if client is None:
            seen = self._dry_seen_client(values, external_id)
            if seen is not None:
                return seen.match(line, values, tags)
            return self._client_create(line, values, owner, team, tags, external_id)
        return self._client_fill(line, client, how, values, owner, tags, external_id)

    def _match_client(self, values: dict[str, Any], external_id: str) -> tuple[Client | None, str]:
        country = values.get("country", "")
        candidates: list[tuple[Client, str]] = []
        pk = self._external(ImportKind.CLIENTS, external_id)
        if pk is not None:
            found = Client.objects.filter(pk=pk).first()
            if found is not None:
                candidates.append((found, str(_("external id"))))
        if values.get("tax_key"):
            found = Client.objects.filter(country=country, tax_key=values["tax_key"]).first()
            if found is not None:
                candidates.append((found, str(_("tax id"))))
        if values.get("registration_number"):
            found = Client.objects.filter(
                country=country, registration_number=values["registration_number"]
            ).first()
            if found is not None:
                candidates.append((found, str(_("registration number"))))
        if not candidates:
            return None, ""
        client, how = candidates[0]
        for other, other_how in candidates[1:]:
            if other.pk != client.pk:
                raise RowRejected(
                    _("The %(first)s belongs to client #%(a)s and the %(second)s to client #%(b)s.")
                    % {"first": how, "a": client.pk, "second": other_how, "b": other.pk}
                )
        if not self._visible(Client, client.pk):
            raise RowRejected(
                _("Another team's client already has this %(what)s; ask your head of sales.") % {"what": how}
            )
        return client, how

    def _dry_seen_client(self, values: dict[str, Any], external_id: str) -> _DrySeen | None:
        if not self.job.dry_run:
            return None
        country = values.get("country", "")
        keys = [self._dry_key("ext", external_id)] if external_id else []
        if values.get("tax_key"):
            keys.append(self._dry_key("tax", country, values["tax_key"]))
        if values.get("registration_number"):
            keys.append(self._dry_key("reg", country, values["registration_number"]))
        return next((self.dry_seen[k] for k in keys if k in self.dry_seen), None)

    def _client_create(
        self,
        line: int,
        values: dict[str, Any],
        owner: User | None,
        team: Team | None,
        tags: list[str],
        external_id: str,
    ) -> RowResult:
        client = Client(**values, owner=owner, team=team, created_by=self.by)
        try:
            client.full_clean(validate_constraints=False)
        except ValidationError as exc:
            raise RowRejected(
                "; ".join(f"{self._label(k)}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from exc
        client.search_text = client_search_text(client)
        client.save()
        if tags:
            client.tags.set(self._tags(tags))
        self._remember(ImportKind.CLIENTS, external_id, client.pk)
        if self.job.dry_run:
            country = values.get("country", "")
            seen = _DrySeen(line, {k for k, v in values.items() if v not in ("", None, [])}, set(tags))
            if external_id:
                self.dry_seen[self._dry_key("ext", external_id)] = seen
            if values.get("tax_key"):
                self.dry_seen[self._dry_key("tax", country, values["tax_key"])] = seen
            if values.get("registration_number"):
                self.dry_seen[self._dry_key("reg", country, values["registration_number"])] = seen
            return RowResult(line, Outcome.CREATED)
        self.created_ids.append(client.pk)
        return RowResult(line, Outcome.CREATED, client.pk)

    def _tags(self, names: list[str]) -> list[Tag]:
        result = []
        for name in names:
            tag, _created = Tag.objects.get_or_create(key=name[:50].casefold(), defaults={"name": name[:50]})
            result.append(tag)
        return result

    def _client_fill(
        self,
        line: int,
        client: Client,
        how: str,
        values: dict[str, Any],
        owner: User | None,
        tags: list[str],
        external_id: str,
    ) -> RowResult:
        """Complete a matched client: only its empty fields take the row's values."""
        changes: dict[str, Any] = {}
        for name, value in values.items():
            if name in ("tax_key", "phone_raw") or value in ("", None, []):
                continue
            if getattr(client, name) in ("", None, []):
                changes[name] = value
                if name == "tax_id":
                    changes["tax_key"] = values["tax_key"]
                if name == "phone":
                    changes["phone_raw"] = values.get("phone_raw", "")
        if "tax_key" in changes or "registration_number" in changes:
            # filling an id the client lacked: it must not be another client's
            for field in ("tax_key", "registration_number"):
                if field in changes:
                    taken = (
                        Client.objects.filter(country=client.country, **{field: changes[field]})
                        .exclude(pk=client.pk)
                        .exists()
                    )
                    if taken:
                        raise RowRejected(
                            _("%(field)s: another client already has it.")
                            % {"field": self._label("tax_id" if field == "tax_key" else field)}
                        )
        if owner is not None and client.owner_id is None:
            changes["owner"] = owner
            if owner.team_id and client.team_id is None:
                changes["team"] = owner.team
        existing_tags = {t.key for t in client.tags.all()} if tags else set()
        new_tags = [t for t in tags if t[:50].casefold() not in existing_tags]
        if changes:
            changes["updated_by"] = self.by
            changes["updated_at"] = timezone.now()
            for name, value in changes.items():
                setattr(client, name, value)
            client.search_text = client_search_text(client)
            client.completeness_filled = filled_count(client)
            Client.objects.filter(pk=client.pk).update(
                **changes, search_text=client.search_text, completeness_filled=client.completeness_filled
            )
        if new_tags:
            client.tags.add(*self._tags(new_tags))
        if external_id and self._external(ImportKind.CLIENTS, external_id) is None:
            self._remember(ImportKind.CLIENTS, external_id, client.pk)
        filled = [
            self._label(n) for n in changes if n not in ("updated_by", "updated_at", "tax_key", "phone_raw")
        ]
        if new_tags:
            filled.append(str(self.labels["tags"]))
        matched = _("matched client #%(id)s by %(how)s") % {"id": client.pk, "how": how}
        if not filled:
            return RowResult(line, Outcome.UNCHANGED, client.pk, matched)
        if not self.job.dry_run:
            self.updated_ids.append(client.pk)
        return RowResult(
            line,
            Outcome.UPDATED,
            client.pk,
            _("%(matched)s; filled: %(fields)s")
            % {
                "matched": matched,
                "fields": ", ".join(filled),
            },
        )

    # -- contacts --

    def _find_client(self, row: dict[str, str]) -> Client:
        tried: list[str] = []
        external_id = row.get("client_external_id", "")
        if external_id:
            pk = self._external(ImportKind.CLIENTS, external_id)
            client = Client.objects.select_related("team").filter(pk=pk).first() if pk else None
            if client is not None:
                return self._workable(client)
            tried.append(_("external id “%(value)s”") % {"value": external_id})
        tax_id = row.get("client_tax_id", "")
        if tax_id:
            keys = _tax_keys(tax_id, self.job.default_country)
            found = list(Client.objects.select_related("team").filter(tax_key__in=keys)[:2])
            if len(found) > 1:
                raise RowRejected(
                    _("%(field)s: several clients have this tax id; use the client's external id.")
                    % {"field": self.labels["client_tax_id"]}
                )
            if found:
                return self._workable(found[0])
            tried.append(_("tax id “%(value)s”") % {"value": tax_id})
        name = row.get("client", "")
        if name:
            matches = Client.objects.select_related("team").filter(name__iexact=name)
            if self.by is not None:
                matches = matches.filter(pk__in=Client.objects.visible_to(self.by).values("pk"))
            found = list(matches.order_by("is_archived", "pk")[:3])
            active = [c for c in found if not c.is_archived]
            if len(active) > 1:
                raise RowRejected(
                    _("%(field)s: several clients are called “%(name)s”; use the tax id or external id.")
                    % {"field": self.labels["client"], "name": name}
                )
            if found:
                return self._workable(found[0])
            tried.append(_("name “%(value)s”") % {"value": name})
        if not tried:
            raise RowRejected(_("The row does not say the contact's client."))
        raise RowRejected(_("No client you can see with %(what)s.") % {"what": _(" or ").join(tried)})

    def _workable(self, client: Client) -> Client:
        if not self._visible(Client, client.pk):
            raise RowRejected(_("The contact's client belongs to another team."))
        if client.is_archived:
            raise RowRejected(_("%(client)s is archived; restore it first.") % {"client": client})
        return client

    def _contact_row(self, line: int, row: dict[str, str]) -> RowResult:
        client = self._find_client(row)
        data: dict[str, Any] = {}
        first, last = row.get("first_name", ""), row.get("last_name", "")
        if not (first or last) and row.get("name"):
            parts = row["name"].split(None, 1)
            first, last = parts[0], parts[1] if len(parts) > 1 else ""
        data["first_name"], data["last_name"] = first, last
        if row.get("position"):
            data["position"] = row["position"]
        problems: dict[str, list[str]] = {}
        if row.get("role"):
            role = parse_role(row["role"])
            if role is None:
                problems["role"] = [
                    _("“%(value)s” is not a role; use one of: %(roles)s.")
                    % {"value": row["role"], "roles": ", ".join(str(r.label).lower() for r in ContactRole)}
                ]
            else:
                data["role"] = role
        emails = split_list(row.get("email", ""), emails=True)
        phones = split_list(row.get("phone", ""))
        if emails:
            data["email"], data["other_emails"] = emails[0], emails[1:]
        if phones:
            data["phone"], data["other_phones"] = phones[0], phones[1:]
        if row.get("birthday"):
            data["birthday"] = parse_date(row["birthday"])
        if row.get("language"):
            language = parse_language(row["language"])
            if language is None:
                problems["language"] = [
                    _("“%(value)s” is not one of our languages (%(codes)s).")
                    % {"value": row["language"], "codes": ", ".join(code for code, _l in settings.LANGUAGES)}
                ]
            else:
                data["preferred_language"] = language
        if row.get("notes"):
            data["notes"] = row["notes"]
        country = client.country or (client.team.default_country if client.team_id and client.team else "")
        values = _cleaned(clean_contact_values, data, problems, country=country or self.job.default_country)
        external_id = row.get("external_id", "")
        contact, how = self._match_contact(client, values, external_id)
        if contact is None:
            seen = next(
                (
                    self.dry_seen[k]
                    for k in self._contact_keys(client, values, external_id)
                    if k in self.dry_seen
                ),
                None,
            )
            if seen is not None:
                return seen.match(line, values, [])
            return self._contact_create(line, client, values, external_id)
        return self._contact_fill(line, contact, how, values, external_id)

    def _contact_keys(self, client: Client, values: dict[str, Any], external_id: str) -> list[str]:
        """A dry run's keys of a contact "created" in an earlier, rolled back batch."""
        if not self.job.dry_run:
            return []
        keys = [self._dry_key("contact-ext", external_id)] if external_id else []
        for name in ("email", "phone"):
            if values.get(name):
                keys.append(self._dry_key("contact", str(client.pk), name, values[name]))
        if (
            values.get("first_name")
            and values.get("last_name")
            and not (values.get("email") or values.get("phone"))
        ):
            keys.append(
                self._dry_key(
                    "contact", str(client.pk), fold(values["first_name"]), fold(values["last_name"])
                )
            )
        return keys

    def _match_contact(
        self, client: Client, values: dict[str, Any], external_id: str
    ) -> tuple[Contact | None, str]:
        pk = self._external(ImportKind.CONTACTS, external_id)
        if pk is not None:
            found = Contact.objects.filter(pk=pk).first()
            if found is not None:
                if found.client_id != client.pk:
                    raise RowRejected(
                        _(
                            "This external id is contact #%(id)s of another client; "
                            "move the contact on its card."
                        )
                        % {"id": found.pk}
                    )
                return found, str(_("external id"))
        at_client = Contact.objects.filter(client=client)
        if values.get("email"):
            same = Q(email=values["email"])
            if _json_contains_ok():
                same |= Q(other_emails__contains=values["email"])
            found = at_client.filter(same).first()
            if found is not None:
                return found, str(_("e-mail"))
        if values.get("phone"):
            found = at_client.filter(phone=values["phone"]).first()
            if found is not None:
                return found, str(_("phone"))
        first, last = values.get("first_name", ""), values.get("last_name", "")
        if first and last:
            # The same name is the same person unless their e-mails or phones say otherwise.
            for found in at_client.filter(first_name__iexact=first, last_name__iexact=last):
                email_differs = values.get("email") and found.email and found.email != values["email"]
                phone_differs = values.get("phone") and found.phone and found.phone != values["phone"]
                if not (email_differs or phone_differs):
                    return found, str(_("name"))
        return None, ""

    def _contact_create(
        self, line: int, client: Client, values: dict[str, Any], external_id: str
    ) -> RowResult:
        contact = Contact(client=client, created_by=self.by, **values)
        try:
            contact.full_clean()
        except ValidationError as exc:
            raise RowRejected(
                "; ".join(f"{self._label(k)}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from exc
        contact.search_text = contact_search_text(contact)
        contact.save()
        ContactMembership.objects.create(
            contact=contact,
            client=client,
            position=contact.position,
            role=contact.role,
            started_on=timezone.localdate(),
            created_by=self.by,
        )
        self._remember(ImportKind.CONTACTS, external_id, contact.pk)
        if self.job.dry_run:
            filled = {k for k, v in values.items() if v not in ("", None, [])}
            seen = _DrySeen(line, filled, set(), contact=True)
            for key in self._contact_keys(client, values, external_id):
                self.dry_seen[key] = seen
            return RowResult(line, Outcome.CREATED, reason=_("at client #%(id)s") % {"id": client.pk})
        self.created_ids.append(contact.pk)
        return RowResult(line, Outcome.CREATED, contact.pk, _("at client #%(id)s") % {"id": client.pk})

    def _contact_fill(
        self, line: int, contact: Contact, how: str, values: dict[str, Any], external_id: str
    ) -> RowResult:
        changes: dict[str, Any] = {}
        for name, value in values.items():
            if name == "phone_raw" or value in ("", None, []):
                continue
            if getattr(contact, name) in ("", None, []):
                changes[name] = value
                if name == "phone":
                    changes["phone_raw"] = values.get("phone_raw", "")
        if changes:
            changes["updated_by"] = self.by
            changes["updated_at"] = timezone.now()
            for name, value in changes.items():
                setattr(contact, name, value)
            contact.search_text = contact_search_text(contact)
            Contact.objects.filter(pk=contact.pk).update(**changes, search_text=contact.search_text)
            if {"position", "role"} & set(changes):
                ContactMembership.objects.filter(
                    contact=contact, ended_on__isnull=True, client_id=contact.client_id
                ).update(position=contact.position, role=contact.role)
        if external_id and self._external(ImportKind.CONTACTS, external_id) is None:
            self._remember(ImportKind.CONTACTS, external_id, contact.pk)
        matched = _("matched contact #%(id)s by %(how)s") % {"id": contact.pk, "how": how}
        filled = [self._label(n) for n in changes if n not in ("updated_by", "updated_at", "phone_raw")]
        if not filled:
            return RowResult(line, Outcome.UNCHANGED, contact.pk, matched)
        if not self.job.dry_run:
            self.updated_ids.append(contact.pk)
        return RowResult(
            line,
            Outcome.UPDATED,
            contact.pk,
            _("%(matched)s; filled: %(fields)s") % {"matched": matched, "fields": ", ".join(filled)},
        )


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


# --- Entry points --------------------------------------------------------------------------------


def records_import_run(
    *,
    job: ImportJob,
    by: Any = None,
    batch_size: int = BATCH_SIZE,
    progress: ProgressCallback | None = None,
    after_batch: ProgressCallback | None = None,
    force: bool = False,
) -> ImportJob:
    """Run or resume a clients/contacts job in this process (the worker and the CLI call this)."""
    runner = RecordsImportRunner(
        job, by=by or job.owner, batch_size=batch_size, progress=progress, after_batch=after_batch
    )
    return runner.run(force=force)


def records_import_file(
    *,
    kind: str,
    path: str | Path,
    by: Any = None,
    team: Team | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    default_country: str = "",
    batch_size: int = BATCH_SIZE,
    progress: ProgressCallback | None = None,
) -> ImportJob:
    """Create a job for a local file and run it inline (command line)."""
    with open(path, "rb") as stream:
        job = records_job_create(
            by=by,
            kind=kind,
            file=stream,
            name=Path(path).name,
            team=team,
            mapping=mapping,
            dry_run=dry_run,
            default_country=default_country,
            check_permission=by is not None,
        )
    resolve_mapping(job.columns, job.mapping, kind=kind)
    ImportJob.objects.filter(pk=job.pk).update(queued_at=timezone.now())
    return records_import_run(job=job, by=by, batch_size=batch_size, progress=progress)
