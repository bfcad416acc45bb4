"""Where the import task lived before file imports became their own app (`clientela.imports`).

A queued job is stored as its task's path (database queue, Redis, the outbox, failed jobs kept
for retry): jobs queued before the move name `clientela.intake.tasks.run_import`, and this name
keeps them runnable. Remove once no such job can be waiting (one release after the move). The
only import of `imports` from `intake`, a documented exception of the layer contract.
"""

from clientela.imports.tasks import run_import

__all__ = ["run_import"]
