"""What the lead lifecycle tells the apps above it (`core.hooks`); the lead's tasks belong to the
activities app, which registers on these from its `ready()`.

* `LEAD_TASK_DUE(lead=, kind=, by=)` — a rule gives the lead a task: `kind` is
  "first_contact" or "call_back" (a new or newly assigned lead) or "recontact" (back from
  postponement; written by a job, in the reader's language).
* `LEAD_OWNER_CHANGED(lead=)` — the lead has a new owner (or went to the team queue): its open
  tasks follow.
* `LEAD_NEXT_STEP(lead=)` — one provider: the next step the lead's work agreed on, as
  `(date, subject)` or None; a deal started by the conversion plans it as its next step.
* `LEAD_CONVERTED(lead=, client=, contact=, deal=, by=)` — the lead became a client (and maybe a
  deal): what was agreed and done with it follows — its open tasks and promises are the new
  deal's (the client's when no deal started), its activities show on their timelines too.
  Called before `LEAD_CLOSED`.
* `LEAD_CLOSED(lead=, done_by=)` — converted, refused or postponed: its open tasks are done.
* `LEADS_MERGED(other=, target=)` — `other` was merged into `target`: the open tasks move.

* `CONVERSION_REASONS` — one provider (`ConversionReasons`): the conversion asks why the client
  came (`choices()` → `[(code, label)]`, shown on the conversion form and accepted by the API) and
  hands the answer to `record(by=, client=, codes=)` inside the conversion's transaction.

All are called inside the lifecycle service's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clientela.core.hooks import Hook

LEAD_TASK_DUE: Hook[Any] = Hook("leads.lead_task_due")
LEAD_OWNER_CHANGED: Hook[Any] = Hook("leads.lead_owner_changed")
LEAD_NEXT_STEP: Hook[Any] = Hook("leads.lead_next_step")
LEAD_CONVERTED: Hook[Any] = Hook("leads.lead_converted")
LEAD_CLOSED: Hook[Any] = Hook("leads.lead_closed")
LEADS_MERGED: Hook[Any] = Hook("leads.leads_merged")


@dataclass(frozen=True)
class ConversionReasons:
    """Why the client came, asked at conversion (the reasons are kept by the app above)."""

    choices: Callable[[], list[tuple[str, str]]]
    record: Callable[..., object]


CONVERSION_REASONS: Hook[Any] = Hook("leads.conversion_reasons")
