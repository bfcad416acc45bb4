"""Lead and interest pages, one module per page or family of doors.

Thin doors: forms parse, `leads.selectors` read (scoped to the viewer), `leads.services` write.
A business rule broken shows next to its field; a permission refused by a service is the 403 page;
invisible records are 404.

* `listing.py` — the lead list (filters, paging, the HTMX table), bulk assign / refuse, saved views.
* `card.py` — the lead card and the quick actions it offers (`Action`, built with fresh forms).
* `actions.py` — what the card's actions post to: edit, qualify, convert (and its client search),
  refuse, postpone, assign, start, take, merge, note; `action_done` (a message, then the card).
* `interests.py` — the interest list and the upgrade of an interest to a lead.
* `questionnaire.py` — the farewell letter's public questionnaire.

The new-lead page is `intake/lead_entry.py` (beside the pipeline it runs); team policy pages are
`leads/settings_views.py`; the JSON API is `leads/api.py`.
"""
