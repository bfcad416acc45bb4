"""Importing contacts: one row of a contacts file finds its client (external id, tax id or
name) and is matched at it (external id, e-mail, phone, name), then created or completed. A
mixin of `records.RecordsImportRunner`, which runs the job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.clients.choices import ContactRole
from clientela.clients.models import Client, Contact, ContactMembership
from clientela.clients.search import contact_search_text
from clientela.clients.services.rules import clean_contact_values
from clientela.core.normalise import fold
from clientela.imports.models import ImportJob, ImportKind
from clientela.imports.rows import (
    Outcome,
    RowRejected,
    RowResult,
    _cleaned,
    _DrySeen,
    _json_contains_ok,
    _tax_keys,
    parse_date,
    parse_language,
    parse_role,
    split_list,
)
from clientela.users.models import User


class ContactRows:
    """A contacts file's rows (see the module's docstring)."""

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
