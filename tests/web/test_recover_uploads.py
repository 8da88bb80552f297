"""A recovery deletes the upload folders of the jobs it marks interrupted, and only folders
directly in the server's upload folder: a job's ``upload_dir`` that leads elsewhere (``..``,
a symbolic link) is left alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from breachscope.case import api, jobs
from breachscope.case.db import session_scope
from breachscope.clock import FixedClock
from breachscope.web.deps import Quiet
from breachscope.web.jobs import JobRunner
from breachscope.web.settings import ServerSettings
from breachscope.web.work import HANDLERS, RECOVER
from tests.web.job_process import STARTED

LATER = STARTED + timedelta(minutes=5)


def _outside(root: Path) -> Path:
    return root.parent / "elsewhere"


CASES: list[tuple[str, Callable[[Path], str], bool]] = [
    ("an upload folder of the server", lambda root: str(root / "0123abcd"), True),
    ("the upload root's parent", lambda root: str(root / ".."), False),
    ("up from an upload folder", lambda root: str(root / "0123abcd" / ".." / ".."), False),
    ("a link to a folder elsewhere", lambda root: str(root / "link"), False),
]


@pytest.mark.parametrize(("what", "upload_dir", "deleted"), CASES, ids=[c[0] for c in CASES])
def test_recovery_deletes_only_upload_folders(
    engine: Engine, tmp_path: Path, what: str, upload_dir: Callable[[Path], str], deleted: bool
) -> None:
    root = tmp_path / "uploads"
    (root / "0123abcd").mkdir(parents=True)
    (root / "0123abcd" / "leak.csv").write_text("a\n")
    _outside(root).mkdir()
    (_outside(root) / "keep.txt").write_text("keep\n")
    (root / "link").symlink_to(_outside(root), target_is_directory=True)
    folder = upload_dir(root)
    with session_scope(engine) as s:
        incident = api.create_incident(s, "leak", author="test", clock=FixedClock(STARTED)).id
        jobs.enqueue(s, incident, "scope", {"upload_dir": folder}, by="test", now=STARTED)
    with session_scope(engine) as s:
        assert jobs.claim(s, STARTED) is not None  # its server then died
    settings = ServerSettings(clock=FixedClock(LATER), upload_dir=root)
    runner = JobRunner(engine, settings.clock, settings, HANDLERS, Quiet(), recover=RECOVER)
    assert runner.recover() == 1
    assert (_outside(root) / "keep.txt").is_file()
    assert root.is_dir()
    assert (root / "0123abcd").exists() is not deleted
