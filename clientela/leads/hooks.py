"""What the lead lifecycle tells the apps above it (`core.hooks`); the lead's tasks belong to the
activities app, which registers on these from its `ready()`.

* `LEAD_TASK_DUE(lead=, kind=, by=)` — a rule gives the lead a task: `kind` is
  "first_contact" or "call_back" (a new or newly assigned lead) or "recontact" (back from
  postponement; written by a job, in the reader's language).
* `LEAD_OWNER_CHANGED(lead=)` — the lead has a new owner (or went to the team queue): its open
  tasks follow.
* `LEAD_CLOSED(lead=, done_by=)` — converted, refused or postponed: its open tasks are done.
* `LEADS_MERGED(other=, target=)` — `other` was merged into `target`: the open tasks move.

All are called inside the lifecycle service's transaction.
"""

from __future__ import annotations

from typing import Any

from clientela.core.hooks import Hook

LEAD_TASK_DUE: Hook[Any] = Hook("leads.lead_task_due")
LEAD_OWNER_CHANGED: Hook[Any] = Hook("leads.lead_owner_changed")
LEAD_CLOSED: Hook[Any] = Hook("leads.lead_closed")
LEADS_MERGED: Hook[Any] = Hook("leads.leads_merged")
