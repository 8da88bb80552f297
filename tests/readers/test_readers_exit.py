"""A process that read a hostile file must still exit: no arrow read-ahead left hanging.

pyarrow's CSV reader reads ahead on a background thread; a Python exception raised inside it
(a decompression bomb) used to keep the reader alive in C++ until interpreter exit, where
releasing it deadlocked about every other run. See ``readers/stream.py`` (``ArrowFeed``).
"""

from __future__ import annotations

import gc
import gzip
import subprocess
import sys
import zlib
from pathlib import Path

from breachscope.readers import open_sources
from breachscope.readers.stream import ArrowFeed

MiB = 1 << 20

SCRIPT = """
import sys
from breachscope.readers import open_sources
for source in open_sources(sys.argv[1]):
    for _ in source.chunks():
        pass
    print(",".join(i.kind for i in source.issues))
"""


def _bomb(path: Path) -> None:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    member = comp.compress(bytes(64 * MiB)) + comp.flush()
    path.write_bytes(gzip.compress(b"a,b\n1,2\n") + member * 16)


def test_reading_a_bomb_never_hangs_the_exit(tmp_path: Path) -> None:
    path = tmp_path / "bomb.csv.gz"
    _bomb(path)
    for _ in range(5):  # the deadlock was intermittent: several runs make a regression visible
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(path)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "bomb" in done.stdout


def test_a_bomb_leaves_no_reader_behind(tmp_path: Path) -> None:
    """The error that stopped the read must not keep arrow's reader alive: an error kept by the
    feed, or bound to a name in the frame that raised it, holds that frame (and through it the
    feed and the reader) in a reference cycle that only the interpreter's exit broke, where
    destroying the reader aborted the process now and then under load ("terminate called
    without an active exception")."""
    path = tmp_path / "bomb.csv.gz"
    _bomb(path)
    gc.collect()
    gc.disable()  # a cycle must not be collected by chance while the test looks for it
    try:
        for source in open_sources(path):
            for _ in source.chunks():
                pass
            assert "bomb" in [i.kind for i in source.issues]
        left = [o for o in gc.get_objects() if isinstance(o, ArrowFeed)]
    finally:
        gc.enable()
    assert left == []
