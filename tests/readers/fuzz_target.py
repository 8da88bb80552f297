"""The fuzzing target shared by the hypothesis tests and ``fuzz/readers_atheris.py``.

:func:`read_all` writes bytes to a file, reads it with :func:`breachscope.readers.open_sources`
and checks the readers' contract: only :class:`~breachscope.errors.InputError` may escape (the
path as a whole cannot be used), every issue kind is documented in docs/readers.md, no issue
message quotes a planted value, and offsets are contiguous. Small budgets make every guard
reachable with small inputs.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from breachscope.errors import InputError
from breachscope.readers import FORMATS, Limits, open_sources

DOCS = Path(__file__).resolve().parents[2] / "docs" / "readers.md"
PLANTED = "planted-secret"
NAMES = ("data.csv", "data.tsv", "data.json", "data.jsonl", "data.avro", "data.xlsx", "data.parquet", "data")
SMALL = Limits(
    ratio_after_bytes=1 << 20,
    max_member_bytes=8 << 20,
    max_members=20,
    max_columns=200,
    max_depth=16,
    max_line_bytes=1 << 20,
    max_sheets=4,
    max_cells=200_000,
    max_shared_strings=10_000,
    max_items_slack=1_000,
    max_run_bytes=64 << 20,
)


def documented_kinds() -> frozenset[str]:
    """The issue kinds listed in docs/readers.md's "Issue kinds" table."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Issue kinds", 1)[1].split("\n## ", 1)[0]
    return frozenset(
        re.findall(
            r"`([a-z_0-9]+)`",
            "\n".join(ln.split("|")[1] for ln in section.splitlines() if ln.startswith("| `")),
        )
    )


KINDS = documented_kinds()


def read_all(data: bytes, name: str = "data", fmt: str = "auto", limits: Limits = SMALL) -> list[str]:
    """Reads ``data`` as file ``name``; returns the issue kinds. Raises AssertionError on a
    broken contract; anything but InputError escaping is a bug the fuzzer found."""
    assert fmt == "auto" or fmt in FORMATS
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            sources = open_sources(path, fmt, batch_rows=64, limits=limits)
        except InputError:
            return []
        found: list[str] = []
        for src in sources:
            expected = 0
            for chunk in src.chunks():
                assert chunk.offset == expected
                expected += chunk.batch.num_rows
            for issue in src.issues:
                assert issue.kind in KINDS, f"undocumented issue kind {issue.kind!r}"
                assert PLANTED not in issue.message, "an issue message quotes row content"
                found.append(issue.kind)
        return found
