"""Every change to activities and tasks (typed, permission-checked, audited), one module per rule.

Where each rule lives:

* `records.py` — what an activity or task is about: linked to records the author may see, the
  contact's / deal's client filled in, the team following the record; who counts as a worker
  (`by=None` is the system: inbound mail, a job); when a record is closed.
* `next_step.py` — the **next-step rule** (SPEC §6): closing a call or meeting needs the agreed
  next contact (date and subject), unless every linked lead/deal is closed or the user says why
  there is none.
* `log.py` — the **activity log**: `activity_log` (anything done with a record; an outbound touch
  that reached a lead stops its response clocks), `call_log` / `meeting_log` (with the next step
  and the **promises** given, as tasks), and the summary e-mail after a conversation.
* `task.py` — **tasks**: create, edit, complete (a call/meeting task follows the next-step rule;
  a **recurring** task gets its next occurrence, once), reopen, reassign; a task with a reminder
  gets its deferred job.
* `reminders.py` — sending a due **reminder** once, and the sweep that catches lost jobs.

The keep-alive rule and its team policy are `activities/keepalive.py`; a lead's tasks through its
lifecycle `activities/lead_tasks.py`. Background jobs (django-tasks) are `activities/tasks.py`, not
this package.
"""
