"""Rendering notices into the outbox: idempotent, batched, one bad record never stops the run.

:func:`queue_notices` renders each :class:`NoticeContext` (language chosen per recipient,
verification phrase and reference derived per notice) and upserts one outbox row per
idempotency key. The address is stored in the form it is sent to (an IDN domain as its A-label,
see :mod:`breachscope.notify.address`); a refused address is skipped and counted by reason.
A row that is already sent, in flight or retried keeps its content; a row that is still queued
and never attempted is refreshed, so editing a template after a dry run and queuing again sends
the edited text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, cast

from sqlalchemy import Engine, Table, and_, func, select
from sqlalchemy.dialects import postgresql, sqlite

from breachscope.clock import Clock, SystemClock
from breachscope.errors import BreachscopeError
from breachscope.identity.jurisdiction import count_keys
from breachscope.notify import verification
from breachscope.notify.address import InvalidAddress, normalise
from breachscope.notify.config import NotifyConfig
from breachscope.notify.context import NoticeContext
from breachscope.notify.message import message_id_for
from breachscope.notify.outbox import STATES, OutboxMessage, pack_body
from breachscope.notify.render import NoticeError, Renderer
from breachscope.progress import NullProgress, Progress

BATCH = 1000
_REFRESHED = (
    "kind",
    "recipient_key",
    "language",
    "to_addr",
    "to_name",
    "subject",
    "body",
    "reference",
    "jurisdictions",
    "told_classes",
    "in_reply_to",
    "updated_at",
)


@dataclass
class QueueSummary:
    rendered: int = 0
    invalid_address: int = 0
    #: why addresses were skipped: reason -> count (fixed sentences, never the address)
    invalid_reasons: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rendered": self.rendered,
            "invalid_address": self.invalid_address,
            "invalid_reasons": dict(self.invalid_reasons),
            "errors": len(self.errors),
        }


def _upsert(engine: Engine, rows: list[dict[str, Any]]) -> None:
    table = cast(Table, OutboxMessage.__table__)
    if engine.dialect.name == "postgresql":
        pg = postgresql.insert(table)
        stmt: Any = pg.on_conflict_do_update(
            index_elements=["idempotency_key"],
            set_={c: pg.excluded[c] for c in _REFRESHED},
            where=and_(table.c.state == "queued", table.c.attempts == 0),
        )
    elif engine.dialect.name == "sqlite":
        lite = sqlite.insert(table)
        stmt = lite.on_conflict_do_update(
            index_elements=["idempotency_key"],
            set_={c: lite.excluded[c] for c in _REFRESHED},
            where=and_(table.c.state == "queued", table.c.attempts == 0),
        )
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise BreachscopeError(f"unsupported database {engine.dialect.name}")
    with engine.begin() as conn:
        conn.execute(stmt, rows)


def notice_row(
    ctx: NoticeContext, renderer: Renderer, config: NotifyConfig, now: Any, to_addr: str | None = None
) -> dict[str, Any]:
    """Render one notice into an outbox row (a dict for a bulk insert)."""
    key = config.verification_key.reveal()
    phrase = verification.phrase(key, ctx.incident.id, ctx.kind, ctx.recipient_key)
    reference = verification.reference(key, ctx.incident.id, ctx.kind, ctx.recipient_key)
    rendered = renderer.render(ctx, phrase=phrase, reference=reference)
    idem = ctx.idempotency_key
    return {
        "incident_id": ctx.incident.id,
        "idempotency_key": idem,
        "kind": ctx.kind,
        "recipient_key": ctx.recipient_key[:250],
        "language": rendered.language,
        "to_addr": to_addr or ctx.email.strip(),
        "to_name": ctx.name[:300],
        "subject": rendered.subject,
        "body": pack_body(rendered.text, rendered.html),
        "reference": reference,
        "jurisdictions": codes_field(ctx.jurisdictions),
        "message_id": message_id_for(idem, config.official_domain),
        "in_reply_to": ctx.update.in_reply_to if ctx.update is not None else None,
        "told_classes": told_classes(ctx),
        "state": "queued",
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
    }


def told_classes(ctx: NoticeContext) -> list[str] | None:
    """The classes a user notice names (all of them) or a follow-up adds (the new ones)."""
    if ctx.kind == "user":
        return sorted(ctx.exposed_classes)
    if ctx.kind == "update" and ctx.update is not None and ctx.update.new_classes is not None:
        return sorted(ctx.update.new_classes)
    return None


def codes_field(codes: Iterable[str]) -> str:
    """``("US-CA", "DE")`` -> ``";US;US-CA;DE;"`` (every country and subdivision; ``";ZZ;"`` unknown)."""
    return ";" + ";".join(count_keys(*codes)) + ";"


def _to_addr(ctx: NoticeContext, config: NotifyConfig) -> str:
    """The address as sent to (normalised); raises :class:`InvalidAddress`."""
    if ctx.kind == "regulator":
        return normalise(config.drafts_to.addr_spec if config.drafts_to else "")
    return normalise(ctx.email.strip())


_WORKER: tuple[Renderer, NotifyConfig] | None = None


def _init_worker(renderer: Renderer, config: NotifyConfig) -> None:
    global _WORKER
    _WORKER = (renderer, config)


def _row_or_error(job: tuple[NoticeContext, datetime]) -> dict[str, Any] | str:
    renderer, config = _WORKER if _WORKER is not None else (None, None)
    assert renderer is not None and config is not None
    ctx, now = job
    try:
        return notice_row(ctx, renderer, config, now, _to_addr(ctx, config))
    except NoticeError as exc:
        return f"{ctx.kind} {ctx.recipient_key}: {exc.message}"


def _rendered(
    contexts: Iterable[NoticeContext], renderer: Renderer, config: NotifyConfig, clock: Clock, workers: int
) -> Iterator[dict[str, Any] | str]:
    if workers <= 0:
        _init_worker(renderer, config)
        for ctx in contexts:
            yield _row_or_error((ctx, clock.now()))
        return
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(renderer, config)) as pool:
        it = iter(contexts)
        while chunk := list(islice(it, BATCH)):
            now = clock.now()
            yield from pool.map(_row_or_error, [(c, now) for c in chunk], chunksize=64)


def queue_notices(
    engine: Engine,
    contexts: Iterable[NoticeContext],
    *,
    renderer: Renderer,
    config: NotifyConfig,
    clock: Clock | None = None,
    progress: Progress | None = None,
    total: int | None = None,
    workers: int | None = None,
) -> QueueSummary:
    """Render and upsert every context; returns counts (invalid addresses are skipped, not fatal).

    ``workers`` (default ``config.workers``) renders in that many processes; the database
    writes stay in this one.
    """
    summary = QueueSummary()
    pending: list[dict[str, Any]] = []
    for row in render_rows(
        contexts,
        renderer=renderer,
        config=config,
        summary=summary,
        clock=clock,
        progress=progress,
        total=total,
        workers=workers,
    ):
        pending.append(row)
        if len(pending) >= BATCH:
            _upsert(engine, pending)
            pending = []
    if pending:
        _upsert(engine, pending)
    return summary


def render_rows(
    contexts: Iterable[NoticeContext],
    *,
    renderer: Renderer,
    config: NotifyConfig,
    summary: QueueSummary,
    clock: Clock | None = None,
    progress: Progress | None = None,
    total: int | None = None,
    workers: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Each context rendered into an outbox row, in memory (nothing stored); counts in ``summary``."""
    clock = clock or SystemClock()
    progress = progress or NullProgress()
    progress.start("rendering notices", total)
    valid = (c for c in contexts if _addressable(c, config, summary))
    for result in _rendered(valid, renderer, config, clock, config.workers if workers is None else workers):
        progress.advance()
        if isinstance(result, str):
            summary.errors.append(result)
            if summary.rendered == 0 and len(summary.errors) >= 3:
                progress.finish()
                raise NoticeError(summary.errors[0], "fix the template; see docs/notify.md")
            continue
        summary.rendered += 1
        yield result
    progress.finish()


def _addressable(ctx: NoticeContext, config: NotifyConfig, summary: QueueSummary) -> bool:
    try:
        _to_addr(ctx, config)
    except InvalidAddress as exc:
        summary.invalid_address += 1
        summary.invalid_reasons[exc.reason] = summary.invalid_reasons.get(exc.reason, 0) + 1
        return False
    return True


def outbox_counts(engine: Engine, incident_id: int) -> dict[str, dict[str, int]]:
    """``{kind: {state: count}}`` for the incident, every state present (zeros included)."""
    table = cast(Table, OutboxMessage.__table__)
    stmt = (
        select(table.c.kind, table.c.state, func.count())
        .where(table.c.incident_id == incident_id)
        .group_by(table.c.kind, table.c.state)
    )
    out: dict[str, dict[str, int]] = {}
    with engine.connect() as conn:
        for kind, state, n in conn.execute(stmt):
            out.setdefault(kind, dict.fromkeys(STATES, 0))[state] = int(n)
    return out
