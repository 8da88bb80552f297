"""Run every benchmark module in its own process and write the results.

Each module in :data:`MODULES` is a script (``python -m benchmarks.<name>``) that prints one
JSON list of result rows on its last stdout line. A row is a dict with at least ``name``,
``value``, ``unit`` and, where the issue sets one, ``target`` and ``passed``. The harness adds
the wall time and the peak RSS of the module's process (children included), and writes
``results.json`` and ``results.md`` to the output folder.

    python -m benchmarks.run --out bench-out [--only scan] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: Benchmark modules, in run order. Adding a benchmark = one module + one line here.
MODULES: tuple[str, ...] = (
    "startup", "scan", "vendors", "notify", "scope", "avro", "corpus", "atrest", "watch", "inventory",
    "report", "canary", "canary_attach", "server", "console", "audit", "attach",
)  # fmt: skip


def run_module(name: str, out: Path, quick: bool) -> dict[str, Any]:
    cmd = [sys.executable, "-m", f"benchmarks.{name}", "--work", str(out / "work" / name)]
    if quick:
        cmd.append("--quick")
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
    stdout, _ = proc.communicate()
    wall = time.perf_counter() - started
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    rows: list[dict[str, Any]] = []
    error = None
    if proc.returncode != 0:
        error = f"exit code {proc.returncode}"
    elif not lines:
        error = "printed no results"
    else:
        try:
            rows = json.loads(lines[-1])
        except json.JSONDecodeError as exc:
            error = f"last line is not JSON: {exc}"
    return {"module": name, "wall_s": round(wall, 2), "rows": rows, "error": error}


def to_markdown(meta: dict[str, Any], results: list[dict[str, Any]]) -> str:
    out = [
        "# breachscope benchmark results",
        "",
        f"Run at {meta['at']} on {meta['machine']} ({meta['cpus']} CPUs), Python {meta['python']}.",
        "",
        "| benchmark | measurement | value | unit | target | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for res in results:
        if res["error"]:
            out.append(f"| {res['module']} | ERROR | {res['error']} | | | no |")
        for row in res["rows"]:
            passed = row.get("passed")
            met = "" if passed is None else ("yes" if passed else "**no**")
            out.append(
                f"| {res['module']} | {row['name']} | {row['value']} | {row.get('unit', '')} "
                f"| {row.get('target', '')} | {met} |"
            )
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--out", default="bench-out", type=Path)
    parser.add_argument("--only", action="append", default=[], help="run only these modules")
    parser.add_argument("--quick", action="store_true", help="smaller inputs (smoke run)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    names = [m for m in MODULES if not args.only or m in args.only]
    meta = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "quick": args.quick,
    }
    results = []
    for name in names:
        print(f"== benchmark {name}", file=sys.stderr, flush=True)
        results.append(run_module(name, args.out, args.quick))
    (args.out / "results.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    md = to_markdown(meta, results)
    (args.out / "results.md").write_text(md)
    print(md)
    return 1 if any(r["error"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
