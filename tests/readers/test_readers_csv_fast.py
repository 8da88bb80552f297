"""A plain UTF-8 CSV is read by pyarrow directly (checking UTF-8 itself); an invalid byte or a
ragged row past the sniffed head hands the rest over to the checked read. Either way the records,
the batches, the issues (with their lines) and the bytes reported are those of the checked read."""

from __future__ import annotations

from pathlib import Path

import pytest

from breachscope.readers import open_sources

ROWS = 40_000  # about 1.4 MiB: past the 1 MiB head the encoding and header are sniffed from


def _leak(tmp_path: Path, bad: dict[int, bytes]) -> tuple[Path, list[str | None]]:
    """``id,name,city`` rows; ``bad`` replaces row i's whole line (raw bytes)."""
    lines, names = [b"id,name,city"], []
    for i in range(ROWS):
        name = f"Jos\u00e9 {i:06d} Suryadi"
        lines.append(bad.get(i, f'{i},{name},"Band\nung"'.encode()))
        names.append(name)
    path = tmp_path / "leak.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path, names


def _read(path: Path) -> tuple[list[tuple[int, int]], list[str | None], list[tuple[str, int | None]], int]:
    seen = [0]
    (source,) = open_sources(path, "auto", batch_rows=8192)
    batches, names = [], []
    for chunk in source.chunks(lambda n: seen.__setitem__(0, seen[0] + n)):
        batches.append((chunk.offset, chunk.batch.num_rows))
        names += chunk.batch.column("name").to_pylist()
    return batches, names, [(i.kind, i.line) for i in source.issues], seen[0]


@pytest.mark.parametrize(
    ("bad", "expect_names", "expect_issues"),
    [
        ({}, lambda names: names, []),
        (
            {30_000: b"30000,bad\xff\xfename,Medan"},
            lambda names: [*names[:30_000], "bad\ufffd\ufffdname", *names[30_001:]],
            [("invalid_utf8", 60_002)],  # a physical line: each record spans two
        ),
        (
            {35_000: b"35000,too,many,fields"},
            lambda names: names[:35_000] + names[35_001:],
            [("ragged_row", 35_002)],  # pyarrow's row number (header counted)
        ),
        (
            {35_000: b"35000,too,many\xff,fields"},
            lambda names: names[:35_000] + names[35_001:],
            [("invalid_utf8", 70_002), ("ragged_row", 35_002)],
        ),
        (
            {ROWS - 1: b"39999,cut \xc3"},  # a ragged last row ending in half a character
            lambda names: names[:-1],
            [("invalid_utf8", 2 * ROWS), ("ragged_row", ROWS + 1)],
        ),
    ],
    ids=["valid", "invalid-byte", "ragged-row", "ragged-invalid-row", "cut-character"],
)
def test_fast_read_gives_what_the_checked_read_gives(
    tmp_path: Path, bad: dict[int, bytes], expect_names: object, expect_issues: list[tuple[str, int]]
) -> None:
    path, names = _leak(tmp_path, bad)
    batches, got, issues, seen = _read(path)
    assert got == expect_names(names)  # type: ignore[operator]
    assert sorted(issues) == sorted(expect_issues)
    assert seen == path.stat().st_size  # the progress bar ends at the file's size, counted once
    assert [offset for offset, _ in batches] == [sum(n for _, n in batches[:i]) for i in range(len(batches))]
    assert all(n == 8192 for _, n in batches[:-1])
