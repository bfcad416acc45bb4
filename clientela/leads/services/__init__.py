"""Every change to leads and interests (typed, permission-checked, audited, on the lead's
timeline), one module per part of a lead's life.

Where each rule lives:

* `lifecycle.py` — arrival and work: `lead_create` (classify, assign by the distribution rules,
  first task, first-response clock), `lead_touch` (a duplicate arrival), `lead_note_add`,
  `lead_assign` (by hand, or a manager taking a queued lead; `lead_follow_clock` when a head gives
  a waiting clock away), `lead_start_work`, `lead_qualify` (the team's checklist); and what the
  other modules share: `lead_event` (the timeline), `refresh_derived` (search keys, temperature,
  score), `require_open`, `set_status`, `FIRST_CONTACT_DUE` / `CALL_BACK_DUE`.
* `edit.py` — `lead_edit` (raw values through the lead's field rules, `leads/rules.py`) and
  `lead_update` (checked values; a temperature set by hand).
* `convert.py` — `lead_convert`: client (or a known one, never a duplicate of a working client),
  contact, and optionally a deal (`DealPlaceholder`) in one transaction.
* `refuse.py` — `lead_refuse` (reason, farewell letter, re-contact date), `lead_postpone`, and the
  return of postponed leads (`lead_return_from_postponement`, the sweep `leads_return_due`).
* `merge.py` — `lead_merge`: a duplicate joined into another lead, nothing deleted.
* `upgrade.py` — `interest_upgrade`: an interest becomes a lead when a person appears behind it.
* `bulk.py` — the lead list's bulk actions `leads_assign` / `leads_refuse`: all or nothing.

Team policy (distribution, temperature and refusal settings) is `leads/settings_services.py`;
background jobs (django-tasks) are `leads/tasks.py`, not this package.
"""
