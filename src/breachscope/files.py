"""Private files: every file breachscope writes is created 0600, every folder 0700.

A case, a report, a scope CSV or an ``.eml`` notice holds personal data of leaked people, so
nothing breachscope writes may be readable by other users of the machine. Two layers:

- :func:`restrict_umask` is called once when the command line starts: whatever a dependency
  creates (SQLite's ``-wal``/``-shm``, DuckDB's ``COPY ... TO``, pyarrow's CSV writer, openssl)
  is then 0600 / 0700 too.
- the library does not rely on the caller's umask: every writer opens its file through
  :func:`open_private` / :func:`write_private` (``os.open`` with mode 0600, and ``fchmod`` when
  the file already existed with a wider mode) and creates folders with :func:`private_dir`. A file
  a third-party library writes is first created here empty and 0600 (:func:`private_file`), so
  it keeps that mode when the library truncates and fills it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

FILE_MODE = 0o600
DIR_MODE = 0o700
UMASK = 0o077


def restrict_umask() -> int:
    """Set the process umask to 077 (files 0600, folders 0700); returns the previous one."""
    return os.umask(UMASK)


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` and its missing parents as 0700 folders; existing folders are left as they are."""
    p = Path(path)
    missing: list[Path] = []
    probe = p
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # created meanwhile by someone else: not ours to change
        folder.chmod(DIR_MODE)  # mkdir's mode is reduced by the umask, never widened; make it exact
    return p


def private_file(path: str | os.PathLike[str], *, exclusive: bool = False) -> Path:
    """Make sure ``path`` exists as a 0600 file (created empty if missing), for another writer to fill.

    With ``exclusive``, an existing file is an error (``FileExistsError``), as for a new key.
    """
    p = Path(path)
    private_dir(p.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else 0)
    fd = os.open(p, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return p


def open_private(
    path: str | os.PathLike[str],
    mode: str = "w",
    *,
    encoding: str | None = "utf-8",
    newline: str | None = None,
    parents: bool = True,
) -> IO[Any]:
    """``open(path, mode)`` for writing, but the file is created 0600 (and an existing one made 0600).

    ``mode`` is ``"w"``, ``"wb"``, ``"a"``, ``"ab"``, ``"x"`` or ``"xb"``; missing folders are
    created 0700 (with ``parents=False`` a missing folder is a ``FileNotFoundError``).
    """
    flags = os.O_WRONLY | os.O_CREAT
    if mode.startswith("w"):
        flags |= os.O_TRUNC
    elif mode.startswith("a"):
        flags |= os.O_APPEND
    elif mode.startswith("x"):
        flags |= os.O_EXCL
    else:
        raise ValueError(f"open_private is for writing, not mode {mode!r}")
    p = Path(path)
    if parents:
        private_dir(p.parent)
    fd = os.open(p, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        if "b" in mode:
            return os.fdopen(fd, mode)
        return os.fdopen(fd, mode, encoding=encoding, newline=newline)
    except BaseException:
        os.close(fd)
        raise


def write_private(
    path: str | os.PathLike[str], data: str | bytes, *, encoding: str = "utf-8", parents: bool = True
) -> Path:
    """Write ``data`` (text or bytes) to a 0600 file, creating 0700 folders as needed (``parents``)."""
    p = Path(path)
    if isinstance(data, bytes):
        with open_private(p, "wb", parents=parents) as fh:
            fh.write(data)
    else:
        with open_private(p, "w", encoding=encoding, parents=parents) as fh:
            fh.write(data)
    return p


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A private (0700) folder in the system's temporary folder for a stage's scratch files
    (leaked people, on their way into the case), removed when the block ends, whatever happens.

    Its name carries the owner's process id (``{prefix}{pid}-{random}``), so that a folder left
    by a process that was killed (``kill -9``, a power cut: no ``finally`` ran) is removed by the
    next one of the same prefix (:func:`sweep_scratch`)."""
    sweep_scratch(prefix)
    with tempfile.TemporaryDirectory(prefix=f"{prefix}{os.getpid()}-") as tmp:
        yield Path(tmp)


def sweep_scratch(prefix: str) -> list[Path]:
    """Remove the folders of :func:`scratch_dir` whose owner process is gone; returns them.

    Only folders of this user, named ``{prefix}{pid}-...``, whose process id no process has
    (a process id reused since then keeps its folder until that process ends too)."""
    removed: list[Path] = []
    root = Path(tempfile.gettempdir())
    for folder in root.glob(f"{prefix}*-*"):
        pid = folder.name[len(prefix) :].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        try:
            if folder.is_symlink() or not folder.is_dir() or folder.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
