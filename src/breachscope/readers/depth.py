"""Nesting depth, measured before data reaches a native parser (pyarrow, fastavro).

Native parsers recurse on the C stack: a JSON line nested 20,000 deep crashes pyarrow's parser
with SIGSEGV, and Python's own decoder stops near 1,000 levels with RecursionError. So a block of
JSON lines is checked first, vectorised: :func:`deep_lines` keeps only the bracket and newline
bytes (``bytes.translate``), and numpy's cumulative sum gives every line's deepest bracket. That
bound counts brackets inside strings too, so a line it flags is checked again exactly
(:func:`json_depth`, strings removed); lines deeper than the budget are left out and reported.
:func:`value_depth` measures a decoded value without recursion.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

_KEEP = b"{}[]\n"
_OTHER = bytes(b for b in range(256) if b not in _KEEP)
_DELTA = np.zeros(256, dtype=np.int8)
_DELTA[[ord("{"), ord("[")]] = 1
_DELTA[[ord("}"), ord("]")]] = -1
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _line_maxima(brackets: bytes) -> np.ndarray:
    """The deepest bracket of each line of ``brackets`` (only ``{}[]`` and newlines)."""
    a = np.frombuffer(brackets, dtype=np.uint8)
    depth = np.cumsum(_DELTA[a], dtype=np.int64)
    newline = a == 10
    line = np.cumsum(newline)  # a newline byte opens the next line (its delta is 0)
    lines = int(line[-1]) + 1 if len(a) else 1
    start = np.zeros(lines, dtype=np.int64)
    start[1:] = depth[newline]  # the depth reached when each line starts
    rel = depth - start[line]
    # each line is one contiguous run starting at its newline (whose relative depth is 0)
    starts = np.concatenate(([0], np.flatnonzero(newline)))
    return np.maximum.reduceat(rel, starts) if len(a) else np.zeros(1, dtype=np.int64)


def brackets(block: bytes) -> bytes:
    """Only the brackets and newlines of ``block`` (one ``bytes.translate``)."""
    return block.translate(None, _OTHER)


def deep_lines(block: bytes, limit: int, bare: bytes | None = None) -> list[int]:
    """0-based indices of the lines of ``block`` nested deeper than ``limit`` (exact);
    ``bare`` is ``brackets(block)`` when the caller has it already."""
    bare = brackets(block) if bare is None else bare
    if len(bare) - bare.count(b"\n") <= limit:
        return []  # not enough brackets to be that deep
    depth = np.cumsum(_DELTA[np.frombuffer(bare, dtype=np.uint8)], dtype=np.int32)
    if int(depth.max(initial=0)) - min(0, int(depth.min(initial=0))) <= limit:
        return []  # no line can reach past the budget (balanced lines return to 0 at each end)
    maxima = _line_maxima(bare)
    suspects = np.flatnonzero(maxima > limit).tolist()
    if not suspects:
        return []
    lines = block.split(b"\n")
    return [i for i in suspects if json_depth(lines[i]) > limit]


def json_depth(text: bytes) -> int:
    """The bracket depth of one JSON text, brackets inside strings not counted."""
    bare = _STRING.sub(b"", text).translate(None, _OTHER)
    if not bare:
        return 0
    return int(_line_maxima(bare.replace(b"\n", b"")).max())


def value_depth(value: Any, limit: int) -> int:
    """Depth of nested dicts/lists in a decoded value (a scalar is 0); stops past ``limit``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, d = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        d += 1
        if d > deepest:
            deepest = d
            if deepest > limit:
                return deepest
        stack.extend((c, d) for c in children if isinstance(c, dict | list))
    return deepest
