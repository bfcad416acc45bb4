"""The one way a lower app lets a higher one do its part (decision 0013).

Apps sit in layers (`docs/architecture.md`): an app imports only the apps below it. When a lower
app needs work that a higher one owns — the client card shows the deals' figures, a handover
moves tasks and threads, a lead's lifecycle moves its tasks, the scheduler runs every app's
sweeps — the lower app declares a `Hook` (a named, typed extension point, in its `hooks.py` or
beside the code that calls it) and calls what is registered; the higher app registers its
function from its `AppConfig.ready()`. Calls are explicit and synchronous, inside the caller's
transaction: no Django signals, no string imports, no imports inside functions to dodge a loop.

    # clients/hooks.py (lower)                # activities/apps.py (higher), in ready()
    client_handed_over = Hook[HandoverHook](   from clientela.clients.hooks import client_handed_over
        "clients.client_handed_over")          client_handed_over.register(move_tasks_on_handover)

    # clients/services/handover.py
    for hook in client_handed_over: hook(by=by, ...)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Hook(Generic[F]):
    """A named extension point: implementations in registration order (apps' `ready()` run in
    INSTALLED_APPS order, which follows the layers)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._registered: list[F] = []

    def register(self, fn: F) -> F:
        """Add an implementation (once; registering the same function again is harmless)."""
        if fn not in self._registered:
            self._registered.append(fn)
        return fn

    def unregister(self, fn: F) -> None:
        """Take an implementation out again (a test that plugged one in for its duration)."""
        if fn in self._registered:
            self._registered.remove(fn)

    def provide(self, fn: F) -> F:
        """Be the one implementation of a hook that has a single provider (`one()`)."""
        self._registered[:] = [fn]
        return fn

    def one(self) -> F | None:
        """The single provider, or None when no app provides it."""
        return self._registered[-1] if self._registered else None

    def __iter__(self) -> Iterator[F]:
        return iter(list(self._registered))

    def __len__(self) -> int:
        return len(self._registered)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._registered)} registered>"
