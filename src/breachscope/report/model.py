"""What the incident report says, gathered from the case: plain data, no wording.

Every field here is read from what an earlier stage stored (the incident row and its dates, the
facts a person recorded, each dataset's stored scan report, the latest scope run, the latest
assessment snapshot, the notify outbox, the timeline, the task rows when the case has them) or
is ``None``/empty when nothing is stored. Nothing is inferred: a class no detector examined is
``not_checked`` (never absent), a fact nobody recorded is ``unknown``, a stage that did not run
is ``None`` and the templates say so. The wording (English, Indonesian) is in the templates.

Reading is bounded for very large cases: counts come from the stored scope summary and grouped
outbox queries, never from a pass over the exposures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, case, func, select
from sqlalchemy.orm import Session

from breachscope import __version__
from breachscope.case import api
from breachscope.case import facts as case_facts
from breachscope.case.db import session_scope
from breachscope.case.models import Dataset, TimelineEvent
from breachscope.case.summary import vendor_links
from breachscope.case.tasks import ACTIVE, Task, list_tasks
from breachscope.clock import Clock, SystemClock
from breachscope.identity.jurisdiction import UNKNOWN_CODE, country_name
from breachscope.notify.outbox import STATES, OutboxMessage
from breachscope.report.store import PublicUpdate
from breachscope.report.store import updates as recorded_updates
from breachscope.rules import store
from breachscope.rules.case_facts import classes_from_scans, records_checked
from breachscope.rules.facts import Duty, NotNeeded
from breachscope.rules.loader import load_rules
from breachscope.rules.report import summary as duty_summary
from breachscope.rules.schema import Jurisdiction

#: The statuses a data class can have in the report (``not_checked_incomplete``: absent only in
#: the records that could be read of a file that was not read whole and that no person accepted).
CLASS_STATUSES = ("present", "absent", "not_checked", "not_checked_incomplete")
#: At most this many columns are listed as evidence per class (the count of the rest is given).
MAX_COLUMNS = 6
#: At most this many open tasks are listed (the summary gives the count of all).
MAX_TASKS = 200
#: At most this many timeline events are shown (the newest; the report says how many exist).
MAX_TIMELINE = 200


@dataclass(frozen=True)
class Fact:
    key: str
    value: str  # "unknown" when nobody recorded it
    set_by: str | None = None
    set_at: datetime | None = None


@dataclass(frozen=True)
class DatasetRow:
    file_name: str
    records: int
    size_bytes: int
    complete: bool
    unread_records: int
    unread_bytes: int | None
    accepted_by: str | None
    accepted_why: str | None
    scanned_at: datetime
    vendor: str | None
    #: Canary records (synthetic people planted at vendors) among ``records``, left out of the
    #: people; None: no canary check ran at attach. ``canary_vendors``: per vendor, sorted.
    canary_records: int | None = None
    canary_vendors: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class LeakOnlyField:
    key: str
    classes: tuple[str, ...]
    why: str  # the reason stored with the comparison (English); the template words it per language


@dataclass(frozen=True)
class VendorComparison:
    """The stored incident <-> vendor comparison (``breachscope vendors link NAME --incident N``)."""

    vendor: str
    status: str
    compared_at: datetime | None  # None: never compared
    in_both: tuple[str, ...]
    leak_only: tuple[LeakOnlyField, ...]
    sent_only: tuple[str, ...]
    leak_only_classes: tuple[str, ...]
    sent_only_classes: tuple[str, ...]
    caveats: tuple[str, ...]


@dataclass(frozen=True)
class ColumnEvidence:
    source: str
    column: str
    matches: int


@dataclass(frozen=True)
class ClassRow:
    """One data class over every attached dataset, with the numbers that back its status."""

    id: str
    status: str  # one of CLASS_STATUSES
    tier: str
    matches: int  # values found (present)
    values_examined: int  # values a detector of the class examined (absent)
    records_examined: int
    detectors: tuple[str, ...]
    columns: tuple[ColumnEvidence, ...]
    more_columns: int


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2, or "ZZ" for no known location
    name: str | None
    people: int
    subdivisions: tuple[tuple[str, int], ...]
    duties_required: int
    duties_pending: int


@dataclass(frozen=True)
class ScopeFigures:
    at: datetime
    leaked_people: int
    matched_people: int
    affected_users: int
    affected_orgs: int
    admins: int
    unmatched_people: int
    ambiguous_people: int
    lookalike_people: int
    org_only_people: int


@dataclass(frozen=True)
class DutyCounts:
    required: int
    pending: int
    not_required: int
    records: int
    overdue: int


@dataclass(frozen=True)
class AssessmentPart:
    id: int
    assessed_at: datetime
    rule_set_version: str
    duties: tuple[Duty, ...]
    records: tuple[Duty, ...]
    counts: DutyCounts
    next_due: Duty | None
    gaps: tuple[str, ...]


@dataclass(frozen=True)
class NoticeCounts:
    """The outbox by kind (user, admin, regulator) and state, plus unconfirmed sends."""

    by_kind: Mapping[str, Mapping[str, int]]
    unconfirmed: int
    first_sent_at: datetime | None
    last_sent_at: datetime | None

    def total(self, state: str) -> int:
        return sum(states.get(state, 0) for states in self.by_kind.values())

    @property
    def confirmed(self) -> int:
        return self.total("sent") - self.unconfirmed

    @property
    def pending(self) -> int:
        return self.total("queued") + self.total("sending")

    @property
    def undelivered(self) -> int:
        return self.total("failed") + self.total("bounced")

    @property
    def any(self) -> bool:
        return any(n for states in self.by_kind.values() for n in states.values())


@dataclass(frozen=True)
class TaskRow:
    title: str
    status: str
    owner: str | None
    due: datetime | None
    overdue: bool


@dataclass(frozen=True)
class TimelineRow:
    at: datetime
    author: str
    kind: str
    message: str


@dataclass(frozen=True)
class ReportData:
    generated_at: datetime
    tool_version: str
    incident_id: int
    name: str
    vendor: str
    description: str
    status: str
    created_at: datetime
    dates: Mapping[str, datetime | None]
    facts: tuple[Fact, ...]
    datasets: tuple[DatasetRow, ...]
    classes: tuple[ClassRow, ...]
    records_checked: int
    files_checked: int
    all_read_whole: bool
    scope: ScopeFigures | None
    countries: tuple[Country, ...]
    assessment: AssessmentPart | None
    notices: NoticeCounts
    #: Open and in-progress tasks (at most MAX_TASKS, earliest due first); counts per status.
    tasks: tuple[TaskRow, ...]
    task_counts: Mapping[str, int]
    timeline: tuple[TimelineRow, ...]
    timeline_total: int
    #: Actions for the people affected (rule data, by language) and those not needed, with why.
    actions: tuple[Mapping[str, Any], ...] = ()
    not_needed: tuple[NotNeeded, ...] = ()
    #: Dated updates a person wrote for the public page (``breachscope report update``).
    public_updates: tuple[PublicUpdate, ...] = ()
    #: Vendors linked to the incident with their stored field comparison; () when none is linked.
    vendors: tuple[VendorComparison, ...] = ()

    def classes_with(self, status: str) -> list[ClassRow]:
        return [c for c in self.classes if c.status == status]

    @property
    def open_tasks(self) -> int:
        return sum(self.task_counts.get(s, 0) for s in ACTIVE)

    def fact(self, key: str) -> str:
        return next((f.value for f in self.facts if f.key == key), case_facts.UNKNOWN)


DATE_KEYS = ("occurred_at", "vendor_detected_at", "vendor_notified_us_at", "dataset_received_at", "aware_at")


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


def _datasets(datasets: Sequence[Dataset]) -> tuple[DatasetRow, ...]:
    return tuple(
        DatasetRow(
            file_name=d.file_name,
            records=d.records,
            size_bytes=d.size_bytes,
            complete=d.is_complete,
            unread_records=d.unread_records,
            unread_bytes=d.unread_bytes,
            accepted_by=d.incomplete_accepted_by,
            accepted_why=d.incomplete_accepted_why,
            scanned_at=d.scanned_at,
            vendor=d.vendor,
            canary_records=d.canary_records,
            canary_vendors=tuple(sorted((d.canary_vendors or {}).items(), key=lambda kv: kv[0].casefold())),
        )
        for d in datasets
    )


def _classes(datasets: Sequence[Dataset]) -> tuple[ClassRow, ...]:
    """Each class's status over all datasets (present anywhere wins; absent only where every
    dataset's usable scan says absent) with its summed evidence."""
    scans = [d.scan_json if isinstance(d.scan_json, Mapping) else None for d in datasets]
    present, absent, _ = classes_from_scans(scans, [d.absence_usable for d in datasets])
    seen: dict[str, dict[str, Any]] = {}
    for scan in scans:
        classes = (scan or {}).get("classes")
        if not isinstance(classes, Mapping):
            continue
        for cid, info in classes.items():
            if not isinstance(info, Mapping):
                continue
            row = seen.setdefault(
                str(cid),
                {
                    "tier": "",
                    "matches": 0,
                    "values": 0,
                    "records": 0,
                    "detectors": {},
                    "columns": [],
                    "abs": 0,
                },
            )
            row["tier"] = row["tier"] or str(info.get("tier") or "")
            row["matches"] += _int(info.get("matches"))
            raw_ev = info.get("evidence")
            ev: Mapping[str, Any] = raw_ev if isinstance(raw_ev, Mapping) else {}
            row["values"] += _int(ev.get("values_examined"))
            row["records"] += _int(ev.get("rows_examined"))
            row["abs"] += info.get("status") == "absent"
            for det in ev.get("detectors") or ():
                if isinstance(det, Mapping) and det.get("ref"):
                    row["detectors"][str(det["ref"])] = None
            for col in info.get("columns") or ():
                if isinstance(col, Mapping):
                    row["columns"].append(
                        ColumnEvidence(
                            str(col.get("source", "")), str(col.get("column", "")), _int(col.get("matches"))
                        )
                    )
    out: list[ClassRow] = []
    for cid, row in seen.items():
        if cid in present:
            status = "present"
        elif cid in absent:
            status = "absent"
        elif row["abs"]:
            status = "not_checked_incomplete"  # absent only in what could be read, not accepted
        else:
            status = "not_checked"
        columns = sorted(row["columns"], key=lambda c: -c.matches)
        out.append(
            ClassRow(
                id=cid,
                status=status,
                tier=row["tier"],
                matches=row["matches"],
                values_examined=row["values"],
                records_examined=row["records"],
                detectors=tuple(row["detectors"]),
                columns=tuple(columns[:MAX_COLUMNS]),
                more_columns=max(0, len(columns) - MAX_COLUMNS),
            )
        )
    return tuple(out)


def _covers(duty: Duty, codes: Sequence[str], files: Mapping[str, Jurisdiction]) -> bool:
    """Whether a duty applies to people of one of ``codes`` (a country and its subdivisions): by
    its rule file's list of codes (the EU file covers DE, FR, ...), else by its own code."""
    j = files.get(duty.jurisdiction)
    if j is not None:
        return any(j.covers(c) for c in codes)
    return any(c == duty.jurisdiction or c.startswith(duty.jurisdiction + "-") for c in codes)


def _countries(jurisdictions: Mapping[str, Any], duties: Sequence[Duty]) -> tuple[Country, ...]:
    counts = {str(k): _int(v) for k, v in jurisdictions.items()}
    files = {j.code: j for j in load_rules().jurisdictions} if duties else {}
    out: list[Country] = []
    for code, people in counts.items():
        if "-" in code:
            continue
        subs = tuple(
            sorted(((k, v) for k, v in counts.items() if k.startswith(code + "-")), key=lambda kv: -kv[1])
        )
        codes = [code, *(k for k, _ in subs)]
        notices = [d for d in duties if d.recipient != "records" and _covers(d, codes, files)]
        out.append(
            Country(
                code=code,
                name=None if code == UNKNOWN_CODE else country_name(code),
                people=people,
                subdivisions=subs,
                duties_required=sum(d.verdict == "required" for d in notices),
                duties_pending=sum(d.verdict == "assessment_required" for d in notices),
            )
        )
    return tuple(sorted(out, key=lambda c: (c.code == UNKNOWN_CODE, -c.people, c.code)))


def _scope(session: Session, incident_id: int) -> tuple[ScopeFigures | None, Mapping[str, Any]]:
    run = api.latest_scope(session, incident_id)
    if run is None:
        return None, {}
    s = run.summary or {}
    figures = ScopeFigures(
        at=run.at,
        **{
            k: _int(s.get(k))
            for k in (
                "leaked_people",
                "matched_people",
                "affected_users",
                "affected_orgs",
                "admins",
                "unmatched_people",
                "ambiguous_people",
                "lookalike_people",
                "org_only_people",
            )
        },
    )
    juris = s.get("jurisdictions")
    return figures, juris if isinstance(juris, Mapping) else {}


def _assessment(session: Session, incident_id: int) -> AssessmentPart | None:
    stored = store.latest_assessment(session, incident_id)
    if stored is None:
        return None
    a = stored.assessment
    s = duty_summary(a)
    by_due = sorted(
        (d for d in a.duties if d.recipient != "records"),
        key=lambda d: (d.verdict == "not_required", d.due is None, d.due or a.assessed_at, d.jurisdiction),
    )
    return AssessmentPart(
        id=stored.id,
        assessed_at=a.assessed_at,
        rule_set_version=a.rule_set_version,
        duties=tuple(by_due),
        records=tuple(d for d in a.duties if d.recipient == "records"),
        counts=DutyCounts(s.required, s.pending, s.not_required, s.records, s.overdue),
        next_due=s.next_due,
        gaps=tuple(a.facts.gaps()),
    )


def _notices(engine: Engine, incident_id: int) -> NoticeCounts:
    """The outbox in one grouped pass (a 10M-notice outbox is read once, not three times)."""
    table = cast(Table, OutboxMessage.__table__)
    unconfirmed_expr = case((table.c.confirmed.is_(False), 1), else_=0)
    by_kind: dict[str, dict[str, int]] = {}
    unconfirmed = 0
    first: datetime | None = None
    last: datetime | None = None
    with engine.connect() as conn:
        for kind, state, n, unconf, lo, hi in conn.execute(
            select(
                table.c.kind,
                table.c.state,
                func.count(),
                func.sum(unconfirmed_expr),
                func.min(table.c.sent_at),
                func.max(table.c.sent_at),
            )
            .where(table.c.incident_id == incident_id)
            .group_by(table.c.kind, table.c.state)
        ):
            by_kind.setdefault(str(kind), dict.fromkeys(STATES, 0))[str(state)] = int(n)
            if state != "sent":
                continue
            unconfirmed += int(unconf or 0)
            lo, hi = _aware(lo), _aware(hi)
            first = lo if first is None or (lo is not None and lo < first) else first
            last = hi if last is None or (hi is not None and hi > last) else last
    return NoticeCounts(by_kind, unconfirmed, first, last)


def _aware(value: Any) -> datetime | None:
    """An aggregate (min/max) of a UTC column: SQLite returns it without its zone, or as text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _tasks(session: Session, incident_id: int, now: datetime) -> tuple[tuple[TaskRow, ...], dict[str, int]]:
    """Open tasks (open or in progress), earliest due first, and the count of tasks per status
    (plus ``overdue``: open or in progress with a due time before now)."""
    counts = {
        str(status): int(n)
        for status, n in session.execute(
            select(Task.status, func.count()).where(Task.incident_id == incident_id).group_by(Task.status)
        )
    }
    counts["overdue"] = int(
        session.scalar(
            select(func.count()).where(
                Task.incident_id == incident_id, Task.status.in_(ACTIVE), Task.due_at < now
            )
        )
        or 0
    )
    rows = tuple(
        TaskRow(t.title, t.status, t.owner, t.due_at, t.due_at is not None and t.due_at < now)
        for t in list_tasks(session, incident_id, statuses=ACTIVE)[:MAX_TASKS]
    )
    return rows, counts


def _timeline(session: Session, incident_id: int) -> tuple[tuple[TimelineRow, ...], int]:
    """The newest MAX_TIMELINE events (oldest first) and how many there are: a case of 100,000
    events is not loaded whole to show 200."""
    total = session.scalar(select(func.count()).where(TimelineEvent.incident_id == incident_id)) or 0
    newest = session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.incident_id == incident_id)
        .order_by(TimelineEvent.at.desc(), TimelineEvent.id.desc())
        .limit(MAX_TIMELINE)
    )
    rows = [TimelineRow(e.at, e.author, e.kind, e.message) for e in newest]
    return tuple(reversed(rows)), int(total)


def _parsed(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:  # "-": never compared
        return None


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _vendor_comparisons(session: Session, incident_id: int) -> tuple[VendorComparison, ...]:
    out = []
    for v in vendor_links(session, incident_id):
        stored = v.get("classes")
        classes: Mapping[str, Any] = stored if isinstance(stored, Mapping) else {}
        out.append(
            VendorComparison(
                vendor=str(v["vendor"]),
                status=str(v["status"]),
                compared_at=_parsed(v["compared_at"]),
                in_both=_strs(v["in_both"]),
                leak_only=tuple(
                    LeakOnlyField(str(r["key"]), _strs(r.get("classes")), str(r.get("why") or ""))
                    for r in v["leak_only"]
                ),
                sent_only=_strs(v["sent_only"]),
                leak_only_classes=_strs(classes.get("leak_only")),
                sent_only_classes=_strs(classes.get("sent_only")),
                caveats=_strs(v["caveats"]),
            )
        )
    return tuple(out)


def gather(engine: Engine, incident_id: int, *, clock: Clock | None = None) -> ReportData:
    """Everything the report states about incident ``incident_id``, read from the case."""
    now = (clock or SystemClock()).now()
    with session_scope(engine) as session:
        incident = api.get_incident(session, incident_id)
        recorded = case_facts.current(session, incident_id)
        facts = tuple(
            Fact(f.key, recorded[f.key].value, recorded[f.key].set_by, recorded[f.key].set_at)
            if f.key in recorded
            else Fact(f.key, case_facts.UNKNOWN)
            for f in case_facts.FACTS
        )
        datasets = api.list_datasets(session, incident_id)
        records, files, whole = records_checked(datasets)
        scope, juris = _scope(session, incident_id)
        assessment = _assessment(session, incident_id)
        stored = store.latest_assessment(session, incident_id)
        events, events_total = _timeline(session, incident_id)
        tasks, task_counts = _tasks(session, incident_id, now)
        data = ReportData(
            generated_at=now,
            tool_version=__version__,
            incident_id=incident.id,
            name=incident.name,
            vendor=incident.vendor,
            description=incident.description,
            status=incident.status,
            created_at=incident.created_at,
            dates={k: getattr(incident, k) for k in DATE_KEYS},
            facts=facts,
            datasets=_datasets(datasets),
            classes=_classes(datasets),
            records_checked=records,
            files_checked=files,
            all_read_whole=whole,
            scope=scope,
            countries=_countries(juris, assessment.duties if assessment else ()),
            assessment=assessment,
            notices=_notices(engine, incident_id),
            tasks=tasks,
            task_counts=task_counts,
            timeline=events,
            timeline_total=events_total,
            actions=tuple(
                {"id": a.id, "text": dict(a.text)}
                for a in (stored.assessment.actions if stored else ())
                if a.audience == "recipients"
            ),
            not_needed=tuple(
                n for n in (stored.assessment.not_needed if stored else ()) if n.audience == "recipients"
            ),
            public_updates=tuple(recorded_updates(session, incident_id)),
            vendors=_vendor_comparisons(session, incident_id),
        )
    return data


__all__ = ["CLASS_STATUSES", "ClassRow", "ReportData", "gather"]
