"""A real IMAP server for tests: Debian's Dovecot (``dovecot-imapd``) in a temporary folder.

Started in the foreground on 127.0.0.1 and a free port, with its own configuration, run and
state folders, one user (plain password from a passwd-file) and Maildir storage under the test's
folder; stopped by its process id at the end. It runs as the current user (root in CI: then
Dovecot's own unprivileged users do the login processes, as packaged). Nothing is installed or
changed outside the folder. ``.ci/run`` installs the package.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Imap:
    host: str
    port: int
    user: str
    password: str
    log: Path


def _config(d: Path, run: Path, port: int, store: Path) -> str:
    me = pwd.getpwuid(os.getuid())
    root = os.getuid() == 0
    owner = pwd.getpwnam("nobody") if root else me  # Dovecot never serves mail as uid 0
    users = (
        # as root the auth processes read the (0700) test folder as root too
        "service auth-worker {\n  user = root\n}\n"
        if root
        else f"default_internal_user = {me.pw_name}\ndefault_login_user = {me.pw_name}\n"
    )
    return f"""
base_dir = {run}
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = {owner.pw_uid}
first_valid_gid = {owner.pw_gid}
mail_location = maildir:{store}/mail/%u
{users}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={store}/home/%u
}}
service imap-login {{
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
service imap-login {{
  chroot =
}}
service auth {{
  user = {me.pw_name if root else "$default_internal_user"}
  unix_listener auth-userdb {{
    mode = 0666
  }}
}}
"""


@contextmanager
def dovecot(tmp: Path) -> Iterator[Imap]:
    if not os.path.exists(DOVECOT):
        raise RuntimeError("Dovecot is not installed: apt-get install dovecot-imapd (.ci/run does)")
    d = tmp / "dovecot"
    (d / "state").mkdir(parents=True, exist_ok=True)
    # Dovecot's sockets live in base_dir, and a socket path has at most 107 bytes: a short
    # temporary folder of its own, not the (long, per xdist worker) test folder
    run = Path(tempfile.mkdtemp(prefix="bs-dovecot-"))
    # the mail store must be reachable by the mail user: as root (CI) that is "nobody", and the
    # test folder is 0700, so the store is a temporary folder of its own, removed at the end
    store = Path(tempfile.mkdtemp(prefix="breachscope-imap-")) if os.getuid() == 0 else d / "store"
    for sub in ("mail", "home"):
        (store / sub).mkdir(parents=True, exist_ok=True)
    if os.getuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chmod(store, 0o700)
        for path in (store, store / "mail", store / "home"):
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
    port = _free_port()
    (d / "users").write_text("report:{PLAIN}s3cret-imap::::\n")
    conf = d / "dovecot.conf"
    conf.write_text(_config(d, run, port, store))
    proc = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                log = (d / "dovecot.log").read_text() if (d / "dovecot.log").exists() else ""
                raise RuntimeError(f"dovecot exited: {out}\n{log}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    if s.recv(100).startswith(b"* OK"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("dovecot did not start listening")
            time.sleep(0.1)
        yield Imap("127.0.0.1", port, "report", "s3cret-imap", d / "dovecot.log")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(run, ignore_errors=True)
        if os.getuid() == 0:
            shutil.rmtree(store, ignore_errors=True)
