"""Every change to clients and contacts (typed, permission-checked, audited, atomic), one module per
sub-domain. Doors (pages, API, demo, imports) hand in plain values and render the errors.

Where each rule lives:

* `rules.py` — the **field rules** of a client and a contact, declared once: `clean_client_values`
  and `clean_contact_values` turn what arrived into field values (canonical legal ids per country,
  E.164 phones, lowercased e-mails; text limits from the models' columns) or raise one 422 naming
  every bad field (`invalid`).
* `client.py` — the **client card**: create (who may be the personal manager: `OWNING_ROLES`,
  `owner_candidates`), update, legal ids unique per country, head office and branches, tags,
  archive/restore, delete (only a client nothing refers to), lost/reactivate; the card norm's
  policy (`client_policy_update`).
* `contact.py` — **contacts**: create, update, archive/restore, and moves to another client with
  the employment history (`ContactMembership`) kept.
* `handover.py` — **handovers** to a new personal manager (heads and admins), the notices and the
  summary; `handover_move_rows` moves other apps' rows that follow (their
  `clients.hooks.client_handed_over` hooks).
* `derived.py` — values stored from what happens elsewhere: the search key, and the last activity /
  last contact that `clients.status` reads (`client_record_activity`, `clients_touched`).
* `loyalty.py` — the client's loyalty **price list**, through the provider on
  `clients.hooks.price_lists`.
* `saved_view.py` — a person's **saved list filters**.

The hooks other apps register on are `clients/hooks.py`, `clients/status.py` and
`clients/selectors.py`, not this package.
"""
