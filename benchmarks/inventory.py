"""HAR decoding: a 10,000-request capture through the inventory's HAR reader and detectors.

The capture is the test sample's session (tests/inventory/har_samples.py: every service of
endpoints.yaml, base64/gzip/batched/multi-line payloads, scripts, a first-party call) repeated
for 500 different synthetic people until it has 10,000 entries (``--quick``: 1,000). Measured:
reading and decoding (``read_har``), the detectors over every distinct value (``classify``),
their sum against issue 16's target (under 5 s for 10,000 requests) with its CPU time, and the whole
``vendors evidence`` import into a fresh SQLite case.
"""

from __future__ import annotations

import json
import time

from benchmarks.common import emit, parse_args, peak_rss_mb, row
from breachscope.case.db import open_case_db, session_scope
from breachscope.inventory.evidence import import_evidence
from breachscope.inventory.har import read_har
from breachscope.inventory.observe import classify
from tests.inventory.har_samples import Person, signup_session

FIRST = ["Rina", "Budi", "Siti", "Agus", "Dewi", "Andi", "Putri", "Eko", "Maya", "Joko"]
LAST = ["Wijaya", "Santoso", "Pratama", "Lestari", "Hidayat", "Saputra", "Kusuma", "Nugroho"]


def capture(requests: int) -> dict[str, object]:
    doc = signup_session()
    entries: list[object] = []
    pages: list[object] = []
    i = 0
    while len(entries) < requests:
        n = i % 500
        person = Person(
            email=f"{FIRST[n % 10].lower()}.{LAST[n % 8].lower()}{n}@mail.example",
            name=f"{FIRST[n % 10]} {LAST[n % 8]}",
            user=f"usr_{n:06x}",
            ip=f"203.0.113.{n % 250 + 1}" if n % 2 else f"198.51.100.{n % 250 + 1}",
        )
        session = signup_session(person)["log"]
        for page in session["pages"]:
            page["id"] = f"{page['id']}_{i}"
            pages.append(page)
        for entry in session["entries"]:
            entry["pageref"] = f"{entry['pageref']}_{i}"
            entries.append(entry)
        i += 1
    doc["log"]["entries"] = entries[:requests]  # type: ignore[index]
    doc["log"]["pages"] = pages  # type: ignore[index]
    return doc


def main() -> None:
    args = parse_args(__doc__ or "")
    n = 1_000 if args.quick else 10_000
    path = args.work / f"capture-{n}.har"
    path.write_text(json.dumps(capture(n)))
    size = path.stat().st_size
    cpu = time.process_time()
    started = time.perf_counter()
    cap = read_har(path)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    flows = classify(cap)
    detect_s = time.perf_counter() - started
    total = read_s + detect_s
    cpu_s = time.process_time() - cpu  # wall time on a shared, loaded machine overstates the work
    db = args.work / "inventory.db"
    db.unlink(missing_ok=True)
    engine = open_case_db(f"sqlite:///{db}", create=True)
    started = time.perf_counter()
    with session_scope(engine) as s:
        result = import_evidence(s, path, author="bench")
    import_s = time.perf_counter() - started
    engine.dispose()
    values = sum(f.values_examined for f in flows)
    recognised = sum(f.requests for f in flows)
    emit(
        [
            row(
                f"HAR decoding + detectors, {n:,} requests ({size / 2**20:.1f} MiB)",
                round(total, 2),
                "s",
                "< 5 s for 10,000 requests",
                None if args.quick else total < 5,
            ),
            row("  CPU time of the same (this process)", round(cpu_s, 2), "s"),
            row("  read + decode (read_har)", round(read_s, 2), "s"),
            row("  detectors over distinct values (classify)", round(detect_s, 2), "s"),
            row("requests decoded per second", round(n / total), "requests/s"),
            row("collection requests recognised", recognised, f"of {n:,} entries"),
            row("distinct values checked by the detectors", values, "values"),
            row("vendors found", len(flows), "vendors", complete=cap.complete),
            row(
                "whole 'vendors evidence' import into SQLite",
                round(import_s, 2),
                "s",
                vendors=len(result.vendors),
            ),
            row("peak RSS", round(peak_rss_mb()), "MiB"),
        ]
    )


if __name__ == "__main__":
    main()
