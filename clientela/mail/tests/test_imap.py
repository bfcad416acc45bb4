"""The IMAP poller against a real IMAP server: a private Dovecot on a loopback port.

The fixture writes a minimal Dovecot configuration into a temporary directory (plain-text login
on 127.0.0.1, no TLS, one user in a passwd-file, Maildir storage in the same directory) and runs
`dovecot -F -c <conf>` in the foreground. Without Dovecot the tests are skipped, except under
`CI=true`, where a missing server is a failure (Debian package: dovecot-imapd).
"""

from __future__ import annotations

import datetime as dt
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import OperationalError
from imapclient import IMAPClient

from clientela.core.periodic import PERIODIC_JOBS
from clientela.mail import imap, inbound
from clientela.mail.models import Message
from clientela.mail.tests.conftest import eml

pytestmark = pytest.mark.django_db

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "crm", "imap-secret"


@dataclass
class Mailbox:
    port: int
    root: Path

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(USER, PASSWORD)
        client.select_folder("INBOX")
        return client

    def append(self, raw: bytes, *, seen: bool = False) -> None:
        client = self.client()
        try:
            client.append("INBOX", raw, flags=[b"\\Seen"] if seen else [])
        finally:
            client.logout()

    def flags(self) -> list[set[bytes]]:
        """The flags of every message in the folder, in UID order."""
        client = self.client()
        try:
            found = client.get_flags(client.search(["ALL"]))
            return [set(found[uid]) for uid in sorted(found)]
        finally:
            client.logout()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accounts() -> tuple[str, str, str, int, int]:
    """(login user, internal user, internal group, mail uid, mail gid). Dovecot refuses to run its
    login and mail processes as root, so under root they use Debian's dovenull/dovecot accounts;
    as anyone else everything runs as that user (no privilege changes)."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        group = __import__("grp").getgrgid(os.getegid()).gr_name
        return me.pw_name, me.pw_name, group, me.pw_uid, me.pw_gid
    try:
        login, internal = pwd.getpwnam("dovenull"), pwd.getpwnam("dovecot")
    except KeyError:
        pytest.fail("Running as root needs the dovenull and dovecot accounts of the dovecot-core package.")
    group = __import__("grp").getgrgid(internal.pw_gid).gr_name
    return login.pw_name, internal.pw_name, group, internal.pw_uid, internal.pw_gid


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@pytest.fixture
def dovecot() -> Iterator[Mailbox]:
    if not Path(DOVECOT).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(
                "Dovecot is not installed (Debian: apt-get install dovecot-imapd); CI must run these."
            )
        pytest.skip("Dovecot is not installed (Debian: apt-get install dovecot-imapd).")
    login_user, internal_user, internal_group, uid, gid = _accounts()
    # Not pytest's tmp_path: its parent is private to the current user, and under root the
    # mail processes run as another account that must reach the maildir.
    root = Path(tempfile.mkdtemp(prefix="clientela-dovecot-"))
    root.chmod(0o755)
    for name in ("run", "state", "mail", "home"):
        (root / name).mkdir()
    for name in ("mail", "home"):
        os.chown(root / name, uid, gid)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = _free_port()
    (root / "dovecot.conf").write_text(
        CONFIG.format(
            root=root,
            port=port,
            login_user=login_user,
            internal_user=internal_user,
            internal_group=internal_group,
            uid=uid,
            gid=gid,
        )
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    mailbox = Mailbox(port=port, root=root)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                mailbox.client().logout()
                break
            except Exception:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                    stderr = (
                        process.stderr.read().decode()
                        if process.poll() is not None and process.stderr
                        else ""
                    )
                    pytest.fail(f"Dovecot did not start on port {port}:\n{stderr}\n{log}")
                time.sleep(0.1)
        yield mailbox
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def configured(settings, dovecot) -> Mailbox:
    settings.IMAP_HOST = "127.0.0.1"
    settings.IMAP_PORT = dovecot.port
    settings.IMAP_USER = USER
    settings.IMAP_PASSWORD = PASSWORD
    settings.IMAP_SSL = False
    settings.IMAP_FOLDER = "INBOX"
    return dovecot


def test_unseen_messages_reach_the_crm_once_and_are_marked_seen(configured, people):
    configured.append(eml("multipart_alternative.eml"))
    configured.append(eml("windows_1251.eml"))
    configured.append(eml("attachments.eml"))
    configured.append(eml("html_only.eml"), seen=True)  # someone read it in their mail program

    result = imap.poll_mailbox.call()

    assert (result["found"], result["stored"], result["ignored"], result["remaining"]) == (3, 3, 0, 0)
    stored = Message.objects.filter(source="imap")
    assert sorted(stored.values_list("message_id", flat=True)) == sorted(
        ["<CAF1quote.40@mail.acme.ro>", "<20261117110000.1251@zavod.example.ru>", "<attach-3@mail.acme.ro>"]
    )
    assert sorted(result["message_ids"]) == sorted(stored.values_list("pk", flat=True))
    assert stored.get(message_id="<CAF1quote.40@mail.acme.ro>").thread.contact == people.ion
    assert all(b"\\Seen" in flags for flags in configured.flags())

    again = imap.poll_once()
    assert (again.found, again.stored) == (0, 0)
    assert Message.objects.count() == 3


def test_a_crash_before_marking_seen_does_not_import_twice(configured, people, monkeypatch):
    configured.append(eml("multipart_alternative.eml"))
    configured.append(eml("reply_subject_only.eml"))
    real_add_flags = IMAPClient.add_flags
    calls = {"n": 0}

    def connection_lost_once(self, messages, flags, silent=False):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionResetError("connection lost")
        return real_add_flags(self, messages, flags, silent)

    monkeypatch.setattr(IMAPClient, "add_flags", connection_lost_once)
    with pytest.raises(ConnectionResetError):
        imap.poll_once()
    assert Message.objects.count() == 1, "the first message was stored before the connection broke"
    assert all(b"\\Seen" not in flags for flags in configured.flags()), "and was not marked"

    result = imap.poll_once()
    assert (result.found, result.stored, result.ignored) == (2, 1, 1), "the first is a known duplicate"
    assert Message.objects.count() == 2
    assert all(b"\\Seen" in flags for flags in configured.flags())


def test_a_failure_while_storing_leaves_the_message_unread_for_the_next_poll(configured, people, monkeypatch):
    configured.append(eml("multipart_alternative.eml"))
    real_receive = inbound.receive_raw

    def database_down(raw, *, source):
        raise OperationalError("database is locked")

    monkeypatch.setattr(inbound, "receive_raw", database_down)
    with pytest.raises(OperationalError):
        imap.poll_once()
    assert not Message.objects.exists()
    assert configured.flags() == [set()], "not marked: nothing was stored"

    monkeypatch.setattr(inbound, "receive_raw", real_receive)
    assert imap.poll_once().stored == 1
    assert configured.flags() == [{b"\\Seen"}]


def test_loops_are_marked_read_and_garbage_is_flagged_not_refetched(configured, people):
    configured.append(eml("auto_reply.eml"))
    configured.append(b"this is not an e-mail at all\r\n")

    result = imap.poll_once()

    assert (result.stored, result.ignored, result.rejected) == (0, 1, 1)
    assert not Message.objects.exists()
    auto_reply, garbage = configured.flags()
    assert b"\\Seen" in auto_reply
    assert imap.REJECTED_KEYWORD.encode() in garbage and b"\\Seen" not in garbage, "left unread for a person"
    assert imap.poll_once().found == 0, "and not fetched again"


def test_a_poll_takes_at_most_its_limit_and_the_rest_next_time(configured, people):
    for n in range(3):
        configured.append(
            f"From: someone{n}@example.org\r\nTo: crm@example.com\r\nSubject: Hello {n}\r\n"
            f"Message-ID: <limit-{n}@example.org>\r\n\r\nBody {n}\r\n".encode()
        )
    first = imap.poll_once(limit=2)
    assert (first.found, first.stored, first.remaining) == (3, 2, 1)
    assert imap.poll_once(limit=2).stored == 1
    assert Message.objects.filter(source="imap").count() == 3


def test_nothing_happens_without_an_imap_host(settings):
    settings.IMAP_HOST = ""
    assert imap.poll_mailbox.call()["enabled"] is False


def test_the_poll_is_a_periodic_job_every_imap_poll_seconds():
    job = next(p for p in PERIODIC_JOBS if p.task_path == "clientela.mail.imap.poll_mailbox")
    assert job.every == imap.POLL_EVERY >= dt.timedelta(seconds=10)
