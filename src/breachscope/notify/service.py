"""The notify stage as library calls: queue from the case, send (or dry-run), report status.

The CLI is a thin shell over :func:`notify` and :func:`status`; tests and other programs call
these (or :class:`~breachscope.notify.sender.Sender` directly) with their own mailer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Table, select

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.clock import Clock, SystemClock
from breachscope.errors import BreachscopeError
from breachscope.notify import sources, verification
from breachscope.notify.config import NotifyConfig
from breachscope.notify.context import AUDIENCES, KINDS, Kind
from breachscope.notify.mailer import EmlDirectoryMailer, Mailer
from breachscope.notify.message import DkimSigner
from breachscope.notify.outbox import OutboxMessage
from breachscope.notify.queue import QueueSummary, outbox_counts, queue_notices
from breachscope.notify.render import Renderer, Sender
from breachscope.notify.sender import Sender as OutboxSender
from breachscope.notify.sender import SendSummary
from breachscope.notify.smtp import SmtpMailer
from breachscope.progress import NullProgress, Progress

AUDIENCE_CHOICES = ("all", "users", "admins", "regulators")


def kinds_for(audience: str) -> tuple[Kind, ...]:
    if audience == "all":
        return KINDS
    if audience not in AUDIENCES:
        raise BreachscopeError(f"unknown audience {audience!r}", f"use one of: {', '.join(AUDIENCE_CHOICES)}")
    return (AUDIENCES[audience],)


def make_renderer(config: NotifyConfig) -> Renderer:
    sender = Sender(
        company=config.company,
        domain=config.official_domain,
        domain_style=config.domain_style,
        support_phone=config.support_phone,
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
        }


def prepare(
    engine: Engine,
    incident_id: int,
    config: NotifyConfig,
    kinds: tuple[Kind, ...],
    *,
    clock: Clock | None = None,
    progress: Progress | None = None,
    notes: list[str] | None = None,
) -> QueueSummary:
    """Read recipients, actions and duties from the case; render and queue every notice."""
    notes = notes if notes is not None else []
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
    renderer = make_renderer(config)
    settled = settled_keys(engine, incident_id)
    contexts = (c for c in sources.contexts(case, kinds) if c.idempotency_key not in settled)
    return queue_notices(engine, contexts, renderer=renderer, config=config, clock=clock, progress=progress)


def settled_keys(engine: Engine, incident_id: int) -> set[str]:
    """Keys of notices already attempted or finished: re-queuing would not change them, so skip."""
    table = cast(Table, OutboxMessage.__table__)
    stmt = select(table.c.idempotency_key).where(
        table.c.incident_id == incident_id, (table.c.state != "queued") | (table.c.attempts > 0)
    )
    with engine.connect() as conn:
        return {str(k) for (k,) in conn.execute(stmt)}


def write_dry_run(
    engine: Engine,
    incident_id: int,
    config: NotifyConfig,
    kinds: tuple[Kind, ...],
    directory: Path,
    *,
    limit: int | None = None,
    clock: Clock | None = None,
    progress: Progress | None = None,
) -> int:
    """Write every queued notice as a signed .eml under ``directory``; changes no outbox state."""
    clock = clock or SystemClock()
    progress = progress or NullProgress()
    mailer = EmlDirectoryMailer(directory)
    helper = OutboxSender(
        engine, incident_id, mailer=mailer, config=config, signer=make_signer(config), clock=clock
    )
    table = cast(Table, OutboxMessage.__table__)
    stmt = (
        select(table)
        .where(table.c.incident_id == incident_id, table.c.state == "queued", table.c.kind.in_(kinds))
        .order_by(table.c.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    with engine.connect() as conn:
        rows = list(conn.execute(stmt))
    progress.start("writing .eml files", len(rows))
    for row in rows:
        mailer.send(helper.outgoing(row), lambda: None)
        progress.advance()
    progress.finish()
    with session_scope(engine) as session:
        api.add_timeline_event(
            session,
            incident_id,
            f"Notify dry run: {mailer.written} notice(s) written as .eml to {directory} (nothing sent)",
            author="breachscope notify",
            kind="notify",
            clock=clock,
        )
    return mailer.written


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
) -> NotifyReport:
    """Queue every notice for the audience, then send it (or write it to ``dry_run``)."""
    kinds = kinds_for(audience)
    notes: list[str] = []
    queued = prepare(engine, incident_id, config, kinds, clock=clock, progress=progress, notes=notes)
    report = NotifyReport(incident_id, kinds, queued, notes=notes)
    if dry_run is not None:
        report.dry_run_dir = str(dry_run)
        report.written = write_dry_run(
            engine, incident_id, config, kinds, dry_run, limit=limit, clock=clock, progress=progress
        )
    else:
        if config.dkim is None:
            raise BreachscopeError(
                "refusing to send unsigned notices: no [notify.dkim] in the config",
                "configure DKIM (breachscope notify dkim-key creates a key), or use --dry-run",
            )
        factory = None
        if mailer is None:

            def factory() -> Mailer:  # one per connection ([notify.smtp] connections)
                return SmtpMailer(config.smtp)

        sender = OutboxSender(
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
        )
        report.sent = sender.run(limit=limit)
    report.counts = outbox_counts(engine, incident_id)
    return report


def status(engine: Engine, incident_id: int) -> dict[str, Any]:
    """The outbox by kind and state, plus unconfirmed sends and the last failures."""
    with session_scope(engine) as session:
        api.get_incident(session, incident_id)
    table = cast(Table, OutboxMessage.__table__)
    with engine.connect() as conn:
        unconfirmed = conn.execute(
            select(table.c.id, table.c.kind, table.c.message_id).where(
                table.c.incident_id == incident_id, table.c.state == "sent", table.c.confirmed.is_(False)
            )
        ).all()
        failures = conn.execute(
            select(table.c.id, table.c.kind, table.c.state, table.c.last_code, table.c.last_error)
            .where(table.c.incident_id == incident_id, table.c.state.in_(("failed", "bounced")))
            .order_by(table.c.id.desc())
            .limit(20)
        ).all()
    return {
        "incident_id": incident_id,
        "outbox": outbox_counts(engine, incident_id),
        "unconfirmed": [{"id": r.id, "kind": r.kind, "message_id": r.message_id} for r in unconfirmed],
        "failures": [
            {"id": r.id, "kind": r.kind, "state": r.state, "code": r.last_code, "error": r.last_error}
            for r in failures
        ],
    }


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
