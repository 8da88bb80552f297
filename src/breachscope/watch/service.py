"""``watch_domains``: generate look-alikes of the official domains, resolve them, record the change.

One run: check the official domains (or reuse the last run's), generate every candidate
(:mod:`.generate`), resolve them all (:mod:`.resolve`), then in one transaction:

- a registered candidate not yet in the case (or back after being gone) is **new**: a row in
  ``watch_lookalikes`` with a suggested action, and a timeline line;
- a stored look-alike that is registered again gets ``last_seen`` and its current records (and a
  timeline line when it starts receiving mail);
- a stored registered look-alike for which the resolver now says NXDOMAIN is **gone**;
- a stored one whose check was inconclusive keeps its state (``unknown_at`` is set).

The report lists all of that plus the candidates whose check was inconclusive, so nothing reads
as "absent" that was not checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from breachscope.case import api, tasks
from breachscope.case.db import session_scope
from breachscope.clock import Clock, FixedClock, SystemClock
from breachscope.errors import InputError
from breachscope.progress import NullProgress, Progress
from breachscope.watch.generate import ATTACK_WORDS, Candidate, generate_all
from breachscope.watch.names import check_domain, display_name, vendor_word
from breachscope.watch.resolve import Lookup, ResolverSettings, resolve_all
from breachscope.watch.store import Lookalike, WatchRun

#: At most this many official domains in one run (each gives a few thousand candidates).
MAX_DOMAINS = 20

ACTION_MAIL = (
    "block at the mail gateway (sender, reply-to and link domain) and request a takedown "
    "from the registrar; it can receive mail (MX)"
)
ACTION_WEB = "request a takedown from the registrar and block it at the web proxy/DNS filter"


def suggested_action(receives_mail: bool) -> str:
    return ACTION_MAIL if receives_mail else ACTION_WEB


def _task_titles(row: Lookalike) -> dict[str, tuple[str, str]]:
    """source_ref -> (title, detail) of a look-alike's two tasks: takedown, and block."""
    shown = (
        row.domain if display_name(row.domain) == row.domain else f"{row.domain} ({display_name(row.domain)})"
    )
    records = "; ".join(f"{t} {', '.join(v[:3])}" for t, v in sorted((row.records or {}).items()))
    detail = (
        f"Registered look-alike of {row.official} ({row.kind}), first seen "
        f"{row.first_seen.date().isoformat()} by breachscope watch domains. "
        f"DNS: {records or 'exists, no records'}."
    )
    block = (
        f"Block the look-alike {shown} at the mail gateway (sender, reply-to and link domain): "
        "it receives mail (MX)"
        if row.receives_mail
        else f"Block the look-alike {shown} at the web proxy / DNS filter"
    )
    return {
        f"takedown:{row.domain}": (f"Request a takedown of the look-alike {shown} of {row.official}", detail),
        f"block:{row.domain}": (block, detail),
    }


def _sync_tasks(
    s: Session, incident_id: int, row: Lookalike, author: str, reopen: tuple[str, ...], clock: Clock | None
) -> None:
    """Each registered look-alike is two tasks (takedown request; block), created once, kept up to
    date; ``reopen`` ("takedown", "block") opens those again (the look-alike came back: both;
    it started receiving mail: the block, now at the mail gateway)."""
    for ref, (title, detail) in _task_titles(row).items():
        change = tasks.add_task(
            s,
            incident_id,
            title,
            actor=author,
            kind="lookalike",
            source="watch",
            source_ref=ref,
            detail=detail,
            clock=clock,
        )
        if ref.split(":", 1)[0] in reopen and change.task.status not in tasks.ACTIVE:
            tasks.update_task(s, change.task.id, actor=author, status=tasks.OPEN, clock=clock)


@dataclass(frozen=True, slots=True)
class Finding:
    """One look-alike in the report."""

    domain: str
    unicode: str
    official: str
    kind: str
    state: str
    receives_mail: bool
    records: dict[str, list[str]]
    first_seen: datetime
    last_seen: datetime
    action: str
    action_state: str = "open"

    def to_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "unicode": self.unicode,
            "official": self.official,
            "kind": self.kind,
            "state": self.state,
            "receives_mail": self.receives_mail,
            "records": self.records,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "action": self.action,
            "action_state": self.action_state,
        }


@dataclass(slots=True)
class WatchReport:
    """What one run found: new, still registered, gone, and what could not be checked."""

    incident_id: int
    run_id: int
    at: datetime
    domains: list[str]
    resolver: str
    candidates: int
    new: list[Finding] = field(default_factory=list)
    still: list[Finding] = field(default_factory=list)
    gone: list[Finding] = field(default_factory=list)
    #: Candidates the resolver gave no verdict on (timeout, SERVFAIL): name -> reason.
    unknown: dict[str, str] = field(default_factory=dict)

    @property
    def registered(self) -> list[Finding]:
        return sorted(self.new + self.still, key=lambda f: f.domain)

    def to_dict(self) -> dict[str, Any]:
        reg = self.registered
        return {
            "incident": self.incident_id,
            "run": self.run_id,
            "at": self.at.isoformat(),
            "domains": self.domains,
            "resolver": self.resolver,
            "counts": {
                "candidates": self.candidates,
                "registered": len(reg),
                "receives_mail": sum(f.receives_mail for f in reg),
                "new": len(self.new),
                "gone": len(self.gone),
                "unknown": len(self.unknown),
            },
            "new": [f.to_dict() for f in self.new],
            "registered": [f.to_dict() for f in reg],
            "gone": [f.to_dict() for f in self.gone],
            "unknown": dict(sorted(self.unknown.items())),
        }


def _finding(row: Lookalike) -> Finding:
    return Finding(
        domain=row.domain,
        unicode=display_name(row.domain),
        official=row.official,
        kind=row.kind,
        state=row.state,
        receives_mail=row.receives_mail,
        records=dict(row.records or {}),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        action=row.action,
        action_state=row.action_state,
    )


def _officials(session: Session, incident_id: int, domains: Sequence[str]) -> list[str]:
    if len(domains) > MAX_DOMAINS:
        raise InputError(f"{len(domains)} domains given, at most {MAX_DOMAINS} in one run")
    if domains:
        return list(dict.fromkeys(check_domain(d) for d in domains))
    last = session.scalars(
        select(WatchRun).where(WatchRun.incident_id == incident_id).order_by(WatchRun.id.desc()).limit(1)
    ).first()
    if last is None:
        raise InputError(
            f"incident {incident_id} has no watched domains yet",
            "name the official domains once: breachscope watch domains --incident N --domain example.com",
        )
    return [d for d in last.domains.split(",") if d]


def _describe(row: Lookalike) -> str:
    mail = "receives mail (MX)" if row.receives_mail else "no MX"
    return f"{row.domain} ({row.kind} of {row.official}; {mail}); suggested: {row.action}"


def watch_domains(
    engine: Engine,
    incident_id: int,
    domains: Sequence[str] = (),
    *,
    resolver: ResolverSettings | None = None,
    words: Sequence[str] = ATTACK_WORDS,
    clock: Clock | None = None,
    author: str = api.DEFAULT_AUTHOR,
    progress: Progress | None = None,
) -> WatchReport:
    """Generate, resolve and record the look-alikes of the incident's official ``domains``."""
    settings = resolver or ResolverSettings()
    bar = progress or NullProgress()
    with session_scope(engine) as s:
        incident = api.require_open(s, incident_id)
        officials = _officials(s, incident_id, domains)
        vendor = vendor_word(incident.vendor or "")
    all_words = tuple(dict.fromkeys([*words, *([vendor] if vendor else [])]))
    candidates = generate_all(officials, all_words)
    bar.start("resolving look-alike domains", total=len(candidates))
    lookups = resolve_all([c.domain for c in candidates], settings, advance=bar.advance)
    bar.finish()
    now = (clock or SystemClock()).now()
    with session_scope(engine) as s:
        report = _record(s, incident_id, officials, candidates, lookups, now, author, settings)
    return report


def _record(
    s: Session,
    incident_id: int,
    officials: list[str],
    candidates: list[Candidate],
    lookups: dict[str, Lookup],
    now: datetime,
    author: str,
    settings: ResolverSettings,
) -> WatchReport:
    api.require_open(s, incident_id)
    stored = {r.domain: r for r in s.scalars(select(Lookalike).where(Lookalike.incident_id == incident_id))}
    report = WatchReport(incident_id, 0, now, officials, settings.describe(), len(candidates))
    events: list[str] = []
    for cand in candidates:
        found = lookups[cand.domain]
        row = stored.get(cand.domain)
        if found.status == "unknown":
            report.unknown[cand.domain] = found.error or "no answer"
            if row is not None:
                row.unknown_at, row.last_checked = now, now
                if row.state == "registered":  # kept as registered (not checked is not gone)
                    report.still.append(_finding(row))
            continue
        if found.status == "absent":
            if row is not None and row.state == "registered":
                row.state, row.gone_at, row.last_checked = "gone", now, now
                report.gone.append(_finding(row))
                events.append(f"look-alike gone (NXDOMAIN): {row.domain}")
            elif row is not None:
                row.last_checked = now
            continue
        mail = found.receives_mail
        if row is None or row.state == "gone":
            back = row is not None
            if row is None:
                row = Lookalike(incident_id=incident_id, domain=cand.domain, first_seen=now)
                s.add(row)
            row.official, row.kind, row.state = cand.official, cand.kind, "registered"
            row.receives_mail, row.records, row.action = mail, found.records, suggested_action(mail)
            row.last_seen = row.last_checked = now
            row.gone_at = row.unknown_at = None
            row.action_state = "open"
            s.flush()
            _sync_tasks(s, incident_id, row, author, ("takedown", "block") if back else (), FixedClock(now))
            report.new.append(_finding(row))
            events.append(
                ("look-alike registered again: " if back else "look-alike registered: ") + _describe(row)
            )
            continue
        if mail and not row.receives_mail:
            row.action = suggested_action(True)
            row.action_state = "open"
            events.append(f"look-alike now receives mail (MX): {_describe(row)}")
        newly_mail = mail and not row.receives_mail
        row.receives_mail, row.records = mail, found.records
        _sync_tasks(s, incident_id, row, author, ("block",) if newly_mail else (), FixedClock(now))
        row.last_seen = row.last_checked = now
        row.unknown_at = None
        report.still.append(_finding(row))
    run = WatchRun(
        incident_id=incident_id,
        at=now,
        author=author,
        domains=",".join(officials),
        resolver=settings.describe(),
        candidates=len(candidates),
        registered=len(report.new) + len(report.still),
        receives_mail=sum(f.receives_mail for f in report.registered),
        unknown=len(report.unknown),
        new=len(report.new),
        gone=len(report.gone),
    )
    s.add(run)
    s.flush()
    report.run_id = run.id
    summary = (
        f"watch domains {', '.join(officials)}: {len(candidates):,} look-alike candidates checked via "
        f"{settings.describe()}; {run.registered} registered ({run.receives_mail} receive mail), "
        f"{run.new} new, {run.gone} gone, {run.unknown} not answered"
    )
    for message in [summary, *events]:
        api.add_timeline_event(s, incident_id, message, author=author, kind="watch", at=now)
    return report


def _sync_or_none(
    s: Session, incident_id: int, row: Lookalike, ref: str, author: str, clock: Clock | None
) -> tasks.Task | None:
    """The task of a look-alike recorded before tasks existed: created now."""
    _sync_tasks(s, incident_id, row, author, (), clock)
    return tasks.tasks_by_ref(s, incident_id, "watch").get(ref)


def set_action_state(
    engine: Engine,
    incident_id: int,
    domain: str,
    *,
    done: bool = True,
    note: str = "",
    clock: Clock | None = None,
    author: str = api.DEFAULT_AUTHOR,
) -> Finding:
    """Mark the suggested action of a recorded look-alike done (or open again), with a timeline line."""
    name = check_domain(domain)
    with session_scope(engine) as s:
        api.require_open(s, incident_id)
        row = s.scalars(
            select(Lookalike).where(Lookalike.incident_id == incident_id, Lookalike.domain == name)
        ).first()
        if row is None:
            raise InputError(
                f"{name} is not a recorded look-alike of incident {incident_id}",
                "see the registered ones with: breachscope watch domains --incident N",
            )
        row.action_state = "done" if done else "open"
        for ref in _task_titles(row):
            task = tasks.tasks_by_ref(s, incident_id, "watch").get(ref)
            if task is None:
                task = _sync_or_none(s, incident_id, row, ref, author, clock)
            status = tasks.DONE if done else tasks.OPEN
            if task is not None and task.status != status:
                tasks.update_task(
                    s, task.id, actor=author, status=status, reason=note.strip()[:500] or None, clock=clock
                )
        what = "done" if done else "reopened"
        text = f"look-alike action {what}: {name}" + (f" ({note.strip()[:500]})" if note.strip() else "")
        api.add_timeline_event(s, incident_id, text, author=author, kind="watch", clock=clock)
        return _finding(row)
