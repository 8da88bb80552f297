"""Build :class:`Facts` from the case database, run the engine, store the snapshot.

``facts_from_case`` reads only what earlier stages stored: each dataset's scan report (class
statuses), the scope's jurisdiction counts, the incident dates and the incident facts a person
recorded (``breachscope case facts``: cause, encryption, whose systems, role, sectors). Those
facts are the one source of truth; a fact nobody recorded is listed in ``Facts.unrecorded`` with
the cautious reading the engine used for it (e.g. "not encrypted").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, column, select, table
from sqlalchemy.orm import Session

from breachscope.case import api
from breachscope.case import facts as case_facts
from breachscope.case.facts import IncidentFacts
from breachscope.case.models import Exposure, UTCDateTime
from breachscope.errors import BreachscopeError
from breachscope.identity.jurisdiction import count_keys
from breachscope.rules import store
from breachscope.rules.engine import assess
from breachscope.rules.facts import ASSUMED_WHEN_UNRECORDED, Assessment, Facts
from breachscope.rules.schema import RuleSet
from breachscope.scope import jurisdiction_counts

#: Keys a scan report may use for "how many values were checked", tried in order.
_VALUE_KEYS = ("values_examined", "values_checked", "values_scanned", "values", "cells", "checked")


#: cause (a recorded fact) -> the engine's "malicious" condition (unauthorised outsider / wrongful
#: purpose). An insider is left undecided: rules word this condition differently (Japan: a wrongful
#: purpose; Korea and Indonesia: an outside party), so a person decides per duty.
MALICIOUS_BY_CAUSE: dict[str, bool | None] = {
    "outside-attacker": True,
    "insider": None,
    "misdirected-export": False,
    "misconfigured-export": False,
    "unknown": None,
}


def _engine_circumstances(recorded: IncidentFacts) -> dict[str, Any]:
    sectors = recorded.get("sectors")
    return {
        "encrypted": recorded.tri("encrypted") is True,
        "key_exposed": recorded.tri("key-exposed"),
        "vendor_breach": recorded.get("breached-party") != "us",
        "role": "processor" if recorded.get("role") == "processor" else "controller",
        "malicious": MALICIOUS_BY_CAUSE.get(recorded.get("cause")),
        "cause": recorded.get("cause"),
        "sectors": frozenset() if sectors in ("unknown", "none") else frozenset(sectors.split(",")),
        "unrecorded": tuple(k for k in ASSUMED_WHEN_UNRECORDED if recorded.get(k) == "unknown"),
    }


def _count(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, Mapping):
        for key in _VALUE_KEYS:
            if key in value:
                return _count(value[key])
    return 0


def classes_from_scans(
    scans: Iterable[Mapping[str, Any] | None], usable: Iterable[bool] | None = None
) -> tuple[set[str], set[str], int]:
    """(present, absent, values checked) over stored scan reports.

    Present in any dataset wins; absent only if every scanned dataset says absent (a
    ``not_checked`` class is neither). ``usable`` (one flag per scan) says whether a dataset's
    absences may be used: an incomplete read that no person accepted says nothing is absent.
    """
    present: set[str] = set()
    absent: set[str] | None = None
    values = 0
    flags = iter(usable) if usable is not None else None
    for scan in scans:
        ok = next(flags, True) if flags is not None else True
        if not isinstance(scan, Mapping):
            continue
        classes = scan.get("classes")
        if not isinstance(classes, Mapping):
            continue
        here_absent: set[str] = set()
        for cid, info in classes.items():
            status = info.get("status") if isinstance(info, Mapping) else info
            if status == "present":
                present.add(str(cid))
            elif status == "absent" and ok:
                here_absent.add(str(cid))
        absent = here_absent if absent is None else absent & here_absent
        values += _count(scan.get("totals")) or _count(scan)
    return present, (absent or set()) - present, values


def records_checked(datasets: Iterable[Any]) -> tuple[int, int, bool]:
    """(records examined, files, every file read whole) over the datasets whose absences count."""
    records = files = 0
    whole = True
    for d in datasets:
        if not d.absence_usable:
            continue
        scan = d.scan_json if isinstance(d.scan_json, Mapping) else {}
        rows = scan.get("rows_examined")
        records += int(rows) if isinstance(rows, int) and not isinstance(rows, bool) else int(d.records or 0)
        files += 1
        whole = whole and d.is_complete
    return records, files, whole


def _exposed_classes(session: Session, incident_id: int) -> set[str]:
    out: set[str] = set()
    stmt = select(Exposure.exposed_classes).where(api.settled(session, incident_id))
    for (classes,) in session.execute(stmt):
        out.update(classes or ())
    return out


def classes_by_code(session: Session, incident_id: int) -> dict[str, frozenset[str]]:
    """Classes exposed for the people of each jurisdiction code (country and subdivision, as the
    scope counts them; unlocated people under ``"ZZ"``). Reads distinct (code, classes) pairs."""
    stmt = (
        select(Exposure.jurisdiction, Exposure.directory_jurisdiction, cast(Exposure.exposed_classes, String))
        .where(api.settled(session, incident_id))
        .distinct()
    )
    out: dict[str, set[str]] = {}
    for code, directory, text in session.execute(stmt):
        try:
            classes = json.loads(text) if text else []
        except ValueError:
            continue
        if not isinstance(classes, list):
            continue
        for key in count_keys(code, directory):
            out.setdefault(key, set()).update(str(c) for c in classes)
    return {k: frozenset(v) for k, v in sorted(out.items())}


#: The notify outbox, read by table name: assess runs before notify and does not import it.
_OUTBOX = table(
    "notify_outbox", column("incident_id"), column("kind"), column("state"), column("recipient_key"),
    column("sent_at", UTCDateTime),
)  # fmt: skip


def individuals_notified_at(session: Session, incident_id: int) -> dict[str, datetime]:
    """Jurisdiction code -> when the first notice to an affected person there was sent.

    Read from the notify outbox (user notices in state ``sent``), each person placed in the
    jurisdiction the scope gives them; keyed like the counts (``"US-CA"`` and ``"US"``). Starts
    the clocks that run "after another duty is performed" (California's sample notice to the AG).
    """
    from breachscope.scope.recipients import recipients

    stmt = select(_OUTBOX.c.recipient_key, _OUTBOX.c.sent_at).where(
        _OUTBOX.c.incident_id == incident_id,
        _OUTBOX.c.kind == "user",
        _OUTBOX.c.state == "sent",
        _OUTBOX.c.sent_at.is_not(None),
    )
    rows = session.execute(stmt).all()
    if not rows:
        return {}
    # every jurisdiction the person counts under (leak and directory), as the scope counts them
    where = {
        r.user_id: count_keys(*(r.jurisdictions or (r.jurisdiction,)))
        for r in recipients(session, incident_id)
    }
    out: dict[str, datetime] = {}
    for key, at in rows:
        if at is None:
            continue
        for k in where.get(str(key), ()):
            if k != "ZZ":
                out[k] = min(out.get(k, at), at)
    return dict(sorted(out.items()))


def _jurisdiction_counts(session: Session, incident_id: int) -> dict[str, int]:
    return jurisdiction_counts(session, incident_id)


def facts_from_case(session: Session, incident_id: int) -> Facts:
    """The engine's facts for an incident, from the stored scans, scope, dates and recorded facts."""
    incident = api.get_incident(session, incident_id)
    datasets = api.list_datasets(session, incident_id)
    if not datasets:
        raise BreachscopeError(
            f"incident {incident_id} has no scanned dataset: nothing to assess",
            f"attach the leaked file first: breachscope case attach {incident_id} FILE",
        )
    present, absent, values = classes_from_scans(
        [d.scan_json for d in datasets], [d.absence_usable for d in datasets]
    )
    records, files, whole = records_checked(datasets)
    if not present and not absent:
        present = _exposed_classes(session, incident_id)  # no scan report: what the people show
    counts = {k: v for k, v in _jurisdiction_counts(session, incident_id).items() if v > 0}
    return Facts(
        present=frozenset(present),
        absent=frozenset(absent),
        values_checked=values,
        records_checked=records,
        files_checked=files,
        absence_complete=whole,
        affected=counts,
        vendor_detected_at=incident.vendor_detected_at,
        vendor_notified_us_at=incident.vendor_notified_us_at,
        dataset_received_at=incident.dataset_received_at,
        aware_at=incident.aware_at,
        occurred_at=incident.occurred_at,
        **_engine_circumstances(case_facts.incident_facts(session, incident_id)),
        decisions=store.decisions(session, incident_id),
        classes_by_code=classes_by_code(session, incident_id),
        individuals_notified_at=individuals_notified_at(session, incident_id),
    )


def run_assessment(
    session: Session,
    incident_id: int,
    rules: RuleSet,
    *,
    now: datetime,
) -> tuple[int, Assessment]:
    """Assess the incident from the case and store the snapshot; return (assessment id, assessment)."""
    facts = facts_from_case(session, incident_id)
    assessment = assess(facts, rules, now=now)
    assessment_id = store.save_assessment(session, incident_id, assessment)
    notices = [d for d in assessment.duties if d.recipient != "records"]
    required = sum(d.verdict == "required" for d in notices)
    pending = sum(d.verdict == "assessment_required" for d in notices)
    records = sum(d.recipient == "records" and d.verdict == "required" for d in assessment.duties)
    api.add_timeline_event(
        session,
        incident_id,
        f"Assessment {assessment_id}: {required} duties required, {pending} need a risk decision, "
        f"{records} records to keep (rules {rules.version})",
        kind="assess",
        at=now,
    )
    return assessment_id, assessment
