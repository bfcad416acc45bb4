"""`clientela serve` end to end: a fresh data folder, migrations, gunicorn, the worker, static files,
and a dead worker restarted while the web keeps serving."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from django.conf import settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
        return response.status, response.read().decode("utf-8", "replace")


def test_serve_answers_with_login_page_health_and_static_files(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIENTELA_")}
    env.update({"CLIENTELA_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "clientela.settings"})
    # Into a file, not a pipe nobody reads while it runs (a full pipe would block the server).
    output = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "clientela.cli", "serve", "--port", str(port), "--workers", "1"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Migrations on a fresh database take a while on a busy machine.
        deadline = time.monotonic() + 300
        while True:
            try:
                status, body = fetch(f"{base}/health")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError((tmp_path / "serve.log").read_text(errors="replace")) from None
                time.sleep(0.5)
        assert status == 200 and '"database": "ok"' in body
        status, page = fetch(f"{base}/login/")
        assert status == 200 and "Clientela" in page
        css = page.split('href="', 2)[1].split('"')[0]
        assert css.startswith("/static/vendor/tabler/tabler.min.") and css.endswith(".css")
        status, _css = fetch(base + css)
        assert status == 200
        assert (tmp_path / "secret_key").exists(), "a secret key is generated into the data folder"
        assert (tmp_path / "clientela.sqlite3").exists()

        # The worker dies (say, `database is locked` escaped a job): it is restarted, the web
        # keeps answering, and /health says so.
        state_file = tmp_path / "run" / "background.json"
        worker_pid = json.loads(state_file.read_text())["worker"]["pid"]
        os.kill(worker_pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:
            status, body = fetch(f"{base}/health")
            assert status == 200, "the web server kept serving"
            worker = json.loads(body).get("background", {}).get("worker", {})
            if worker.get("restarts") == 1 and worker.get("status") == "running":
                break
            assert proc.poll() is None and time.monotonic() < deadline, body
            time.sleep(0.3)
        new_pid = json.loads(state_file.read_text())["worker"]["pid"]
        assert new_pid != worker_pid and os.path.exists(f"/proc/{new_pid}")
        assert fetch(f"{base}/login/")[0] == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=40)
        output.close()
    assert proc.returncode == 0
