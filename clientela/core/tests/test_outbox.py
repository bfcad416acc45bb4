"""Redis down: the web keeps working, jobs wait in the outbox, and are delivered in order, once,
when Redis is back — against a real private redis-server and a real RQ worker."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest
from django.core import mail

from clientela.core.models import CompletedJob, TaskOutbox
from clientela.core.tasks import enqueue_now, outbox_drain
from clientela.core.tests.jobs import flaky


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server this test starts and stops on a free loopback port."""

    def __init__(self, folder) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        for _ in range(100):
            try:
                redis.Redis(port=self.port).ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def private_redis(tmp_path, settings):
    if shutil.which("redis-server") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server must be installed under CI (./test installs it)")
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    settings.RQ_QUEUES = {name: {"URL": server.url, "DEFAULT_TIMEOUT": 60} for name in settings.TASK_QUEUES}
    settings.TASKS = {
        "default": {"BACKEND": "clientela.core.tasks.ResilientRQBackend", "QUEUES": settings.TASK_QUEUES}
    }
    yield server
    server.stop()


def run_rq_worker() -> None:
    import django_rq
    from django_tasks_rq.backend import Job
    from rq.worker import SimpleWorker

    worker = django_rq.get_worker("default", "email", job_class=Job, worker_class=SimpleWorker)
    worker.work(burst=True, with_scheduler=True)


@pytest.mark.django_db(transaction=True)
def test_redis_down_keeps_the_web_working_and_loses_no_job(private_redis, client, world, settings):
    import django_rq

    private_redis.stop()
    # A page whose service enqueues a job on commit (the password-reset e-mail) still answers.
    response = client.post("/password/reset/", {"email": "mnorth@example.com"})
    assert response.status_code in (200, 302)
    # Direct enqueues through the resilient backend and through enqueue_now are kept too.
    result = flaky.enqueue(key="o1", failures=0)
    enqueue_now(flaky, key="o2", failures=0)
    rows = list(TaskOutbox.objects.order_by("seq"))
    assert [row.task_path.rsplit(".", 1)[1] for row in rows] == [
        "send_password_reset_email",
        "flaky",
        "flaky",
    ]
    assert rows[1].job_id == result.id and rows[1].kwargs == {"key": "o1", "failures": 0}
    assert "Connection" in rows[0].last_error or "connect" in rows[0].last_error.lower()

    assert outbox_drain() == 0, "still down: nothing delivered, nothing lost"
    assert TaskOutbox.objects.count() == 3
    assert TaskOutbox.objects.order_by("seq").first().attempts == 1

    private_redis.start()
    assert outbox_drain() == 3
    assert not TaskOutbox.objects.exists()
    queued = django_rq.get_queue("default").job_ids + django_rq.get_queue("email").job_ids
    assert set(queued) == {row.job_id for row in rows}, "each job under its own id"
    assert django_rq.get_queue("default").job_ids == [rows[1].job_id, rows[2].job_id], "in order"
    assert outbox_drain() == 0

    run_rq_worker()
    assert CompletedJob.objects.filter(key__in=["o1:done", "o2:done"]).count() == 2
    assert CompletedJob.objects.filter(key__startswith="o1:attempt").count() == 1, "ran once"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["mnorth@example.com"]


@pytest.mark.django_db(transaction=True)
def test_a_row_delivered_before_a_crash_is_not_delivered_twice(private_redis):
    import django_rq

    private_redis.stop()
    flaky.enqueue(key="c1", failures=0)
    row = TaskOutbox.objects.get()
    private_redis.start()
    outbox_drain()
    # The process died after handing the job to Redis but before deleting the row: the row is back.
    TaskOutbox.objects.create(
        job_id=row.job_id, task_path=row.task_path, queue_name=row.queue_name, kwargs=row.kwargs
    )
    assert outbox_drain() == 1
    assert django_rq.get_queue("default").job_ids == [row.job_id]
    run_rq_worker()
    assert CompletedJob.objects.filter(key__startswith="c1:attempt").count() == 1


@pytest.mark.django_db(transaction=True)
def test_with_the_plain_rq_backend_jobs_enqueued_on_commit_fall_back_too(
    private_redis, client, world, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": settings.TASK_QUEUES}}
    private_redis.stop()
    assert client.post("/password/reset/", {"email": "mnorth@example.com"}).status_code in (200, 302)
    assert TaskOutbox.objects.get().task_path.endswith("send_password_reset_email")
    private_redis.start()
    assert outbox_drain() == 1
    run_rq_worker()
    assert len(mail.outbox) == 1
