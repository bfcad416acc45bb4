"""The lead import's writes for one batch: new leads with their "created" events and first
tasks, interests, touches of existing leads, contacts and clients, and the notices about them;
written as plain rows (`bulk.BulkInserter`, COPY on PostgreSQL). A mixin of `leads.ImportRunner`,
which holds the run's state (writers, deriver, distributor, clocks).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db.models import F
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from clientela.activities import texts as activity_texts
from clientela.activities.choices import Priority, TaskKind
from clientela.activities.models import Task
from clientela.clients.models import Contact
from clientela.clients.services.derived import clients_touched
from clientela.core.language import reader_language
from clientela.core.notifications import notify
from clientela.core.texts import Label, Message, stored
from clientela.imports.bulk import BulkInserter, db_datetime
from clientela.imports.choices import RowOutcome
from clientela.imports.fast import Translations, fast_search_text
from clientela.imports.lead_stages import (
    _SOURCE_LABELS,
    Outcome,
    _Draft,
    _Existing,
    _search_index_in_bulk,
)
from clientela.imports.models import ImportJob
from clientela.leads import texts as lead_texts
from clientela.leads.choices import (
    LeadEventKind,
    LeadStatus,
    Temperature,
)
from clientela.leads.models import Interest, Lead, LeadEvent
from clientela.leads.services.lifecycle import FIRST_CONTACT_DUE
from clientela.users.models import User

# What recomputing a touched lead's temperature and score reads.
TOUCH_READS = (
    "first_name",
    "last_name",
    "company_name",
    "email",
    "phone",
    "source",
    "origin",
    "product",
    "message",
    "consent",
    "touch_count",
    "last_touch_at",
    "created_at",
    "temperature",
    "temperature_manual",
    "temperature_reasons",
    "owner_id",
    "team_id",
    "import_job_id",
)


class LeadWrites:
    """What a lead import batch writes (see the module's docstring)."""

    job: ImportJob
    by: User | None
    timings: dict[str, float]
    translate: Translations
    deriver: Any
    distributor: Any
    clocks: Any
    _pending_merges: list[tuple[Outcome, _Draft]]
    _touch_texts: dict[str, tuple[str, str | None]]

    if TYPE_CHECKING:  # what the runner provides

        def timer(self, phase: str) -> Any: ...  # a context manager timing a phase

    def _prepare_writers(self) -> None:
        self.lead_writer = BulkInserter(
            Lead,
            [
                "created_at",
                "updated_at",
                "created_by_id",
                "email",
                "email_raw",
                "phone",
                "phone_raw",
                "first_name",
                "last_name",
                "company_name",
                "position",
                "industry",
                "country",
                "region",
                "city",
                "source",
                "origin",
                "campaign",
                "product",
                "message",
                "external_id",
                "consent",
                "consent_at",
                "consent_source",
                "status",
                "temperature",
                "temperature_manual",
                "temperature_reasons",
                "score",
                "score_factors",
                "owner_id",
                "team_id",
                "assigned_at",
                "assignment_reason",
                "assignment_message",
                "last_touch_at",
                "touch_count",
                "search_text",
                "name_key",
                "import_job_id",
            ],
        )
        self.event_writer = BulkInserter(
            LeadEvent, ["lead_id", "at", "actor_id", "kind", "text", "text_message", "data"]
        )
        self.task_writer = BulkInserter(
            Task,
            [
                "created_at",
                "updated_at",
                "created_by_id",
                "kind",
                "title",
                "title_message",
                "due_at",
                "priority",
                "assignee_id",
                "team_id",
                "lead_id",
            ],
        )
        self.interest_writer = BulkInserter(
            Interest,
            [
                "created_at",
                "updated_at",
                "created_by_id",
                "email",
                "email_raw",
                "phone",
                "phone_raw",
                "name",
                "company_name",
                "source",
                "origin",
                "campaign",
                "product",
                "message",
                "country",
                "city",
                "team_id",
                "reason",
                "import_job_id",
            ],
        )

    def _create_leads(self, drafts: list[_Draft], now: dt.datetime, outcomes: list[Outcome | None]) -> None:
        _ = self.translate
        deriver, distributor = self.deriver, self.distributor
        clock = time.perf_counter()
        for draft in drafts:
            draft.last_touch_at = draft.created_at = now
            deriver.apply(draft)  # as lead_create: one touch, then distribution
            draft.owner, draft.reason = distributor.decide(draft)
            draft.first_temperature = draft.temperature  # what the response clock is budgeted on
            if draft.touches:
                # later rows of the file touched it: recompute as lead_touch would
                draft.touch_count = 1 + draft.touches
                deriver.apply(draft)
            outcome = Outcome(draft.line, RowOutcome.CREATED)
            if self.job.dry_run:
                outcome.reason = draft.reason
            outcomes[draft.index] = outcome
        self.timings["temperature, score, distribution"] += time.perf_counter() - clock
        if self.job.dry_run or not drafts:
            for outcome, target in self._pending_merges:
                outcome.lead_id = target.id
            self._pending_merges = []
            return
        clock = time.perf_counter()
        ids = self.lead_writer.reserve_ids(len(drafts))
        at = db_datetime(now)
        by_id = self.by.pk if self.by else None
        team_id = self.job.team_id
        job_id = self.job.pk
        rows = []
        events: list[tuple[Any, ...]] = []
        tasks = []
        due = db_datetime(now + FIRST_CONTACT_DUE)
        created_text_cache: dict[str, tuple[str, str]] = {}
        for draft, pk in zip(drafts, ids, strict=True):
            draft.id = pk
            v = draft.values
            owner_id = draft.owner.pk if draft.owner else None
            reason_text, reason_json = _stored_json(draft.reason, 300)
            rows.append(
                (
                    pk,
                    at,
                    at,
                    by_id,
                    v["email"],
                    v["email_raw"],
                    v["phone"],
                    v["phone_raw"],
                    v["first_name"],
                    v["last_name"],
                    v["company_name"],
                    v["position"],
                    v["industry"],
                    v["country"],
                    v["region"],
                    v["city"],
                    v["source"],
                    v["origin"],
                    v["campaign"],
                    v["product"],
                    v["message"],
                    v["external_id"],
                    v["consent"],
                    at if v["consent"] else None,
                    v["consent_source"],
                    LeadStatus.NEW.value,
                    draft.temperature,
                    draft.temperature_manual,
                    json.dumps(draft.temperature_reasons),
                    draft.score,
                    draft.score_json,
                    owner_id,
                    team_id,
                    at if owner_id else None,
                    reason_text,
                    reason_json,
                    at,
                    draft.touch_count,
                    fast_search_text(
                        draft.first_name,
                        draft.last_name,
                        draft.company_name,
                        draft.email,
                        draft.phone.lstrip("+"),
                    ),
                    v["name_key"],
                    job_id,
                )
            )
            source_label = draft.get_source_display()
            created = created_text_cache.get(draft.source)
            if created is None:  # lead_create's line, once per source
                message = Message(lead_texts.CREATED, source=Label("lead_source", draft.source, source_label))
                created = created_text_cache[draft.source] = (
                    message.fallback(),
                    json.dumps(message.as_json()),
                )
            events.append(
                (
                    None,
                    pk,
                    at,
                    by_id,
                    LeadEventKind.CREATED.value,
                    *created,
                    json.dumps({"import_job": job_id, "line": draft.line, "assignment": reason_text}),
                )
            )
            for details in draft.touch_details:
                events.append(
                    (
                        None,
                        pk,
                        at,
                        by_id,
                        LeadEventKind.TOUCH.value,
                        *self._touch_text(details),
                        json.dumps(details),
                    )
                )
            hot = draft.temperature == Temperature.HOT
            tasks.append(
                (
                    None,
                    at,
                    at,
                    by_id,
                    TaskKind.FIRST_CONTACT.value,
                    *_stored_json(Message(activity_texts.FIRST_CONTACT, name=str(draft)), 200),
                    due,
                    (Priority.HIGH if hot else Priority.NORMAL).value,
                    owner_id,
                    team_id,
                    pk,
                )
            )
        self.timings["build rows"] += time.perf_counter() - clock
        with self.timer("write leads"), _search_index_in_bulk(ids[0], ids[-1]):
            self.lead_writer.insert(rows)
        with self.timer("write events"):
            event_ids = self.event_writer.reserve_ids(len(events))
            self.event_writer.insert((pk, *row[1:]) for pk, row in zip(event_ids, events, strict=True))
        with self.timer("write tasks"):
            task_ids = self.task_writer.reserve_ids(len(tasks))
            self.task_writer.insert((pk, *row[1:]) for pk, row in zip(task_ids, tasks, strict=True))
        with self.timer("start response clocks"):
            self.clocks.start(drafts, now)
        for outcome, target in self._pending_merges:
            outcome.lead_id = target.id
            outcome.merged_into = f"lead #{target.id}"
        self._pending_merges = []

    def _create_interests(
        self,
        interests: list[tuple[int, int, dict[str, Any], str]],
        now: dt.datetime,
        outcomes: list[Outcome | None],
    ) -> None:
        if self.job.dry_run:
            for index, line, _values, why in interests:
                outcomes[index] = Outcome(line, RowOutcome.INTEREST, reason=why)
            return
        ids = self.interest_writer.reserve_ids(len(interests))
        at = db_datetime(now)
        by_id = self.by.pk if self.by else None
        rows = []
        for (index, line, v, why), pk in zip(interests, ids, strict=True):
            outcomes[index] = Outcome(line, RowOutcome.INTEREST, interest_id=pk, reason=why)
            rows.append(
                (
                    pk,
                    at,
                    at,
                    by_id,
                    v["email"],
                    v["email_raw"],
                    v["phone"],
                    v["phone_raw"],
                    f"{v['first_name']} {v['last_name']}".strip()[:200],
                    v["company_name"],
                    v["source"],
                    v["origin"],
                    v["campaign"],
                    v["product"],
                    v["message"],
                    v["country"],
                    v["city"],
                    self.job.team_id,
                    why[:200],
                    self.job.pk,
                )
            )
        self.interest_writer.insert(rows)

    def _touch_existing(self, touches: dict[int, list[tuple[int, dict[str, Any]]]], now: dt.datetime) -> None:
        """Existing open leads got in touch again: count, timeline, temperature/score, owner told."""
        if not touches:
            return
        leads = list(Lead.objects.filter(pk__in=list(touches)).only(*TOUCH_READS))
        events = []
        at = db_datetime(now)
        by_id = self.by.pk if self.by else None
        per_owner: dict[int, int] = defaultdict(int)
        # Leads that end up with the same new values are updated together: a handful of
        # UPDATEs per batch instead of one per lead (or Django's slow CASE-per-row bulk_update).
        groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for lead in leads:
            arrivals = touches[lead.pk]
            lead.touch_count += len(arrivals)
            lead.last_touch_at = now
            temperature, reasons = self.deriver.temperature(lead)
            lead.temperature, lead.temperature_reasons = temperature, [str(r) for r in reasons]
            score, _factors, factors_json = self.deriver.score(lead)
            key = (len(arrivals), temperature, json.dumps(lead.temperature_reasons), score, factors_json)
            groups[key].append(lead.pk)
            for _line, details in arrivals:
                events.append(
                    (LeadEventKind.TOUCH.value, lead.pk, *self._touch_text(details), json.dumps(details))
                )
            if lead.owner_id and lead.import_job_id != self.job.pk:
                per_owner[lead.owner_id] += len(arrivals)
        for (count, temperature, reasons_json, score, factors_json), ids in groups.items():
            Lead.objects.filter(pk__in=ids).update(
                touch_count=F("touch_count") + count,
                last_touch_at=now,
                temperature=temperature,
                temperature_reasons=json.loads(reasons_json),
                score=score,
                score_factors=json.loads(factors_json),
            )
        ids = self.event_writer.reserve_ids(len(events))
        self.event_writer.insert(
            (pk, lead_id, at, by_id, kind, text, message, data)
            for pk, (kind, lead_id, text, message, data) in zip(ids, events, strict=True)
        )
        owners = User.objects.in_bulk(list(per_owner))
        for owner_id, count in per_owner.items():
            owner = owners.get(owner_id)
            with translation.override(reader_language(owner, None)):
                text = _("%(count)s of your leads got in touch again (import “%(file)s”).") % {
                    "count": count,
                    "file": self.job.original_name,
                }
            notify(
                user=owner, verb="lead_touch", text=text, url=reverse("imports:detail", args=[self.job.pk])
            )

    def _touch_text(self, details: dict[str, Any]) -> tuple[str, str | None]:
        """'Came in again via Exhibition' (lead_touch's line): its text and message, once per source."""
        source = details["source"]
        text = self._touch_texts.get(source)
        if text is None:
            label = Label("lead_source", source, _SOURCE_LABELS.get(source, source))
            text = self._touch_texts[source] = _stored_json(Message(lead_texts.TOUCH, source=label))
        return text

    def _touch_clients(self, other_touches: list[_Existing], now: dt.datetime) -> None:
        """Clients got in touch (themselves or through a contact): their last contact moves."""
        client_ids = {t.id for t in other_touches if t.kind == "client"}
        contact_ids = {t.id for t in other_touches if t.kind == "contact"}
        if contact_ids:
            client_ids.update(Contact.objects.filter(pk__in=contact_ids).values_list("client_id", flat=True))
        clients_touched(client_ids=client_ids, at=now)

    def _notify_others(self, other_touches: list[_Existing]) -> None:
        per_owner: dict[int, int] = defaultdict(int)
        for target in other_touches:
            if target.owner_id:
                per_owner[target.owner_id] += 1
        owners = User.objects.in_bulk(list(per_owner))
        for owner_id, count in per_owner.items():
            owner = owners.get(owner_id)
            with translation.override(reader_language(owner, None)):
                text = _("%(count)s of your clients or contacts got in touch again (import “%(file)s”).") % {
                    "count": count,
                    "file": self.job.original_name,
                }
            notify(
                user=owner, verb="client_touch", text=text, url=reverse("imports:detail", args=[self.job.pk])
            )


def _stored_json(text: Any, limit: int | None = None) -> tuple[str, str | None]:
    """`core.texts.stored` for a raw row: the plain text and the message as JSON text."""
    plain, message = stored(text, limit)
    return plain, json.dumps(message) if message is not None else None
