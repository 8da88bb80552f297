"""Avro reading: plain fastavro iteration vs breachscope's reader vs a full scan (no target yet).

Writes a people leak (the synth generator's people columns, 1M rows; 100k with --quick) as one
deflate Avro file with fastavro (nullable strings, fastavro's default block size), then
measures side by side, each in its own subprocess so each has its own peak RSS:

- plain read: ``for record in fastavro.reader(f)`` (records decoded, nothing else)
- reader: ``breachscope.readers.open_sources`` + every chunk (blocks framed, bomb-guarded,
  records decoded and flattened into Arrow batches)
- full scan: ``breachscope.scan.scan_files([path])`` (all detectors, every value)

and reports times, rows/s, MB/s, peak RSS and the ratios reader/plain and scan/plain.

    python -m benchmarks.avro --work bench-out/work/avro [--quick]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

KINDS = ("plain", "reader", "scan")


def _write(path: Path, rows: int) -> None:
    """The people leak as a deflate Avro file."""
    import fastavro

    from breachscope.synth.population import Population
    from breachscope.synth.tables import PEOPLE_SCHEMA, people_chunk

    pop = Population(rows, 0)
    fields = [{"name": n, "type": ["null", "string"]} for n in PEOPLE_SCHEMA.names]
    schema = fastavro.parse_schema({"type": "record", "name": "people", "fields": fields})

    def records() -> Any:
        for start in range(0, rows, 100_000):
            yield from people_chunk(pop, start, min(rows, start + 100_000), []).to_pylist()

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        fastavro.writer(f, schema, records(), codec="deflate")


def _dataset(work: Path, rows: int) -> tuple[Path, float | None]:
    """The file for ``rows``, reused across runs; the write time when it was written now."""
    path = work / f"people-{rows}" / "people.avro"
    marker = path.with_suffix(".complete")
    if marker.exists() and path.exists():
        return path, None
    # in a subprocess: Linux keeps a process's peak RSS across exec, so the measuring
    # subprocesses started later by this process would inherit the writer's peak
    seconds = _measure(f"write:{rows}", path)["seconds"]
    marker.write_text("ok")
    print(f"wrote {rows:,} rows in {seconds:.1f} s", file=sys.stderr)
    return path, seconds


def _measure_child(kind: str, path: Path) -> dict[str, Any]:
    """Runs in the subprocess: one plain read, one reader pass or one scan, timed."""
    from benchmarks.common import peak_rss_mb

    started = time.perf_counter()
    if kind.startswith("write:"):
        rows = int(kind.split(":")[1])
        _write(path, rows)
    elif kind == "plain":
        import fastavro

        rows = 0
        with open(path, "rb") as f:
            for _ in fastavro.reader(f):
                rows += 1
    elif kind == "reader":
        from breachscope.readers import open_sources

        rows = 0
        for src in open_sources(path):
            rows += sum(c.batch.num_rows for c in src.chunks())
            if src.issues:
                raise RuntimeError(f"unexpected issues: {src.issues}")
    else:
        from breachscope.scan import scan_files

        rows = scan_files([path]).rows_examined
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": rows, "peak_rss_mb": peak_rss_mb()}


def _measure(kind: str, path: Path) -> dict[str, Any]:
    from benchmarks.common import measure_in_child

    return measure_in_child("benchmarks.avro", kind, path)


def main() -> None:
    from benchmarks.common import emit, parse_args, row

    args = parse_args(__doc__ or "avro benchmark")
    rows = 100_000 if args.quick else 1_000_000
    path, write_s = _dataset(args.work, rows)
    mb = path.stat().st_size / 1e6
    label = f"avro {rows:,}"
    out: list[dict[str, Any]] = []
    if write_s is not None:
        out.append(row(f"{label} write (fastavro, deflate)", round(write_s, 2), "s", file_mb=round(mb, 1)))
    results = {kind: _measure(kind, path) for kind in KINDS}
    for kind, res in results.items():
        if res["rows"] != rows:
            raise RuntimeError(f"{kind} saw {res['rows']} rows, expected {rows}")
        s = res["seconds"]
        print(f"{kind}: {s:.2f} s, peak RSS {res['peak_rss_mb']:.0f} MiB", file=sys.stderr)
        name = {"plain": "plain fastavro.reader", "reader": "breachscope reader", "scan": "scan"}[kind]
        out += [
            row(f"{label} {name} time", round(s, 3), "s", rows=rows, file_mb=round(mb, 1)),
            row(f"{label} {name} rows/s", round(rows / s), "rows/s"),
            row(f"{label} {name} MB/s", round(mb / s, 1), "MB/s"),
            row(f"{label} {name} peak RSS", round(res["peak_rss_mb"], 1), "MiB"),
        ]
    plain = results["plain"]["seconds"]
    out += [
        row(f"{label} reader / plain read", round(results["reader"]["seconds"] / plain, 2), "x"),
        row(f"{label} scan / plain read", round(results["scan"]["seconds"] / plain, 2), "x"),
    ]
    emit(out)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(_measure_child(sys.argv[2], Path(sys.argv[3]))), flush=True)
    else:
        main()
