"""`clientela serve` keeps serving when a helper dies: the worker (or scheduler) is restarted with
a back-off and its restarts are reported; only the web server's death (or a signal) stops all. The
worker itself waits out `database is locked` instead of dying."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import pytest
from django.db import OperationalError

from clientela.core import supervisor as supervision
from clientela.core.management.commands.worker import PatientWorker
from clientela.core.supervisor import Child, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.fixture
def quick_backoff(monkeypatch):
    monkeypatch.setattr(supervision, "FIRST_BACKOFF", 0.2)


def test_a_dead_worker_is_restarted_with_a_backoff_and_the_web_server_keeps_running(quick_backoff):
    worker, web = Child("worker", SLEEPER), Child("web server", SLEEPER, essential=True)
    boss = Supervisor([worker, web], tick=0.05, write_state=False)
    runner = threading.Thread(target=boss.run)
    runner.start()
    try:
        wait_for(lambda: worker.proc is not None and web.proc is not None)
        first, web_pid = worker.proc.pid, web.proc.pid
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: worker.restarts == 1 and worker.proc.pid != first and worker.proc.poll() is None)
        assert worker.last_exit == -signal.SIGKILL
        assert boss.state()["worker"]["restarts"] == 1 and boss.state()["worker"]["status"] == "running"
        assert web.proc.pid == web_pid and web.proc.poll() is None, "the web server was left alone"
        assert not boss.stopping
        # Dying again at once: the next restart waits twice as long.
        assert worker.backoff == pytest.approx(0.4)
        second = worker.proc.pid
        os.kill(second, signal.SIGKILL)
        wait_for(lambda: worker.restarts == 2 and worker.proc.pid != second)
        assert worker.backoff == pytest.approx(0.8)
    finally:
        boss.stop()
        runner.join(40)
    assert worker.proc.poll() is not None and web.proc.poll() is not None, "a stop stops every child"
    assert boss.exit_code == 0


def test_the_web_servers_death_stops_everything(quick_backoff):
    worker, web = Child("worker", SLEEPER), Child("web server", SLEEPER, essential=True)
    boss = Supervisor([worker, web], tick=0.05, write_state=False)
    runner = threading.Thread(target=boss.run)
    runner.start()
    wait_for(lambda: web.proc is not None and worker.proc is not None)
    os.kill(web.proc.pid, signal.SIGKILL)
    runner.join(40)
    assert boss.exit_code != 0 and worker.proc.poll() is not None and worker.restarts == 0


def test_the_helpers_state_is_written_for_the_health_check(quick_backoff, settings, tmp_path, client, db):
    settings.DATA_DIR = tmp_path
    worker, web = Child("worker", SLEEPER), Child("web server", SLEEPER, essential=True)
    boss = Supervisor([worker, web], tick=0.05)
    runner = threading.Thread(target=boss.run)
    runner.start()
    try:
        wait_for(lambda: supervision.background_state().get("worker", {}).get("status") == "running")
        os.kill(worker.proc.pid, signal.SIGKILL)
        wait_for(lambda: supervision.background_state().get("worker", {}).get("restarts") == 1)
        health = client.get("/health").json()
        assert health["background"]["worker"]["restarts"] == 1
        assert health["background"]["worker"]["last_exit"] == -signal.SIGKILL
    finally:
        boss.stop()
        runner.join(40)
    assert supervision.background_state() == {}, "nothing is reported once serve has stopped"


def test_the_worker_waits_out_a_locked_database_instead_of_dying(monkeypatch):
    calls: list[int] = []

    def flaky_run(self) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked")

    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.Worker.run", flaky_run)
    monkeypatch.setattr("clientela.core.management.commands.worker.time.sleep", lambda seconds: None)
    worker = PatientWorker(
        queue_names=["default"],
        interval=1,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="w-1",
        excluded_queue_names=[],
    )
    worker.run()
    assert len(calls) == 2, "it went on after the error"
