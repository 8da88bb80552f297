"""The notify stage as library calls: queue from the case, send (or dry-run), report status.

The CLI is a thin shell over :func:`notify` and :func:`status`; tests and other programs call
these (or :class:`~breachscope.notify.sender.DeliveryRun` directly) with their own mailer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Table, func, select, text

from breachscope.case import api, approvals, audit
from breachscope.case.db import session_scope
from breachscope.clock import Clock, SystemClock
from breachscope.errors import BreachscopeError
from breachscope.identity.jurisdiction import count_keys
from breachscope.notify import sources, verification
from breachscope.notify.compose import FIELDS
from breachscope.notify.config import NotifyConfig
from breachscope.notify.context import AUDIENCES, KINDS, Kind, NoticeContext
from breachscope.notify.mailer import CUT_AFTER_DOT, CUT_BEFORE_DOT, EmlDirectoryMailer, Mailer
from breachscope.notify.message import DkimSigner
from breachscope.notify.outbox import OutboxAttempt, OutboxMessage
from breachscope.notify.plan import DutyMap, Selection, SendPlan, check_selection, selected_codes
from breachscope.notify.plan import build as build_plan
from breachscope.notify.plan import keys as plan_keys
from breachscope.notify.queue import QueueSummary, outbox_counts, queue_notices, render_rows
from breachscope.notify.render import NoticeFrom, Renderer
from breachscope.notify.sender import DeliveryRun, SendSummary
from breachscope.notify.smtp import SmtpMailer
from breachscope.progress import NullProgress, Progress
from breachscope.rules import store
from breachscope.rules.loader import load_rules
from breachscope.rules.schema import RuleSet

_NO_RULES = RuleSet((), "", (), ())

AUDIENCE_CHOICES = ("all", "users", "admins", "regulators")


def kinds_for(audience: str) -> tuple[Kind, ...]:
    if audience == "all":
        return KINDS
    if audience not in AUDIENCES:
        raise BreachscopeError(f"unknown audience {audience!r}", f"use one of: {', '.join(AUDIENCE_CHOICES)}")
    return (AUDIENCES[audience],)


def make_renderer(config: NotifyConfig) -> Renderer:
    sender = NoticeFrom(
        company=config.company,
        domain=config.official_domain,
        domain_style=config.domain_style,
        support_phone=config.support_phone,
        help_page=config.help_page,
        show_location=config.show_location,
    )
    return Renderer(sender, config.templates)


def make_signer(config: NotifyConfig) -> DkimSigner | None:
    if config.dkim is None:
        return None
    return DkimSigner(config.dkim.selector, config.dkim.domain, config.dkim.private_key())


@dataclass
class NotifyReport:
    incident_id: int
    kinds: tuple[str, ...]
    queued: QueueSummary
    sent: SendSummary | None = None
    dry_run_dir: str | None = None
    written: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    plan: SendPlan | None = None
    #: the confirmation was declined: nothing was sent (the notices stay queued)
    cancelled: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "kinds": list(self.kinds),
            "queued": self.queued.to_dict(),
            "sent": self.sent.to_dict() if self.sent else None,
            "dry_run_dir": self.dry_run_dir,
            "written": self.written,
            "outbox": self.counts,
            "notes": self.notes,
            "plan": self.plan.to_dict() if self.plan else None,
            "cancelled": self.cancelled,
        }


def duty_map(engine: Engine, incident_id: int) -> tuple[DutyMap, bool]:
    """The stored duties to individuals, mapped to jurisdiction codes; and whether one is stored."""
    with session_scope(engine) as session:
        stored = store.latest_assessment(session, incident_id)
    duties = stored.assessment.duties if stored is not None else ()
    return DutyMap(duties, load_rules()), stored is not None


def _contexts(
    engine: Engine,
    incident_id: int,
    config: NotifyConfig,
    kinds: tuple[Kind, ...],
    selection: Selection,
    duties: DutyMap,
    notes: list[str],
) -> tuple[list[NoticeContext], tuple[Kind, ...]]:
    """The notices not yet attempted, for the kinds and the selected jurisdictions."""
    with session_scope(engine) as session:
        case = sources.load_case(session, incident_id)
    if "regulator" in kinds and config.drafts_to is None:
        if kinds == ("regulator",):
            raise BreachscopeError(
                "regulator drafts need an address to go to",
                "set drafts_to (your privacy/legal team, on the official domain) in [notify]",
            )
        kinds = tuple(k for k in kinds if k != "regulator")
        notes.append("regulator drafts skipped: no drafts_to in the notify config")
    if not case.has_assessment:
        notes.append("no stored assessment: notices carry no action list and no 'not included' section")
    settled = settled_keys(engine, incident_id)
    contexts = [c for c in sources.contexts(case, kinds) if c.idempotency_key not in settled]
    if not selection.everyone:
        present = {k for c in contexts for k in count_keys(*c.jurisdictions)}
        codes = selected_codes(present, selection, duties) or frozenset()
        contexts = [c for c in contexts if codes.intersection(count_keys(*c.jurisdictions))]
    if "admin" in kinds:
        contexts = sources.with_users_told(case, contexts, told_user_keys(engine, incident_id))
    return contexts, kinds


def told_user_keys(engine: Engine, incident_id: int) -> set[str]:
    """Recipient keys of user notices in the outbox that are queued, being sent or sent."""
    table = cast(Table, OutboxMessage.__table__)
    stmt = select(table.c.recipient_key).where(
        table.c.incident_id == incident_id,
        table.c.kind == "user",
        table.c.state.in_(("queued", "sending", "sent")),
    )
    with engine.connect() as conn:
        return {str(k) for (k,) in conn.execute(stmt)}


def prepare(
    engine: Engine,
    incident_id: int,
    config: NotifyConfig,
    kinds: tuple[Kind, ...],
    *,
    clock: Clock | None = None,
    progress: Progress | None = None,
    notes: list[str] | None = None,
    selection: Selection | None = None,
) -> QueueSummary:
    """Read recipients, actions and duties from the case; render and queue every notice."""
    notes = notes if notes is not None else []
    selection = selection or Selection()
    duties, _ = duty_map(engine, incident_id) if not selection.everyone else (DutyMap((), _NO_RULES), True)
    contexts, kinds = _contexts(engine, incident_id, config, kinds, selection, duties, notes)
    renderer = make_renderer(config)
    return queue_notices(
        engine,
        contexts,
        renderer=renderer,
        config=config,
        clock=clock,
        progress=progress,
        total=len(contexts),
    )


def settled_keys(engine: Engine, incident_id: int) -> set[str]:
    """Keys of notices already attempted or finished: re-queuing would not change them, so skip."""
    table = cast(Table, OutboxMessage.__table__)
    stmt = select(table.c.idempotency_key).where(
        table.c.incident_id == incident_id, (table.c.state != "queued") | (table.c.attempts > 0)
    )
    with engine.connect() as conn:
        return {str(k) for (k,) in conn.execute(stmt)}


def preview(
    engine: Engine,
    incident_id: int,
    config: NotifyConfig,
    kinds: tuple[Kind, ...],
    directory: Path,
    *,
    selection: Selection | None = None,
    limit: int | None = None,
    clock: Clock | None = None,
    progress: Progress | None = None,
    notes: list[str] | None = None,
) -> tuple[QueueSummary, SendPlan, int]:
    """A true dry run: render and sign what a send would send now, write it as ``.eml`` files under
    ``directory`` and store nothing (no outbox row, no timeline event). Returns the rendering
    counts, the plan and how many files were written (at most ``limit``)."""
    clock = clock or SystemClock()
    notes = notes if notes is not None else []
    selection = selection or Selection()
    duties, has_assessment = duty_map(engine, incident_id)
    check_selection(selection, has_assessment)
    contexts, kinds = _contexts(engine, incident_id, config, kinds, selection, duties, notes)
    summary = QueueSummary()
    rows = list(
        render_rows(
            contexts,
            renderer=make_renderer(config),
            config=config,
            summary=summary,
            clock=clock,
            progress=progress,
            total=len(contexts),
        )
    )
    the_plan = build_plan(
        ((r["kind"], r["jurisdictions"]) for r in rows), duties, selection, None, has_assessment
    )
    mailer = EmlDirectoryMailer(directory)
    helper = DeliveryRun(
        engine, incident_id, mailer=mailer, config=config, signer=make_signer(config), clock=clock
    )
    progress = progress or NullProgress()
    chosen = rows if limit is None else rows[:limit]
    progress.start("writing .eml files", len(chosen))
    for row in chosen:
        mailer.send(helper.outgoing_fields({k: row[k] for k in FIELDS}), lambda: None)
        progress.advance()
    progress.finish()
    return summary, the_plan, mailer.written


def send_plan(
    engine: Engine,
    incident_id: int,
    kinds: tuple[Kind, ...],
    selection: Selection,
    duties: DutyMap,
    has: bool,
) -> SendPlan:
    """The plan of what is queued in the outbox for these kinds, under the selection."""
    table = cast(Table, OutboxMessage.__table__)
    stmt = select(table.c.kind, table.c.jurisdictions).where(
        table.c.incident_id == incident_id, table.c.state == "queued", table.c.kind.in_(kinds)
    )
    with engine.connect() as conn:
        rows = [(str(k), j) for k, j in conn.execute(stmt)]
    codes = None
    if not selection.everyone:
        codes = selected_codes({c for _, j in rows for c in plan_keys(j)}, selection, duties) or frozenset()
    return build_plan(rows, duties, selection, codes, has)


def notify(
    engine: Engine,
    incident_id: int,
    config: NotifyConfig,
    *,
    audience: str = "all",
    dry_run: Path | None = None,
    limit: int | None = None,
    mailer: Mailer | None = None,
    clock: Clock | None = None,
    progress: Progress | None = None,
    resend_unconfirmed: bool = False,
    selection: Selection | None = None,
    confirm: Callable[[SendPlan], bool] | None = None,
    actor: str = "breachscope",
    source: str | None = None,
) -> NotifyReport:
    """Queue every notice for the audience, then send it; or, with ``dry_run``, preview it (write
    ``.eml`` files, store nothing).

    Before a real send, ``confirm`` (when given) is called with the plan - who will be notified,
    per jurisdiction and duty - and nothing is sent unless it returns True. When the case's
    four-eyes policy limits sends (``approvals policy --notify-above N``) and this one is bigger,
    ``actor`` needs an approval by another person bound to this exact plan
    (:mod:`breachscope.case.approvals`; else :class:`~breachscope.case.approvals.ApprovalNeeded`
    records the request). The send is appended to the audit log as ``actor``.
    """
    kinds = kinds_for(audience)
    notes: list[str] = []
    selection = selection or Selection()
    if dry_run is not None:
        queued, the_plan, written = preview(
            engine,
            incident_id,
            config,
            kinds,
            dry_run,
            selection=selection,
            limit=limit,
            clock=clock,
            progress=progress,
            notes=notes,
        )
        report = NotifyReport(incident_id, kinds, queued, notes=notes, plan=the_plan)
        report.dry_run_dir, report.written = str(dry_run), written
        report.counts = outbox_counts(engine, incident_id)
        return report
    if config.dkim is None:
        raise BreachscopeError(
            "refusing to send unsigned notices: no [notify.dkim] in the config",
            "configure DKIM (breachscope notify dkim-key creates a key), or use --dry-run",
        )
    duties, has_assessment = duty_map(engine, incident_id)
    check_selection(selection, has_assessment)
    queued = prepare(
        engine, incident_id, config, kinds, clock=clock, progress=progress, notes=notes, selection=selection
    )
    report = NotifyReport(incident_id, kinds, queued, notes=notes)
    report.plan = send_plan(engine, incident_id, kinds, selection, duties, has_assessment)
    if report.plan.total and confirm is not None and not confirm(report.plan):
        report.cancelled = True
        report.notes.append("not confirmed: nothing was sent (the notices stay queued)")
        report.counts = outbox_counts(engine, incident_id)
        return report
    now = (clock or SystemClock()).now()
    approval_id = _four_eyes(
        engine, incident_id, report.plan, audience, limit, resend_unconfirmed, actor, now
    )
    if approval_id is not None:
        with session_scope(engine) as session:
            approvals.consume(session, approval_id, actor=actor, now=now, source=source)
    factory = None
    if mailer is None:

        def factory() -> Mailer:  # one per connection ([notify.smtp] connections)
            return SmtpMailer(config.smtp)

    sender = DeliveryRun(
        engine,
        incident_id,
        mailer=mailer,
        mailer_factory=factory,
        config=config,
        kinds=kinds,
        signer=make_signer(config),
        clock=clock,
        progress=progress,
        resend_unconfirmed=resend_unconfirmed,
        codes=report.plan.codes,
    )
    report.sent = sender.run(limit=limit)
    report.counts = outbox_counts(engine, incident_id)
    with session_scope(engine) as session:
        sent = report.sent
        audit.append(
            session, actor=actor, action="notify.send", object_type="notify_run", object_id=sent.run_id,
            incident_id=incident_id, source=source, clock=clock,
            details={"audience": audience, "planned": report.plan.total, "sent": sent.sent,
                     "failed": sent.failed, "bounced": sent.bounced, "approval": approval_id},
        )  # fmt: skip
    return report


def _four_eyes(
    engine: Engine,
    incident_id: int,
    plan: SendPlan,
    audience: str,
    limit: int | None,
    resend_unconfirmed: bool,
    actor: str,
    now: Any,
) -> int | None:
    """The approval this send needs under the case's policy (None when it needs none)."""
    count = plan.total if limit is None else min(plan.total, limit)
    params = {
        "audience": audience,
        "notices": count,
        "by_kind": plan.by_kind,
        "jurisdictions": sorted(plan.selection.jurisdictions),
        "required_only": plan.selection.required_only,
        "resend_unconfirmed": resend_unconfirmed,
    }
    return four_eyes(engine, incident_id, count, params, actor, now)


def four_eyes(
    engine: Engine, incident_id: int, count: int, params: dict[str, Any], actor: str, now: Any
) -> int | None:
    """Under the case's policy, the id of ``actor``'s approved request to send ``count`` notices
    with exactly ``params`` (None when the count needs none); else the request is recorded and
    :class:`~breachscope.case.approvals.ApprovalNeeded` raised, before anything is sent."""
    with session_scope(engine) as session:
        above = approvals.get_policy(session).notify_above
    if above is None or count <= above:
        return None
    what = f"sending {count:,} notices (more than {above:,})"
    return approvals.require(
        engine, approvals.NOTIFY_SEND, incident_id, params, actor=actor, now=now, what=what
    )


def status(engine: Engine, incident_id: int) -> dict[str, Any]:
    """The outbox by kind and state, plus unconfirmed sends and the last failures."""
    with session_scope(engine) as session:
        api.get_incident(session, incident_id)
    table = cast(Table, OutboxMessage.__table__)
    attempts = cast(Table, OutboxAttempt.__table__)
    last = (
        select(attempts.c.outbox_id, func.max(attempts.c.id).label("aid"))
        .where(attempts.c.incident_id == incident_id)
        .group_by(attempts.c.outbox_id)
        .subquery()
    )
    cause = (
        select(attempts.c.detail)
        .join(last, last.c.aid == attempts.c.id)
        .where(last.c.outbox_id == table.c.id)
        .scalar_subquery()
    )
    with engine.connect() as conn:
        unconfirmed = conn.execute(
            select(table.c.id, table.c.kind, table.c.message_id, cause.label("cause")).where(
                table.c.incident_id == incident_id, table.c.state == "sent", table.c.confirmed.is_(False)
            )
        ).all()
        retrying = conn.execute(
            select(table.c.last_error, func.count())
            # literally the partial index's condition (ix_notify_outbox_retrying): SQLite uses a
            # partial index only for the very terms, not for bound parameters
            .where(table.c.incident_id == incident_id, text("state = 'queued' AND attempts > 0"))
            .group_by(table.c.last_error)
        ).all()
        # the newest 20 of each state through the (incident_id, state) index, then merged: with
        # state IN (...) the planner walked the whole outbox by id looking for them (81 s on a
        # million notices none of which had failed)
        failures = sorted(
            (
                row
                for state in ("failed", "bounced")
                for row in conn.execute(
                    select(table.c.id, table.c.kind, table.c.state, table.c.last_code, table.c.last_error)
                    .where(table.c.incident_id == incident_id, table.c.state == state)
                    .order_by(table.c.id.desc())
                    .limit(20)
                )
            ),
            key=lambda r: -r.id,
        )[:20]
    return {
        "incident_id": incident_id,
        "outbox": outbox_counts(engine, incident_id),
        "unconfirmed": [
            {"id": r.id, "kind": r.kind, "message_id": r.message_id, "cause": _cause(r.cause)}
            for r in unconfirmed
        ],
        "queued_for_retry": _causes((_cause(err), int(n)) for err, n in retrying),
        "failures": [
            {"id": r.id, "kind": r.kind, "state": r.state, "code": r.last_code, "error": r.last_error}
            for r in failures
        ],
    }


def _cause(detail: str | None) -> str:
    """The cause of an attempt's outcome, without the variable tail (socket error text)."""
    text = (detail or "").strip()
    for known in (CUT_BEFORE_DOT, CUT_AFTER_DOT):
        if known in text:
            return known
    return text[:200] or "unknown"


def _causes(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for cause, n in pairs:
        out[cause] = out.get(cause, 0) + n
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def verify_notice(
    engine: Engine, incident_id: int, config: NotifyConfig, reference: str, phrase: str
) -> dict[str, Any]:
    """What a support desk (or the website) runs: is this reference + phrase one of our notices?

    Answers only valid/invalid plus the notice's kind, language and state: nothing about the
    recipient, so the check itself leaks nothing to someone guessing references.
    """
    table = cast(Table, OutboxMessage.__table__)
    ref = " ".join(reference.upper().split())
    with engine.connect() as conn:
        row = conn.execute(
            select(
                table.c.kind, table.c.recipient_key, table.c.language, table.c.state, table.c.sent_at
            ).where(table.c.incident_id == incident_id, table.c.reference == ref)
        ).first()
    key = config.verification_key.reveal()
    if row is None or not verification.check(key, incident_id, row.kind, row.recipient_key, phrase):
        return {"valid": False}
    return {
        "valid": True,
        "kind": row.kind,
        "language": row.language,
        "state": row.state,
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
    }
