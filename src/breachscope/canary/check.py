"""Canary check: which vendors' canaries a leak holds, and what that says about its source.

Attribution (docs/canary.md):

- **one vendor's** canaries: the data passed through that vendor (or whoever received that
  vendor's data);
- **several vendors'** canaries in one dataset: an aggregator (a party that receives data from
  several vendors) or an internal source (our own systems that feed them), not one vendor;
- **none**: no canary found. That clears no vendor: canaries may not have been planted in the
  part that leaked, or not at the vendor that leaked. An incomplete read says "in the records read".

:func:`check_files` is ``breachscope canary check``; :func:`record` writes a result into an
incident (a ``canary_checks`` row, one ``canary_hits`` row per canary value and column, and a
timeline event). ``case attach`` runs the same :class:`~breachscope.canary.matcher.Matcher` on the
batches it already reads (:mod:`breachscope.exposures.attach`).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from breachscope.canary.matcher import Matcher
from breachscope.canary.registry import Registry, Resolved, all_hashes, lookup
from breachscope.canary.store import CanaryCheck, CanaryHit
from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.case.summary import canary_records_sentence
from breachscope.case.tasks import add_task
from breachscope.clock import Clock, SystemClock
from breachscope.progress import NullProgress, Progress
from breachscope.readers import open_sources

T = TypeVar("T")


@dataclass(frozen=True)
class Found:
    """One registered canary value found in one column (or mail), with how often."""

    batch_id: int
    canary_no: int
    field: str
    vendor: str
    column: str
    occurrences: int


@dataclass(frozen=True)
class VendorFound:
    vendor: str
    canaries_found: int  # distinct canaries (people) of this vendor found
    issued: int  # canaries issued to this vendor in all its batches
    fields: tuple[str, ...]
    batches: tuple[int, ...]


@dataclass
class CheckResult:
    files: list[str]
    records: int
    values_checked: int
    text_columns: int
    other_columns: int
    complete: bool
    unread: list[str]
    registered: int  # canaries in the registry
    vendors_registered: int
    method: str
    found: list[Found] = field(default_factory=list)
    issued_per_vendor: dict[str, int] = field(default_factory=dict)
    #: Canary records left out of the people (``case attach``, :mod:`.exclude`); None: a plain check.
    excluded: int | None = None
    excluded_by_vendor: dict[str, int] = field(default_factory=dict)

    @property
    def vendors(self) -> list[VendorFound]:
        out = []
        by_vendor: dict[str, list[Found]] = {}
        for f in self.found:
            by_vendor.setdefault(f.vendor, []).append(f)
        for vendor, items in sorted(by_vendor.items(), key=lambda kv: kv[0].casefold()):
            out.append(
                VendorFound(
                    vendor,
                    len({(f.batch_id, f.canary_no) for f in items}),
                    self.issued_per_vendor.get(vendor, 0),
                    tuple(sorted({f.field for f in items})),
                    tuple(sorted({f.batch_id for f in items})),
                )
            )
        return out

    @property
    def verdict(self) -> str:
        n = len(self.vendors)
        return "none" if n == 0 else "vendor" if n == 1 else "several"

    def summary(self, what: str) -> str:
        """The sentence the case and the CLI show (every number measured by this check)."""
        said = self._attribution(what)
        if self.excluded is None or not self.found:
            return said
        left_out = canary_records_sentence(self.excluded, self.excluded_by_vendor, self.records)
        if left_out is None:
            left_out = (
                "The canary values occur only inside longer values (no record is a canary itself): "
                "no record was left out of the people."
            )
        return f"{said} {left_out}"

    def _attribution(self, what: str) -> str:
        vendors = self.vendors
        if not vendors:
            read = "" if self.complete else " read"
            tail = ""
            if not self.complete:
                tail = "; the read was incomplete" + (
                    f" ({'; '.join(self.unread)[:300]})" if self.unread else ""
                )
            return (
                f"Canary check of {what}: no canary found in {self.values_checked:,} text values of "
                f"{self.records:,} records{read}{tail} (registry: {self.registered:,} canaries of "
                f"{self.vendors_registered} vendors). This clears no vendor: canaries may not be in "
                "the part that leaked, or none were planted at the vendor that leaked."
            )
        listed = "; ".join(
            f"{v.vendor}: {v.canaries_found} of {v.issued} issued ({', '.join(v.fields)})" for v in vendors
        )
        if len(vendors) == 1:
            v = vendors[0]
            return (
                f"Canary check of {what}: canaries issued only to {v.vendor} found ({listed}): the data "
                f"passed through {v.vendor}, or through whoever received {v.vendor}'s data."
            )
        return (
            f"Canary check of {what}: canaries of {len(vendors)} vendors found in one dataset ({listed}): "
            "this points to an aggregator (a party that receives data from several of these vendors) "
            "or an internal source (our own systems that feed them), not to any one of them."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "records": self.records,
            "values_checked": self.values_checked,
            "text_columns": self.text_columns,
            "other_columns": self.other_columns,
            "complete": self.complete,
            "unread": self.unread,
            "registered": self.registered,
            "vendors_registered": self.vendors_registered,
            "method": self.method,
            "verdict": self.verdict,
            "vendors": [
                {
                    "vendor": v.vendor,
                    "canaries_found": v.canaries_found,
                    "issued": v.issued,
                    "fields": list(v.fields),
                    "batches": list(v.batches),
                }
                for v in self.vendors
            ],
            "found": [f.__dict__ for f in self.found],
            "excluded_records": self.excluded,
            "excluded_by_vendor": dict(self.excluded_by_vendor),
        }


def result_of(
    matcher: Matcher,
    resolved: Resolved,
    files: Sequence[str],
    *,
    complete: bool = True,
    unread: Sequence[str] = (),
    excluded: int | None = None,
    excluded_by_vendor: dict[str, int] | None = None,
) -> CheckResult:
    """A :class:`CheckResult` from what ``matcher`` was fed; ``resolved`` is
    :func:`~breachscope.canary.registry.lookup` of its candidates (or more: only candidates
    count). ``excluded``: the canary records ``case attach`` left out of the people."""
    reg = matcher.registry
    issued: dict[str, int] = {}
    for b in reg.batches.values():
        issued[b.vendor] = issued.get(b.vendor, 0) + b.count
    found = []
    hits = [(h, column, n) for (h, column), n in matcher.candidates.items() if h in resolved]
    for h, column, count in sorted(hits, key=lambda x: (resolved[x[0]], x[1])):
        batch_id, no, fld = resolved[h]
        found.append(Found(batch_id, no, fld, reg.batches[batch_id].vendor, column, count))
    return CheckResult(
        files=list(files),
        records=matcher.records,
        values_checked=matcher.values_checked,
        text_columns=len(matcher.text_columns),
        other_columns=len(matcher.other_columns),
        complete=complete,
        unread=list(unread),
        registered=reg.canaries,
        vendors_registered=len(reg.vendors),
        method=matcher.method,
        found=found,
        issued_per_vendor=issued,
        excluded=excluded,
        excluded_by_vendor=dict(excluded_by_vendor or {}),
    )


def new_matcher(engine: Engine, registry: Registry) -> Matcher:
    """A matcher whose full-hash fallback reads the registry's hashes from ``engine``."""

    def every_hash() -> list[str]:
        with session_scope(engine) as s:
            return all_hashes(s)

    return Matcher(registry, every_hash)


def finish(
    engine: Engine, matcher: Matcher, files: Sequence[str], complete: bool, unread: Sequence[str]
) -> CheckResult:
    """Look the matcher's candidates up in the registry and build the result."""
    with session_scope(engine) as s:
        resolved = lookup(s, (h for h, _ in matcher.candidates))
    return result_of(matcher, resolved, files, complete=complete, unread=unread)


def check_files(
    engine: Engine,
    registry: Registry,
    paths: Sequence[str | Path],
    *,
    progress: Progress | None = None,
    batch_rows: int = 131_072,
) -> CheckResult:
    """Check every text value of every table of ``paths`` (streamed, with the readers' budgets).

    Reading runs in a second thread one batch ahead of DuckDB (both release the GIL), so the
    check costs little more than the read."""
    progress = progress or NullProgress()
    unread: list[str] = []
    complete = True
    names = []
    with new_matcher(engine, registry) as matcher:
        for path in paths:
            p = Path(path)
            names.append(p.name)
            progress.start(f"Checking {p.name} for canaries", total=p.stat().st_size if p.is_file() else None)
            for src in open_sources(p, batch_rows=batch_rows):
                label = src.name if src.name != p.name else ""
                try:
                    for batch in prefetch(c.batch for c in src.chunks(progress.advance)):
                        matcher.feed(batch, label)
                finally:
                    src.close()
                for issue in src.issues:
                    if issue.unread:
                        complete = False
                        unread.append(f"{src.name}: {issue.kind}")
        progress.finish()
        return finish(engine, matcher, names, complete, sorted(set(unread))[:20])


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """``items``, produced by a background thread up to ``depth`` ahead; its errors re-raised here."""
    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                q.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False  # the consumer has gone

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(("error", exc))

    worker = threading.Thread(target=produce, name="canary-read", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        worker.join(timeout=5)


def record(
    session: Session,
    incident_id: int,
    result: CheckResult,
    *,
    source: str,
    what: str,
    dataset_id: int | None = None,
    author: str = api.DEFAULT_AUTHOR,
    clock: Clock | None = None,
    detail: dict[str, Any] | None = None,
) -> CanaryCheck:
    """Store a check in the incident: the check row, its hits, a timeline event."""
    api.require_open(session, incident_id)
    now = (clock or SystemClock()).now()
    summary = result.summary(what)
    row = CanaryCheck(
        incident_id=incident_id,
        dataset_id=dataset_id,
        source=source,
        file_name=what[:500],
        at=now,
        author=author,
        values_checked=result.values_checked,
        records=result.records,
        complete=result.complete,
        registered=result.registered,
        verdict=result.verdict,
        vendors=result.to_dict()["vendors"],
        summary=summary,
    )
    session.add(row)
    session.flush()
    for f in result.found:
        session.add(
            CanaryHit(
                check_id=row.id,
                incident_id=incident_id,
                batch_id=f.batch_id,
                canary_no=f.canary_no,
                vendor=f.vendor,
                field=f.field,
                column=f.column[:500],
                occurrences=f.occurrences,
                detail=detail or {},
            )
        )
    api.add_timeline_event(session, incident_id, summary, author=author, kind="canary", clock=clock, at=now)
    _task(session, incident_id, result, author, clock)
    session.flush()
    return row


def _task(session: Session, incident_id: int, result: CheckResult, author: str, clock: Clock | None) -> None:
    """What the attribution asks someone to do (idempotent per vendor or vendor set)."""
    vendors = [v.vendor for v in result.vendors]
    if not vendors:
        return
    if len(vendors) == 1:
        v = vendors[0]
        title = f"Canaries planted only at {v} are in the leak: ask {v} for its account of it"
    else:
        title = (
            f"Canaries of {', '.join(vendors)} are in one leak: find the aggregator or internal system "
            "that receives data from all of them"
        )
    add_task(
        session,
        incident_id,
        title[:300],
        actor=author,
        kind="canary",
        source="canary",
        source_ref="dataset:" + ",".join(sorted(v.casefold() for v in vendors))[:200],
        detail=result.summary(", ".join(result.files)),
        clock=clock,
    )
