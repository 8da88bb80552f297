"""Repairs of hostile text that readers and vendor transforms share: a free name for a key or
column repeated (``a``, ``a_2``, ``a_3`` ... in linear work), and lone surrogates replaced.

Leaked files repeat keys (a JSON object, a CSV header, a workbook's sheet names) and carry
JSON's ``"\\ud800"`` escapes, which decode to a character Arrow cannot encode; each reader used
to mend these its own way, and two of the ways took quadratic time.
"""

from __future__ import annotations

import re
from collections.abc import Container

_SURROGATE = re.compile("[\ud800-\udfff]")


def free_name(base: str, taken: Container[str], last: dict[str, int], sep: str = "_") -> str:
    """``base``, or the first of ``base_2``, ``base_3`` ... (``sep`` before the number) not in
    ``taken``. ``last`` (one dict per ``taken``, which only grows) remembers how far each base's
    search went, so n repeats of one key cost n look-ups, not n^2/2 (a 500 KB record of one key
    repeated took minutes)."""
    if base not in taken:
        return base
    k = last.get(base, 1)
    while True:
        k += 1
        name = f"{base}{sep}{k}"
        if name not in taken:
            last[base] = k
            return name


def replace_surrogates(text: str) -> tuple[str, int]:
    """``text`` with each lone surrogate (JSON's ``"\\ud800"`` escape decodes to one; Arrow
    cannot encode it) replaced by U+FFFD, and how many were."""
    return _SURROGATE.subn("\ufffd", text)
