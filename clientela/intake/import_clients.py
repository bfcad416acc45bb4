"""Where the clients and contacts import task lived before file imports became their own app.

Jobs queued before the move name `clientela.intake.import_clients.run_records_import`; this
name keeps them runnable (see `intake.tasks`). Remove one release after the move.
"""

from clientela.imports.tasks import run_records_import

__all__ = ["run_records_import"]
