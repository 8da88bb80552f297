"""The hostile-input corpus table: every case of tests/readers/hostile_corpus.py through a real
``breachscope scan`` process, with its wall time, peak RSS, exit code and a verdict.

    python -m benchmarks.corpus [--work DIR] [--quick] [--only NAME] [--timeout S]   # make corpus

Target (issue 12): every file of at most 10 MB finishes in at most 60 s with peak RSS at most
1 GiB, a documented exit code, no traceback and no signal. Peak RSS is the child's own
(``os.wait4``), so one case never inflates another's figure. ``--quick`` writes the small sizes
the test suite uses. As a ``make bench`` module it prints its rows as JSON on the last line.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.common import emit, row

LIMIT_S = 60.0
LIMIT_RSS_MIB = 1024.0
TARGET_BYTES = 10 * 1000 * 1000
#: exit codes ``breachscope scan`` documents (0 ok, 1 error, 2 usage, 3 --fail-on, 4 incomplete)
DOCUMENTED = frozenset({0, 1, 2, 3, 4})
BIN = Path(sys.executable).parent / "breachscope"


def load_corpus() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "tests" / "readers" / "hostile_corpus.py"
    spec = importlib.util.spec_from_file_location("hostile_corpus", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["hostile_corpus"] = module
    spec.loader.exec_module(module)
    return module


def run_case(cmd: list[str], timeout: float) -> tuple[float, float, int | None, int | None, str]:
    """(seconds, peak RSS MiB, exit code, signal, stderr tail) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    assert proc.stderr is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stderr, selectors.EVENT_READ)
    err = b""
    killed = False
    while True:
        left = timeout - (time.perf_counter() - started)
        if left <= 0 and not killed:
            os.killpg(proc.pid, signal.SIGKILL)
            killed = True
        if sel.select(timeout=max(0.1, min(left, 1.0))):
            data = os.read(proc.stderr.fileno(), 65536)
            if not data:
                break
            err = (err + data)[-20000:]
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0  # reaped above; keeps Popen from waiting again
    wall = time.perf_counter() - started
    rss = usage.ru_maxrss / 1024
    if os.WIFSIGNALED(status):
        return wall, rss, None, os.WTERMSIG(status), err.decode("utf-8", "replace")
    return wall, rss, os.WEXITSTATUS(status), None, err.decode("utf-8", "replace")


def verdict(
    case: Any, size: int | None, wall: float, rss: float, code: int | None, sig: int | None, err: str
) -> str:
    problems = []
    if sig is not None:
        problems.append(f"signal {signal.Signals(sig).name}")
    if "Traceback" in err:
        problems.append("traceback")
    if code is not None and code not in DOCUMENTED:
        problems.append(f"undocumented exit {code}")
    if case.refused and code != 2:
        problems.append("not refused")
    if not case.refused and code in (1, 2):
        problems.append("error exit")
    bounded = size is None or size <= TARGET_BYTES
    if bounded and wall > LIMIT_S:
        problems.append(f"> {LIMIT_S:.0f} s")
    if bounded and rss > LIMIT_RSS_MIB:
        problems.append("> 1 GiB")
    return "ok" if not problems else "FAIL: " + ", ".join(problems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="the small sizes of the test suite")
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    corpus = load_corpus()
    work = args.work or Path(tempfile.mkdtemp(prefix="breachscope-corpus-"))
    work.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    header = f"{'input':28} {'size':>10} {'time s':>8} {'peak RSS MiB':>13} {'exit':>6}  verdict"
    print(header, file=sys.stderr)
    for case in corpus.CASES:
        if args.only and case.name not in args.only:
            continue
        folder = work / case.name
        folder.mkdir(exist_ok=True)
        path = case.make(folder, not args.quick)
        size = None if case.special else path.stat().st_size
        report = folder / "scan.json"
        cmd = [str(BIN), "scan", "-q", *[a for a in case.args if a != "-q"], "--json", str(report), str(path)]
        wall, rss, code, sig, err = run_case(cmd, args.timeout)
        kinds = (
            sorted({i["kind"] for s in _sources(report) for i in s["issues"]}) if code in (0, 3, 4) else []
        )
        v = verdict(case, size, wall, rss, code, sig, err)
        if case.kinds and not set(case.kinds) & set(kinds) and v == "ok":
            v = f"FAIL: no {'/'.join(case.kinds)} issue"
        shown = "-" if size is None else f"{size / 1e6:.2f} MB"
        ended = f"sig {sig}" if sig is not None else str(code)
        print(
            f"{case.name:28} {shown:>10} {wall:8.1f} {rss:13.0f} {ended:>6}  {v}  {','.join(kinds)}",
            file=sys.stderr,
        )
        rows.append(
            row(
                f"corpus {case.name}",
                round(wall, 2),
                "s",
                target=f"<= {LIMIT_S:.0f} s, <= 1 GiB, documented exit",
                passed=v == "ok",
                peak_rss_mib=round(rss),
                exit=ended,
                size_bytes=size,
                kinds=kinds,
                verdict=v,
            )
        )
    emit(rows)


def _sources(report: Path) -> list[dict[str, Any]]:
    try:
        doc = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    sources: list[dict[str, Any]] = doc.get("sources", [])
    return sources


if __name__ == "__main__":
    main()
