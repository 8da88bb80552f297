"""Reading QR codes back, as a phone's camera would: ``zbarimg`` (Debian's zbar-tools, installed
by .ci/run) on a picture. A test that needs it fails when it is missing; it is never skipped."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

ZBARIMG = "/usr/bin/zbarimg"
_RUN = re.compile(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z")


def decode(picture: bytes, suffix: str) -> list[str]:
    """Every QR code zbarimg finds in ``picture`` (PNG, PBM...), in order; [] when none."""
    assert shutil.which(ZBARIMG), "zbarimg is missing: apt-get install zbar-tools (.ci/run does)"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"picture{suffix}"
        path.write_bytes(picture)
        done = subprocess.run(
            [ZBARIMG, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(path)],
            capture_output=True,
            timeout=30,
            check=False,
        )
    assert done.returncode in (0, 4), done.stderr  # 4: nothing found
    return done.stdout.decode().splitlines() if done.returncode == 0 else []


def path_to_pbm(size: int, path: str, scale: int = 4) -> bytes:
    """A black-on-white bitmap (plain PBM) of :func:`breachscope.web.qr.picture`'s path, drawn
    from the path alone (each ``M x y h n v1 h -n z`` a run of ``n`` dark modules)."""
    dark = [[False] * size for _ in range(size)]
    matched = 0
    for m in _RUN.finditer(path):
        x, y, n, back = (int(g) for g in m.groups())
        assert n == back and n > 0
        for i in range(n):
            dark[y][x + i] = True
        matched += len(m.group())
    assert matched == len(path), "the path holds something else than runs of modules"
    side = size * scale
    rows = [" ".join("1" if dark[y // scale][x // scale] else "0" for x in range(side)) for y in range(side)]
    return f"P1\n{side} {side}\n".encode() + "\n".join(rows).encode() + b"\n"


#: segno's compact terminal glyphs: which of the two rows a character draws light (filled)
_HALVES = {"█": (False, False), "▀": (False, True), "▄": (True, False), " ": (True, True)}


def terminal_to_pbm(lines: list[str], scale: int = 4) -> bytes:
    """A bitmap of :func:`breachscope.web.qr.terminal`'s text as a terminal with a dark
    background shows it: each character two rows of modules, its glyph light, the rest dark."""
    width = len(lines[0])
    assert all(len(line) == width and set(line) <= set(_HALVES) for line in lines)
    dark = [[_HALVES[ch][half] for ch in line] for line in lines for half in (0, 1)]
    side_x, side_y = width * scale, len(dark) * scale
    rows = [
        " ".join("1" if dark[y // scale][x // scale] else "0" for x in range(side_x)) for y in range(side_y)
    ]
    return f"P1\n{side_x} {side_y}\n".encode() + "\n".join(rows).encode() + b"\n"
