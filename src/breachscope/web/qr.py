"""A new authenticator's ``otpauth://`` URI as a QR code: the picture every authenticator app
expects to scan (segno encodes it; ISO/IEC 18004, error correction M, never a Micro QR).

- :func:`picture` gives the dark modules as one SVG path of digits and ``MhvHz`` letters, for a
  template to draw as inline SVG: nothing in it needs marking safe (autoescape stays on), it
  carries no ``style=`` attribute and no ``data:`` URL, so the console's Content-Security-Policy
  (``style-src 'self'``, no inline script) is untouched.
- :func:`terminal` gives the same code as Unicode half blocks for ``breachscope users``.

The URI holds the secret: callers show the picture once, on a response that is never cached,
and never log or audit it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno

#: Modules of light margin around the code (the standard's quiet zone).
QUIET_ZONE = 4


@dataclass(frozen=True)
class Picture:
    """``size`` x ``size`` modules (quiet zone included); ``path``: the dark ones, as SVG path data."""

    size: int
    path: str


def _code(uri: str) -> segno.QRCode:
    return segno.make(uri, error="m", micro=False)


def picture(uri: str) -> Picture:
    """The QR code of ``uri``: each run of dark modules in a row is one ``M x y h n v1 h -n z``."""
    matrix = _code(uri).matrix
    runs: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            runs.append(f"M{start + QUIET_ZONE} {y + QUIET_ZONE}h{x - start}v1h-{x - start}z")
    return Picture(len(matrix) + 2 * QUIET_ZONE, "".join(runs))


def terminal(uri: str) -> str:
    """The QR code of ``uri`` as lines of Unicode half blocks (two rows of modules a line)."""
    out = io.StringIO()
    _code(uri).terminal(out=out, border=QUIET_ZONE, compact=True)
    return out.getvalue()
