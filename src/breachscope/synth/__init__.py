"""A deterministic, vectorised generator of a Mixpanel-style people-profile leak.

    result = generate(1_000_000, Path("out"), seed=0, needles=True)

writes ``people.csv`` / ``.jsonl`` / ``.parquet`` (the leak), ``directory.csv`` / ``.parquet``
(the company's account directory) and, with needles, ``truth.json`` (where every planted
sensitive value is). Every attribute is a hash of (seed, field, index), so output is identical
for a seed however it is chunked, and 10M rows generate in minutes with bounded memory.
See docs/synth.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from breachscope.errors import InputError
from breachscope.files import private_dir, write_private
from breachscope.synth.needles import Needle, place
from breachscope.synth.population import Population
from breachscope.synth.tables import (
    DIRECTORY_COLUMNS,
    DIRECTORY_SCHEMA,
    PEOPLE_COLUMNS,
    PEOPLE_SCHEMA,
    directory_chunk,
    people_chunk,
)
from breachscope.synth.vendors import WRITERS
from breachscope.synth.writers import TableWriter

__all__ = ["DIRECTORY_COLUMNS", "FORMATS", "PEOPLE_COLUMNS", "WRITERS", "SynthResult", "generate"]

FORMATS: tuple[str, ...] = ("csv", "jsonl", "parquet")
CHUNK_ROWS = 200_000
MIN_ROWS_WITH_NEEDLES = 100
TRUTH_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class SynthResult:
    out: Path
    rows: int
    seed: int
    people: dict[str, Path]  # format -> file
    directory: dict[str, Path]
    accounts: int
    orgs: int
    truth: Path | None = None
    needles: list[Needle] = field(default_factory=list)
    vendor_files: list[Path] = field(default_factory=list)


def generate(
    rows: int,
    out: Path,
    *,
    seed: int = 0,
    needles: bool = False,
    formats: Sequence[str] = FORMATS,
    vendor: str | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> SynthResult:
    """Writes the synthetic leak, its directory and (with ``needles``) ``truth.json`` to ``out``."""
    if rows < 1:
        raise InputError("rows must be at least 1")
    if needles and rows < MIN_ROWS_WITH_NEEDLES:
        raise InputError(f"--needles needs at least {MIN_ROWS_WITH_NEEDLES} rows (one needle per row)")
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise InputError(f"unknown format(s): {', '.join(unknown) or '(none)'}", f"use: {', '.join(FORMATS)}")
    if vendor is not None and vendor not in WRITERS:
        known = ", ".join(sorted(WRITERS)) or "none registered yet"
        raise InputError(f"unknown vendor {vendor!r}", f"known vendors: {known}")
    private_dir(out)
    pop = Population(rows, seed)
    planted = place(rows, seed) if needles else []

    people = {fmt: out / f"people.{fmt}" for fmt in formats}
    writers = [TableWriter(path, fmt, PEOPLE_SCHEMA) for fmt, path in people.items()]
    try:
        for start in range(0, rows, CHUNK_ROWS):
            end = min(rows, start + CHUNK_ROWS)
            table = people_chunk(pop, start, end, planted)
            for w in writers:
                w.write(table)
            if on_rows is not None:
                on_rows(end - start)
    finally:
        for w in writers:
            w.close()

    directory = {fmt: out / f"directory.{fmt}" for fmt in ("csv", "parquet")}
    dir_writers = [TableWriter(path, fmt, DIRECTORY_SCHEMA) for fmt, path in directory.items()]
    try:
        for start in range(0, pop.accounts, CHUNK_ROWS):
            table = directory_chunk(pop, start, min(pop.accounts, start + CHUNK_ROWS))
            for w in dir_writers:
                w.write(table)
    finally:
        for w in dir_writers:
            w.close()

    truth = None
    if needles:
        truth = out / "truth.json"
        doc = {
            "schema_version": TRUTH_SCHEMA_VERSION,
            "seed": seed,
            "rows": rows,
            "files": {fmt: p.name for fmt, p in people.items()},
            "row_numbering": "1-based record number (CSV: data rows after the header; JSONL: line)",
            "needles": [n.to_json() for n in planted],
        }
        write_private(truth, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    vendor_files = WRITERS[vendor](out=out, rows=rows, seed=seed, needles=needles) if vendor else []
    return SynthResult(
        out, rows, seed, people, directory, pop.accounts, pop.orgs, truth, planted, vendor_files
    )
