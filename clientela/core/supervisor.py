"""What `clientela serve` runs beside the web server, kept alive.

The web server (gunicorn) is essential: when it dies, everything stops. The background worker and
the scheduler are helpers: when one dies (a crash, `database is locked` escaping a job, killed by
the system) it is restarted after a back-off (1 s, 2 s, 4 s … at most a minute; a child that ran a
while starts again from 1 s) and the web keeps serving. Each exit is logged, and the children's
state is written to a small JSON file that `/health` shows (`background`), so an admin sees that
the worker was restarted, how often and why. Only SIGTERM/SIGINT (or gunicorn's death) stops all.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

log = logging.getLogger("clientela.serve")

# Back-off before restarting a helper that died: doubles per quick death, capped.
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0
# A helper that ran this long before dying is restarted at once (from the first back-off).
HEALTHY_AFTER = 60.0


def state_path() -> Path:
    return Path(settings.DATA_DIR) / "run" / "background.json"


def background_state() -> dict[str, Any]:
    """The helpers' state as the running `clientela serve` last wrote it ({} when not supervised)."""
    try:
        return json.loads(state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    essential: bool = False
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = 0.0  # the next restart's delay (FIRST_BACKOFF to begin with)
    restart_at: float | None = None
    last_exit: int | None = None
    last_exit_at: str = ""
    history: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.backoff = self.backoff or FIRST_BACKOFF

    def start(self) -> None:
        self.proc = subprocess.Popen(list(self.argv))
        self.started_at = time.monotonic()
        self.restart_at = None

    def as_state(self) -> dict[str, Any]:
        running = self.proc is not None and self.proc.poll() is None
        return {
            "status": "running" if running else "restarting",
            "pid": self.proc.pid if running and self.proc else None,
            "restarts": self.restarts,
            "last_exit": self.last_exit,
            "last_exit_at": self.last_exit_at,
        }


class Supervisor:
    """Start the children, restart the helpers that die, stop everything on a signal or when an
    essential child dies. `run()` returns the exit code for `clientela serve`."""

    def __init__(self, children: Sequence[Child], *, tick: float = 0.5, write_state: bool = True) -> None:
        self.children = list(children)
        self.tick = tick
        self.write_state = write_state
        self.stopping = False
        self.exit_code = 0

    def stop(self, signum: int | None = None, frame: Any = None) -> None:
        self.stopping = True

    def install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def run(self) -> int:
        for child in self.children:
            child.start()
        self._save_state()
        try:
            while not self.stopping:
                self.check()
                time.sleep(self.tick)
        finally:
            self.shutdown()
        return self.exit_code

    def check(self) -> None:
        """One look at the children: note deaths, stop on an essential one, restart the helpers due."""
        now = time.monotonic()
        changed = False
        for child in self.children:
            if child.proc is None:
                continue
            if child.restart_at is None:
                code = child.proc.poll()
                if code is None:
                    continue
                changed = True
                child.last_exit = code
                child.last_exit_at = timezone.now().isoformat(timespec="seconds")
                if child.essential:
                    log.error("%s exited with %s; stopping.", child.name, code)
                    self.exit_code = code or 1
                    self.stopping = True
                    return
                if now - child.started_at >= HEALTHY_AFTER:
                    child.backoff = FIRST_BACKOFF
                child.restart_at = now + child.backoff
                log.error(
                    "The %s exited with %s; restarting it in %g s (the web server keeps serving).",
                    child.name,
                    code,
                    child.backoff,
                )
                child.backoff = min(child.backoff * 2, MAX_BACKOFF)
            elif now >= child.restart_at:
                child.restarts += 1
                child.start()
                changed = True
                log.warning("The %s was restarted (restart %s).", child.name, child.restarts)
        if changed:
            self._save_state()

    def shutdown(self) -> None:
        for child in self.children:
            if child.proc is not None and child.proc.poll() is None:
                child.proc.terminate()
        for child in self.children:
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                child.proc.kill()
        if self.write_state:
            with contextlib.suppress(OSError):
                state_path().unlink()

    def state(self) -> dict[str, Any]:
        return {child.name: child.as_state() for child in self.children if not child.essential}

    def _save_state(self) -> None:
        if not self.write_state:
            return
        path = state_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(self.state()), encoding="utf-8")
            temporary.replace(path)
        except OSError as exc:
            log.warning("Could not record the background state: %s", exc)
