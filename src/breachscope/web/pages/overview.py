"""The incident list and the incident overview: dates, next due duty, counts, facts, charts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import Engine, Table, select
from sqlalchemy.orm import Session

from breachscope import taxonomy
from breachscope.case import api
from breachscope.case import facts as case_facts
from breachscope.case.dates import DATE_FIELDS, DATE_LABELS
from breachscope.case.db import session_scope
from breachscope.case.models import Dataset, Incident
from breachscope.case.summary import class_states
from breachscope.notify.outbox import NotifyRun
from breachscope.rules.facts import Duty
from breachscope.rules.store import decisions
from breachscope.web.pages.base import incident_page
from breachscope.web.pages.charts import Chart, hbar
from breachscope.web.pages.context import incident_role, settings, signed_in
from breachscope.web.pages.render import render
from breachscope.web.pages.snapshots import SnapshotCache

router = APIRouter()

CLASS_STATES = ("present", "absent", "not_checked")
#: What a send run's summary counts (notify.service.NotifyReport), charted per day.
OUTCOMES = ("sent", "unconfirmed", "deferred", "bounced", "failed")


@dataclass(frozen=True)
class NextDuty:
    duty: Duty
    overdue: bool


def open_duties(s: Session, incident_id: int, cache: SnapshotCache) -> list[Duty]:
    """Duties of the latest assessment still to perform (not settled "not required"), earliest first."""
    stored = cache.latest(s, incident_id)
    if stored is None:
        return []
    settled = {d.duty_id: d.verdict for d in decisions(s, incident_id)}
    out = [
        d
        for d in stored.assessment.duties
        if d.verdict != "not_required" and settled.get(d.id) != "not_required" and d.due is not None
    ]
    return sorted(out, key=lambda d: cast(datetime, d.due))


def class_totals(datasets: list[Dataset]) -> dict[str, list[str]]:
    """Per class its state over all datasets: present in any wins, then not checked, then absent
    (absent only when every dataset that looked at the class found none)."""
    rank = {"absent": 0, "not_checked": 1, "present": 2}
    state: dict[str, str] = {}
    for ds in datasets:
        for status, ids in class_states(ds.scan_json).items():
            status = status if status in rank else "not_checked"
            for cid in ids:
                if rank[status] >= rank[state.get(cid, "absent")]:
                    state[cid] = status
    out: dict[str, list[str]] = {k: [] for k in CLASS_STATES}
    for cid, status in sorted(state.items()):
        out[status].append(cid)
    return out


def notices_by_day(engine: Engine, incident_id: int) -> list[tuple[str, dict[str, int]]]:
    """Notices by outcome per day, from the send runs' own summaries (``notify_runs``: one row
    per run, so the chart costs the same for ten notices or ten million)."""
    table = cast(Table, NotifyRun.__table__)
    stmt = (
        select(table.c.started_at, table.c.summary)
        .where(table.c.incident_id == incident_id, table.c.mode == "send")
        .order_by(table.c.id)
    )
    out: dict[str, Counter[str]] = {}
    with engine.connect() as conn:
        for started, summary in conn.execute(stmt):
            day = started.strftime("%Y-%m-%d") if started else "unknown"
            for outcome in OUTCOMES:
                n = (summary or {}).get(outcome)
                if isinstance(n, int) and n:
                    out.setdefault(day, Counter())[outcome] += n
    return [(d, dict(c)) for d, c in out.items()]


def class_names(classes: dict[str, list[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for cid in (c for ids in classes.values() for c in ids):
        try:
            out[cid] = taxonomy.get(cid).name
        except KeyError:
            out[cid] = cid
    return out


def overview(engine: Engine, incident_id: int, now: datetime, cache: SnapshotCache) -> dict[str, Any]:
    with session_scope(engine) as s:
        incident = api.get_incident(s, incident_id)
        datasets = api.list_datasets(s, incident_id)
        scope = api.latest_scope(s, incident_id)
        summary = dict(scope.summary) if scope else {}
        duties = open_duties(s, incident_id, cache)
        facts = case_facts.current(s, incident_id)
        dates = [(DATE_LABELS[k], getattr(incident, k)) for k in DATE_FIELDS]
        people = sum(d.exposures for d in datasets)
        classes = class_totals(datasets)
        for ds in datasets:
            s.expunge(ds)
    juris: dict[str, int] = summary.get("jurisdictions") or {}
    countries = {k: v for k, v in juris.items() if "-" not in k}
    counts = [
        ("Leaked people", people),
        ("Matched users", summary.get("affected_users")),
        ("Organizations", summary.get("affected_orgs")),
        ("Admins", summary.get("admins")),
        ("Jurisdictions", len([k for k in countries if k != "ZZ"]) if scope else None),
    ]
    by_day = notices_by_day(engine, incident_id)
    states = sorted({st for _, c in by_day for st in c})
    charts: list[Chart] = []
    if countries:
        top = sorted(countries.items(), key=lambda kv: -kv[1])[:12]
        charts.append(
            hbar("Leaked people per jurisdiction (country; ZZ = unknown)", [(k, v, "") for k, v in top])
        )
    charts.append(
        hbar(
            "Data classes over all datasets",
            [(st.replace("_", " "), len(classes[st]), st) for st in CLASS_STATES],
        )
    )
    if by_day:
        items = [(f"{d} {st}", c.get(st, 0), st) for d, c in by_day[-7:] for st in states if c.get(st)]
        charts.append(hbar("Notices by outcome, per day of the send runs", items))
    next_duty = NextDuty(duties[0], bool(duties[0].due and duties[0].due < now)) if duties else None
    return {
        "dates": dates,
        "counts": counts,
        "facts": facts,
        "fact_questions": {f.key: f.question for f in case_facts.FACTS},
        "classes": classes,
        "class_names": class_names(classes),
        "duties": duties[:5],
        "next_duty": next_duty,
        "charts": charts,
        "scoped": scope is not None,
        "datasets": datasets,
    }


@router.get("/", response_class=HTMLResponse)
def incidents(request: Request) -> HTMLResponse:
    viewer = signed_in(request)
    conf = settings(request)
    ids = set(conf.auth.incident_ids(viewer))
    with session_scope(conf.engine) as s:
        rows = [
            {"id": i.id, "name": i.name, "vendor": i.vendor, "status": i.status, "aware_at": i.aware_at}
            for i in s.scalars(select(Incident).where(Incident.id.in_(ids)).order_by(Incident.id))
        ]
    html = render(
        "incidents.html.j2",
        {"viewer": viewer, "rows": rows, "csrf_token": conf.auth.csrf_token(request), "incident": None},
    )
    return HTMLResponse(html)


@router.get("/incidents/{incident_id}")
def incident_home(request: Request, incident_id: int) -> RedirectResponse:
    return RedirectResponse(f"/incidents/{incident_id}/overview", status_code=303)


@router.get("/incidents/{incident_id}/overview", response_class=HTMLResponse)
def overview_page(request: Request, incident_id: int) -> HTMLResponse:
    incident_role(request, incident_id)
    conf = settings(request)
    data = overview(conf.engine, incident_id, conf.clock.now(), conf.assessments)
    return incident_page(request, incident_id, "overview", "overview.html.j2", **data)
