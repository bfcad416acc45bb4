"""Client and contact pages, one module per sub-domain.

Thin doors: forms parse, `clients.selectors` read (scoped to the viewer), `clients.services`
write. A business rule broken shows next to its field; a permission refused by a service is
the 403 page; records the viewer may not see are 404.

Where each page lives:

* `client.py` — the **clients list** (filters, saved views, search, export), the pickers'
  autocomplete, the **client card**, its create and edit forms and buttons (archive, restore,
  delete, lost, reactivate), and the clients settings (the card norm).
* `contact.py` — the **contacts list** and export, the contact card with its employment history,
  its forms, archive/restore and the move to another client.
* `handover.py` — **handovers**: one client, the list's selection or a whole portfolio, and the
  summary the new personal manager gets.
* `saved_view.py` — **saved views** of both lists (save, remove, the list's menu of them).
* `common.py` — what every page does the same way (a button's service, a number from the query).
"""
