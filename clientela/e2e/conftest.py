"""The browser fixtures: one live Clientela per test session, Chromium, and signed-in pages.

The server is the product as a small team runs it: `clientela serve` (gunicorn, the background
worker and the scheduler) on a fresh SQLite database in a temporary data folder, loaded with the
demo data. It runs in its own processes, so a test reaches its data only the way a user or an
integrator does (pages, the API) or through `app_server.shell(...)`, a `clientela shell -c`
in the server's environment, for set-up and for checks a screen cannot show.

Screenshots go to `$CLIENTELA_SCREENSHOT_DIR` (default `var/screenshots/`), one folder per test.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "clientela-demo"  # noqa: S105 (the demo data's published password)
CHROMIUM = os.environ.get("CLIENTELA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("CLIENTELA_SCREENSHOT_DIR") or ROOT / "var" / "screenshots")
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
# Chromium as root in a container, with no network beyond loopback: no sandbox, no GPU, and none
# of the background connections that a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class AppServer:
    url: str
    env: dict[str, str]
    data_dir: Path

    def manage(self, *args: str, input: str | None = None) -> str:
        """Run a `clientela` command against the server's database; its standard output."""
        done = subprocess.run(
            [sys.executable, "-m", "clientela.cli", *args],
            env=self.env,
            cwd=ROOT,
            input=input,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode:
            raise AssertionError(f"clientela {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def shell(self, code: str) -> str:
        """Run Python in the server's environment (Django set up); what it printed, stripped."""
        return self.manage("shell", "-c", code).strip()


def _server_env(data_dir: Path, port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CLIENTELA_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="clientela.settings",
        CLIENTELA_DATA_DIR=str(data_dir),
        CLIENTELA_SITE_URL=f"http://127.0.0.1:{port}",
        CLIENTELA_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"clientela serve exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"clientela serve did not answer within {seconds} s:\n{log.read_text()[-4000:]}")


TEMPLATE_MAX_AGE = 3600  # seconds: the demo data is relative to the moment it was loaded


def _code_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "clientela").rglob("*.py")):
        if "tests" in path.parts or "e2e" in path.parts:
            continue
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _prepare_database(server: AppServer) -> None:
    """Migrate and load the demo data. A copy made within the hour by the same code is reused
    (var/e2e-template/), so running the journeys again while working costs seconds, not 40."""
    template = ROOT / "var" / "e2e-template" / _code_hash()
    if template.is_dir() and time.time() - template.stat().st_mtime < TEMPLATE_MAX_AGE:
        shutil.copytree(template, server.data_dir, dirs_exist_ok=True)
        return
    server.manage("migrate", "--noinput")
    server.manage("demo")
    shutil.rmtree(template.parent, ignore_errors=True)
    shutil.copytree(server.data_dir, template)


@pytest.fixture(scope="session")
def app_server() -> Iterator[AppServer]:
    data_dir = Path(tempfile.mkdtemp(prefix="clientela-e2e-"))
    port = _free_port()
    server = AppServer(url=f"http://127.0.0.1:{port}", env=_server_env(data_dir, port), data_dir=data_dir)
    _prepare_database(server)
    log = data_dir / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "clientela.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "2",
                "--threads",
                "4",
            ],
            env=server.env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(server.url, proc, log)
        yield server
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        errors = [line for line in log.read_text().splitlines() if "Traceback" in line or " 500 " in line]
        shutil.rmtree(data_dir, ignore_errors=True)
        assert not errors, f"the server logged errors during the browser tests: {errors[:5]}"


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}: ./test installs Debian's chromium package")
        pytest.skip(f"Chromium not found at {CHROMIUM} (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120]


class Screens:
    """Saves named screenshots of a test's key screens under SCREENSHOTS/<test name>/."""

    def __init__(self, test_name: str):
        self.folder = SCREENSHOTS / _slug(test_name)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.count = 0

    def __call__(self, page, name: str, full_page: bool = True) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count += 1
        path = self.folder / f"{self.count:02d}-{_slug(name)}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def screens(request) -> Screens:
    return Screens(request.node.name)


@pytest.fixture
def browser_page(chromium, app_server) -> Iterator[Callable[..., object]]:
    """`browser_page(username=None, viewport=DESKTOP, locale="en-GB")`: a new page in its own
    browser context, signed in as the demo user when one is named, at the server's home page.
    Fails the test on any JavaScript error or failed request the page met."""
    contexts = []
    problems: list[str] = []

    def open_page(
        username: str | None = None,
        viewport: dict | None = None,
        locale: str = "en-GB",
        timezone_id: str | None = None,
    ):
        context = chromium.new_context(
            base_url=app_server.url, viewport=viewport or DESKTOP, locale=locale, timezone_id=timezone_id
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
        page.on(
            "response",
            lambda response: (
                problems.append(f"{response.status} {response.url}") if response.status >= 500 else None
            ),
        )
        if username:
            page.goto("/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)
            page.click("form button[type=submit]")
            page.wait_for_url(lambda url: "/login/" not in url)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not problems, f"the browser met errors: {problems}"
