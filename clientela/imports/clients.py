"""Importing clients: one row of a clients file matched (external id, tax id, registration
number) and created or completed. A mixin of `records.RecordsImportRunner`, which runs the job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.clients.choices import RevenueBand
from clientela.clients.completeness import filled_count
from clientela.clients.models import Client, Contact, Tag
from clientela.clients.search import client_search_text
from clientela.clients.services.rules import clean_client_values
from clientela.imports.models import ImportJob, ImportKind
from clientela.imports.rows import (
    Outcome,
    RowRejected,
    RowResult,
    _cleaned,
    _DrySeen,
    _whole_number,
    parse_revenue,
    split_list,
)
from clientela.users.models import Team, User


class ClientRows:
    """A clients file's rows (see the module's docstring)."""

    job: ImportJob
    by: User | None
    dry_seen: dict[str, _DrySeen]
    created_ids: list[int]
    updated_ids: list[int]

    if TYPE_CHECKING:  # what the records runner provides
        labels: dict[str, Any]

        def _label(self, name: str) -> str: ...
        def _visible(self, model: type[Client] | type[Contact], pk: int) -> bool: ...
        def _owner(self, value: str) -> User | None: ...
        def _external(self, kind: str, external_id: str) -> int | None: ...
        def _remember(self, kind: str, external_id: str, pk: int) -> None: ...
        def _dry_key(self, *parts: str) -> str: ...

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
