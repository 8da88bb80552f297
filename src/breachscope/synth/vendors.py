"""Vendor-specific leak layouts for ``breachscope synth --vendor NAME``.

A writer turns the synthetic population into one vendor's export layout (e.g. an Amplitude
zip of ``*.json.gz``) and returns the files it wrote. It is called as
``writer(out=Path, rows=int, seed=int, needles=bool)``. The vendors stage fills this mapping.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

WRITERS: dict[str, Callable[..., list[Path]]] = {}
