"""Follow-up notices: when a recorded fact changes, tell the people it concerns only what changed.

A **change** is one of:

- ``dataset``: another leaked file was attached (``case attach``); it concerns the people whose
  first notice was sent and whose record is in that file (``dataset_people``: known people found
  again). People first seen in the new file have had no notice yet: ``breachscope notify`` sends
  them the full first notice, which already covers everything; they get no "update".
- ``class``: a data class turned out to be present for some people after their first notice; it
  concerns those whose record now holds it and who were not told about it.
- ``vendor_scope``: the vendor confirmed the scope of the incident (a recorded date); it concerns
  everyone whose first notice was sent.
- ``phishing``: phishing that uses the leaked data is being seen (since a date, N reported); it
  concerns everyone whose first notice was sent.

What a follow-up says about data classes is measured: the person's classes now in the case
minus those their earlier notices named (``notify_outbox.told_classes``). When an earlier notice
predates that record, the follow-up says nothing about classes (rather than something untrue).

Each follow-up is a notice of kind ``update`` in the **same outbox**: its idempotency key is
``<incident>:update:<user>/<change key>``, so the same change never reaches a person twice (a
rerun queues nothing new and sends nothing); it is rendered from ``update.*.j2`` in the language
of the person's first notice, with the same anti-phishing properties (no links, the verification
phrase and reference, the "we will never ask" paragraph, DKIM-signed by the same sender) and
carries ``In-Reply-To``/``References`` with the first notice's Message-ID, so it threads under it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from sqlalchemy import Engine, Table, select
from sqlalchemy.orm import Session

from breachscope import taxonomy
from breachscope.case import api, approvals
from breachscope.case.db import session_scope
from breachscope.case.models import Account, DatasetPerson, Exposure, Match
from breachscope.clock import Clock, SystemClock
from breachscope.errors import BreachscopeError, InputError
from breachscope.notify import sources
from breachscope.notify.config import NotifyConfig
from breachscope.notify.context import NoticeContext, UpdateInfo
from breachscope.notify.mailer import Mailer
from breachscope.notify.outbox import OutboxMessage
from breachscope.notify.queue import QueueSummary, outbox_counts, queue_notices
from breachscope.notify.sender import DeliveryRun, SendSummary
from breachscope.notify.smtp import SmtpMailer

CHANGES: tuple[str, ...] = ("dataset", "class", "vendor_scope", "phishing")


@dataclass(frozen=True)
class Change:
    """One recorded change; ``key`` names it for good (the idempotency of its follow-ups)."""

    change: str
    on: str  # ISO date
    key: str
    dataset_id: int | None = None
    data_class: str | None = None
    reported: int = 0

    def describe(self) -> str:
        if self.change == "dataset":
            return f"dataset {self.dataset_id} attached on {self.on}"
        if self.change == "class":
            return f"data class {self.data_class} found present"
        if self.change == "vendor_scope":
            return f"vendor confirmed the scope on {self.on}"
        return f"phishing using the leaked data seen since {self.on}" + (
            f" ({self.reported} reported)" if self.reported else ""
        )


def dataset_change(session: Session, incident_id: int, dataset_id: int) -> Change:
    ds = next((d for d in api.list_datasets(session, incident_id) if d.id == dataset_id), None)
    if ds is None:
        raise InputError(
            f"incident {incident_id} has no dataset {dataset_id}", "see: breachscope case show INCIDENT"
        )
    return Change("dataset", ds.scanned_at.date().isoformat(), f"dataset-{dataset_id}", dataset_id=dataset_id)


def class_change(data_class: str, on: date) -> Change:
    if data_class not in {c.id for c in taxonomy.DATA_CLASSES}:
        raise InputError(f"unknown data class {data_class!r}", "see docs/data-classes.md for the ids")
    return Change("class", on.isoformat(), f"class-{data_class}", data_class=data_class)


def vendor_scope_change(on: date) -> Change:
    return Change("vendor_scope", on.isoformat(), f"vendor-scope-{on.isoformat()}")


def phishing_change(since: date, reported: int = 0) -> Change:
    return Change("phishing", since.isoformat(), f"phishing-{since.isoformat()}", reported=reported)


@dataclass
class FirstNotice:
    message_id: str
    language: str
    #: classes named by the sent notices (first + follow-ups); None when one predates the record
    told: set[str] | None


def first_notices(session: Session, incident_id: int) -> dict[str, FirstNotice]:
    """user id -> their sent first notice, with what every sent notice to them told."""
    o = cast(Table, OutboxMessage.__table__)
    rows = session.execute(
        select(o.c.kind, o.c.recipient_key, o.c.message_id, o.c.language, o.c.told_classes).where(
            o.c.incident_id == incident_id, o.c.kind.in_(("user", "update")), o.c.state == "sent"
        )
    ).all()
    out: dict[str, FirstNotice] = {}
    for kind, key, message_id, language, told in rows:
        if kind == "user":
            prior = out.get(key)
            known = set(told) if told is not None else None
            if prior is not None and prior.told is not None and known is not None:
                known |= prior.told
            out[key] = FirstNotice(message_id, language, known)
    for kind, key, _mid, _lang, told in rows:
        if kind == "update":
            first = out.get(str(key).split("/", 1)[0])
            if first is not None and first.told is not None and told is not None:
                first.told |= set(told)
    return out


def _exposures_of_users(session: Session, incident_id: int) -> dict[str, set[int]]:
    stmt = (
        select(Account.user_id, Match.exposure_id)
        .join(Match, Match.account_id == Account.id)
        .where(Match.incident_id == incident_id, Match.ambiguous.is_(False))
    )
    out: dict[str, set[int]] = defaultdict(set)
    for user_id, exposure_id in session.execute(stmt):
        out[str(user_id)].add(int(exposure_id))
    return out


def _in_dataset(session: Session, incident_id: int, dataset_id: int) -> tuple[set[int], set[int]]:
    """(people known before the dataset and found again in it, people first seen in it)."""
    again = session.scalars(select(DatasetPerson.exposure_id).where(DatasetPerson.dataset_id == dataset_id))
    first = session.scalars(
        select(Exposure.id).where(Exposure.incident_id == incident_id, Exposure.dataset_id == dataset_id)
    )
    return {int(x) for x in again}, {int(x) for x in first}


@dataclass
class UpdatePlan:
    change: Change
    contexts: list[NoticeContext] = field(default_factory=list)
    #: people the change concerns who had no sent first notice (they need `notify`, not an update)
    without_first_notice: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "change": self.change.change,
            "key": self.change.key,
            "describe": self.change.describe(),
            "recipients": len(self.contexts),
            "without_first_notice": self.without_first_notice,
        }


def plan_updates(session: Session, incident_id: int, change: Change) -> UpdatePlan:
    """The follow-up notices of one change (see the module doc for who each change concerns)."""
    if change.change not in CHANGES:
        raise InputError(f"unknown change {change.change!r}", f"use one of: {', '.join(CHANGES)}")
    case = sources.load_case(session, incident_id)
    firsts = first_notices(session, incident_id)
    plan = UpdatePlan(change)
    known_again: set[int] = set()
    first_seen: set[int] = set()
    by_user: dict[str, set[int]] = {}
    if change.change == "dataset":
        assert change.dataset_id is not None
        known_again, first_seen = _in_dataset(session, incident_id, change.dataset_id)
        by_user = _exposures_of_users(session, incident_id)
    for r in case.recipients:
        if not sources.gets_user_notice(r):
            continue
        user_id = str(r.user_id)
        current = set(r.exposed_classes)
        if change.change == "dataset":
            mine = by_user.get(user_id, set())
            if not mine & (known_again | first_seen):
                continue
            if user_id not in firsts:
                plan.without_first_notice += 1
                continue
            if not mine & known_again:
                continue  # first seen in this dataset: their first notice came after it
        elif change.change == "class":
            if change.data_class not in current:
                continue
            if user_id not in firsts:
                plan.without_first_notice += 1
                continue
            told = firsts[user_id].told
            if told is None or change.data_class in told:
                continue
        elif user_id not in firsts:
            plan.without_first_notice += 1
            continue
        first = firsts[user_id]
        new = None if first.told is None else tuple(sorted(current - first.told))
        if change.change == "phishing":
            new = None  # a phishing warning is about phishing: classes are another change's news
        plan.contexts.append(
            NoticeContext(
                kind="update",
                recipient_key=f"{user_id}/{change.key}",
                email=r.email or "",
                name=r.name or "",
                language=first.language or r.language or "",
                incident=case.incident,
                exposed_classes=tuple(r.exposed_classes),
                jurisdictions=r.jurisdictions,
                update=UpdateInfo(change.change, change.on, first.message_id, new, change.reported),
            )
        )
    return plan


@dataclass
class UpdateReport:
    incident_id: int
    plan: UpdatePlan
    queued: QueueSummary
    sent: SendSummary | None = None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id,
            "plan": self.plan.to_dict(),
            "queued": self.queued.to_dict(),
            "sent": self.sent.to_dict() if self.sent else None,
            "outbox": self.counts,
        }


def send_updates(
    engine: Engine,
    incident_id: int,
    config: NotifyConfig,
    change: Change,
    *,
    mailer: Mailer | None = None,
    clock: Clock | None = None,
    author: str = api.DEFAULT_AUTHOR,
    queue_only: bool = False,
    actor: str | None = None,
) -> UpdateReport:
    """Queue the follow-ups of ``change`` in the outbox and deliver every queued follow-up once.

    Sending more follow-ups than the case's four-eyes policy allows needs ``actor``'s approved
    request, as :func:`breachscope.notify.service.notify` does (``actor`` defaults to ``author``)."""
    from breachscope.notify.service import four_eyes, make_renderer, make_signer

    clock = clock or SystemClock()
    if config.dkim is None and not queue_only:
        raise BreachscopeError(
            "refusing to send unsigned notices: no [notify.dkim] in the config",
            "configure DKIM (breachscope notify dkim-key creates a key)",
        )
    with session_scope(engine) as s:
        api.require_open(s, incident_id)
        plan = plan_updates(s, incident_id, change)
    queued = queue_notices(
        engine, plan.contexts, renderer=make_renderer(config), config=config, clock=clock, workers=0
    )
    report = UpdateReport(incident_id, plan, queued)
    if not queue_only:
        to_send = outbox_counts(engine, incident_id).get("update", {}).get("queued", 0)
        params = {"audience": "update", "notices": to_send, "change": change.describe()}
        approval_id = four_eyes(engine, incident_id, to_send, params, actor or author, clock.now())
        if approval_id is not None:
            with session_scope(engine) as s:
                approvals.consume(s, approval_id, actor=actor or author, now=clock.now())
        factory: Callable[[], Mailer] | None = None
        if mailer is None:

            def factory() -> Mailer:
                return SmtpMailer(config.smtp)

        run = DeliveryRun(
            engine,
            incident_id,
            mailer=mailer,
            mailer_factory=factory,
            config=config,
            kinds=("update",),
            signer=make_signer(config),
            clock=clock,
        )
        report.sent = run.run()
    report.counts = outbox_counts(engine, incident_id)
    with session_scope(engine) as s:
        sent = report.sent.sent if report.sent is not None else 0
        api.add_timeline_event(
            s,
            incident_id,
            f"Follow-up notices ({change.describe()}): {len(plan.contexts)} people concerned, "
            f"{queued.rendered} queued, {sent} sent now"
            + (
                f"; {plan.without_first_notice} concerned people have no first notice yet "
                "(breachscope notify sends it)"
                if plan.without_first_notice
                else ""
            ),
            author=author,
            kind="notify",
            clock=clock,
        )
    return report
