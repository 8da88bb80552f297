"""One ``breachscope serve`` per SQLite case file: a second server would take the first one's
running jobs for a dead server's (interrupted, their partial datasets removed), so it is
refused before it opens the case; the lock goes with the first server's process, however it
ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from breachscope.case.db import open_case_db
from breachscope.cli import cli
from breachscope.errors import BreachscopeError
from breachscope.web.app import single_server
from tests.web.server import free_port

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _case(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'case.db'}"
    open_case_db(url, create=True).dispose()
    return url


def test_a_second_server_on_the_same_file_is_refused(tmp_path: Path) -> None:
    url = _case(tmp_path)
    with single_server(url):
        with pytest.raises(BreachscopeError, match=f"process {os.getpid()}"):
            with single_server(url):
                pass
        done = CliRunner().invoke(cli, ["serve", "--db", url, "--port", str(free_port())])
        assert done.exit_code == 1, done.output
        assert "another breachscope serve" in done.output and "PostgreSQL" in done.output
    with single_server(url):  # released at the end of the block
        pass
    assert (tmp_path / "case.db.serve-lock").stat().st_mode & 0o777 == 0o600


def test_the_lock_goes_with_a_killed_server(tmp_path: Path) -> None:
    url = _case(tmp_path)
    port = free_port()
    env = dict(os.environ, PYTHONPATH=SRC)
    server = subprocess.Popen(
        [sys.executable, "-m", "breachscope", "serve", "--db", url, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2):
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        with pytest.raises(BreachscopeError, match=f"process {server.pid}"):
            with single_server(url):
                pass
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    with single_server(url):  # kill -9: no finally ran, the system released the lock
        pass
