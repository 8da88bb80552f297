"""``check_mail``: check reported messages against an incident and record the verdicts.

With an incident, each message is compared with what the case knows:

- the **outbox** (notify): a Message-ID or reference of a notice this incident sent;
- the **official domains**: ``--domain``, the domains of the incident's ``watch domains`` runs and
  the domains of the outbox's Message-IDs (the notices' own domain), and the **watch list**
  (registered look-alikes);
- the **leak**: the recipient (To/Cc, or the person who forwarded the report) is looked up by the
  keyed hash of their normalised address among the exposures; if they were in the leak, the
  message's words are hashed with the same case key (1 to 4 word runs, folded) and compared with
  the keyed hashes of their leaked org id, city and (when the name was leaked) their name from the
  directory. Only the field names found are kept, never a value, and never the message text;
- the vendor's name (the incident names it).

Each new message (SHA-256 of its bytes; a message seen before is counted once) is stored in
``mail_checks`` with its verdict and reason codes, and each look-alike it used in
``mail_lookalike_hits`` (counts over time: :func:`mail_counts`). When the phishing that uses the
leak reaches ``wave_threshold`` messages within ``wave_window``, a task is created
(``case/tasks.py``, kind ``phishing-wave``), or the open one is brought up to date.
"""

from __future__ import annotations

import hashlib
import hmac
import multiprocessing
import re
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.case.models import Account, Exposure, Match
from breachscope.case.tasks import ACTIVE, Task, add_task
from breachscope.clock import Clock, SystemClock
from breachscope.hashing import keyed_hash
from breachscope.identity.emails import loose_email, normalise_email
from breachscope.notify.outbox import OutboxMessage
from breachscope.progress import NullProgress, Progress
from breachscope.watch.generate import ATTACK_WORDS
from breachscope.watch.mail.auth import DnsLookups
from breachscope.watch.mail.check import Analysed, MailCheck, SentNotice, analyse, conclude
from breachscope.watch.mail.domains import DomainJudge
from breachscope.watch.mail.mailbox import ImapReader, ImapTarget, maildir_messages
from breachscope.watch.mail.parse import MailLimits
from breachscope.watch.mail.signs import fold
from breachscope.watch.mail.store import LookalikeHit, Mailbox, MailCheckRow
from breachscope.watch.names import check_domain, vendor_word
from breachscope.watch.resolve import ResolverSettings
from breachscope.watch.store import Lookalike, WatchRun

_WORD = re.compile(r"[\w'-]+")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{1,99}")
MAX_NGRAM_WORDS = 20_000


@dataclass(frozen=True)
class MailSettings:
    resolver: ResolverSettings = field(default_factory=ResolverSettings)
    limits: MailLimits = field(default_factory=MailLimits)
    #: Phishing messages that use the leak, within ``wave_window``, that make a wave (a task).
    wave_threshold: int = 5
    wave_window: timedelta = timedelta(hours=24)
    #: Received headers your own internal relays add above the one your receiving server wrote
    #: (SPF reads the client IP from that one); an attached (forwarded) message uses its topmost.
    internal_hops: int = 0
    #: Processes that parse and authenticate messages (the case part stays in this process).
    workers: int = 1


@dataclass(slots=True)
class CheckedMessage:
    """One message's check as reported: where it came from, the check, whether it was new."""

    name: str
    check: MailCheck
    new: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "new": self.new, **self.check.to_dict()}


@dataclass(slots=True)
class MailReport:
    incident_id: int | None
    officials: list[str]
    messages: list[CheckedMessage] = field(default_factory=list)
    wave_task: dict[str, Any] | None = None

    def counts(self) -> dict[str, int]:
        out = {"genuine": 0, "suspicious": 0, "phishing": 0}
        for m in self.messages:
            out[m.check.verdict] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident": self.incident_id,
            "official_domains": self.officials,
            "counts": self.counts(),
            "messages": [m.to_dict() for m in self.messages],
            "wave_task": self.wave_task,
        }


class CaseView:
    """What one incident's case says to the checks (outbox, leak, vendor); loaded once per run."""

    def __init__(self, s: Session, incident_id: int) -> None:
        self.s = s
        self.incident_id = incident_id
        incident = api.get_incident(s, incident_id)
        self.vendor = (incident.vendor or "").strip()
        self._by_mid: dict[str, SentNotice] = {}
        self._by_ref: dict[str, SentNotice] = {}
        self.notice_domains: set[str] = set()
        rows = s.execute(
            select(
                OutboxMessage.message_id, OutboxMessage.reference, OutboxMessage.kind, OutboxMessage.state
            ).where(OutboxMessage.incident_id == incident_id)
        )
        for mid, ref, kind, state in rows:
            notice = SentNotice(mid, ref, kind, state)
            if state == "sent":
                self._by_mid[mid.strip()] = notice
                self._by_ref[ref] = notice
            domain = mid.strip().strip("<>").rpartition("@")[2].lower()
            if domain:
                self.notice_domains.add(domain)
        self.seen: set[str] = set(
            s.scalars(select(MailCheckRow.sha256).where(MailCheckRow.incident_id == incident_id))
        )
        self._key: bytes | None = None
        self._sealer: Any = None
        if incident.status == "open":
            self._key = api.case_key(s, incident_id)
            self._sealer = api.value_sealer(s, incident_id)

    def notice_by_message_id(self, message_id: str) -> SentNotice | None:
        return self._by_mid.get(message_id.strip())

    def notice_by_reference(self, reference: str) -> SentNotice | None:
        return self._by_ref.get(reference)

    def mentions(self, folded: str) -> list[str]:
        out = []
        for name in dict.fromkeys(filter(None, (fold(self.vendor), vendor_word(self.vendor) or ""))):
            if len(name) >= 3 and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", folded):
                out.append(f"the incident's vendor ({self.vendor[:60]})")
                break
        return out

    def _exposure(self, address: str) -> Any:
        """(id, org_id_hash, city, exposed_classes) of the leaked person with this address (exact
        normal form first; then the loose form: ``name+tag@``, Gmail dots)."""
        norm = normalise_email(address)
        if norm is None or self._key is None:
            return None
        cols = (Exposure.id, Exposure.org_id_hash, Exposure.city, Exposure.exposed_classes)
        mine = api.settled(self.s, self.incident_id)  # not the people of an unfinished attach
        found = self.s.execute(
            select(*cols).where(mine, Exposure.email_hash == keyed_hash(self._key, norm)).limit(1)
        ).first()
        loose = loose_email(norm)
        if found is None and loose is not None and loose != norm:
            found = self.s.execute(
                select(*cols).where(mine, Exposure.email_loose_hash == keyed_hash(self._key, loose)).limit(1)
            ).first()
        return found

    def leaked_fields(self, recipients: list[str], text: str) -> list[str]:
        """The leaked fields about a recipient that ``text`` quotes, compared by keyed hash."""
        if self._key is None:
            return []
        key = self._key
        for address in dict.fromkeys(recipients[:20]):
            exp = self._exposure(address)
            if exp is None:
                continue
            wanted: dict[str, str] = {}
            starts: dict[int, set[str]] = {}  # word runs worth hashing: length -> first words
            if exp.org_id_hash:
                wanted[exp.org_id_hash] = "org id"
            values: list[tuple[str, str]] = []
            city = api.open_value(self._sealer, "city", exp.city)
            if city and fold(city):
                values.append((fold(city), "city"))
            if "person_name" in (exp.exposed_classes or []):
                values.extend((fold(n), "name") for n in self._names(exp.id))
            for value, what in values:
                wanted[keyed_hash(key, value)] = what
                parts = value.split()
                starts.setdefault(len(parts), set()).add(parts[0])
            if not wanted:
                continue
            found = {wanted[h] for h in _text_hashes(key, text, starts) if h in wanted}
            if found:
                return sorted(found)
        return []

    def _names(self, exposure_id: int) -> list[str]:
        names = self.s.scalars(
            select(Account.name)
            .join(Match, Match.account_id == Account.id)
            .where(Match.exposure_id == exposure_id, Account.name.is_not(None))
            .limit(5)
        ).all()
        return [n for n in names if n and len(fold(n)) >= 3]


def _text_hashes(key: bytes, text: str, starts: dict[int, set[str]]) -> Iterator[str]:
    """Keyed hashes (:func:`breachscope.hashing.keyed_hash`, the same HMAC) of the raw tokens of
    ``text`` (org ids are compared as written) and of its folded runs of words that could be a
    sought name or city (``starts``: number of words -> first words); each form hashed once."""
    base = hmac.new(key, digestmod=hashlib.sha256)

    def h(value: str) -> str:
        m = base.copy()
        m.update(value.encode("utf-8", "surrogatepass"))
        return m.hexdigest()[:32]

    seen: set[str] = set()
    for m in _TOKEN.finditer(text):
        tok = m.group(0).rstrip(".:/-")
        if tok not in seen and len(seen) < MAX_NGRAM_WORDS:
            seen.add(tok)
            yield h(tok)
    words = [w.strip("'-") for w in _WORD.findall(fold(text))][:MAX_NGRAM_WORDS]
    for n, firsts in sorted(starts.items()):
        if not 0 < n <= 6:
            continue
        for i in range(len(words) - n + 1):
            if words[i] not in firsts:
                continue
            gram = " ".join(words[i : i + n])
            if gram not in seen:
                seen.add(gram)
                yield h(gram)


def official_domains(
    s: Session | None, incident_id: int | None, given: Iterable[str], view: CaseView | None
) -> list[str]:
    out = [check_domain(d) for d in given]
    if s is not None and incident_id is not None:
        for (domains,) in s.execute(select(WatchRun.domains).where(WatchRun.incident_id == incident_id)):
            out.extend(d for d in domains.split(",") if d)
    if view is not None:
        out.extend(sorted(view.notice_domains))
    return list(dict.fromkeys(out))


def _watch_list(s: Session, incident_id: int) -> dict[str, str]:
    rows = s.execute(select(Lookalike.domain, Lookalike.official).where(Lookalike.incident_id == incident_id))
    return {d: o for d, o in rows}


def check_mail(
    messages: Iterable[tuple[str, bytes]],
    *,
    engine: Engine | None = None,
    incident_id: int | None = None,
    domains: Iterable[str] = (),
    settings: MailSettings | None = None,
    source: str = "file",
    mailbox_id: int | None = None,
    clock: Clock | None = None,
    author: str = api.DEFAULT_AUTHOR,
    progress: Progress | None = None,
    total: int | None = None,
) -> MailReport:
    """Check ``(name, raw bytes)`` messages; with an incident, record them and update counts/tasks."""
    cfg = settings or MailSettings()
    bar = progress or NullProgress()
    lookups = DnsLookups(cfg.resolver)
    now = (clock or SystemClock()).now()
    if engine is None or incident_id is None:
        officials = official_domains(None, None, domains, None)
        judge = DomainJudge(officials)
        report = MailReport(None, officials)
        bar.start("checking messages", total=total)
        for name, analysed in _analysed(messages, cfg, judge, lookups):
            report.messages.append(CheckedMessage(name, conclude(analysed, judge=judge)))
            bar.advance(1)
        bar.finish()
        return report
    with session_scope(engine) as s:
        api.require_open(s, incident_id)
        view = CaseView(s, incident_id)
        officials = official_domains(s, incident_id, domains, view)
        judge = DomainJudge(officials, _watch_list(s, incident_id), words=_words(view.vendor))
        report = MailReport(incident_id, officials)
        bar.start("checking messages", total=total)
        for name, analysed in _analysed(messages, cfg, judge, lookups):
            check = conclude(analysed, judge=judge, incident=view, mentions=view.mentions)
            new = check.sha256 not in view.seen
            if new:
                view.seen.add(check.sha256)
                _record(s, incident_id, check, now, source, mailbox_id, author)
            report.messages.append(CheckedMessage(name, check, new))
            bar.advance(1)
        bar.finish()
        report.wave_task = _wave(s, incident_id, cfg, now, author, clock)
        if any(m.new for m in report.messages):
            c = report.counts()
            api.add_timeline_event(
                s,
                incident_id,
                f"reported mail checked: {sum(m.new for m in report.messages)} new message(s); "
                f"{c['phishing']} phishing, {c['suspicious']} suspicious, {c['genuine']} genuine",
                author=author,
                kind="mail",
                at=now,
            )
    return report


#: What a worker process checks with: set once by :func:`_worker_init` (one per process).
_WORKER: dict[str, Any] = {}


def _worker_init(judge: DomainJudge, cfg: MailSettings) -> None:
    _WORKER.update(judge=judge, cfg=cfg, lookups=DnsLookups(cfg.resolver))


def _worker_analyse(raw: bytes) -> Analysed:
    cfg: MailSettings = _WORKER["cfg"]
    return analyse(
        raw,
        judge=_WORKER["judge"],
        lookups=_WORKER["lookups"],
        limits=cfg.limits,
        internal_hops=cfg.internal_hops,
    )


def _analysed(
    messages: Iterable[tuple[str, bytes]], cfg: MailSettings, judge: DomainJudge, lookups: DnsLookups
) -> Iterator[tuple[str, Analysed]]:
    """Each message analysed, in order: here, or on ``cfg.workers`` forked processes with at
    most a few messages per worker in flight (a mailbox is never read into memory whole)."""
    if cfg.workers <= 1:
        for name, raw in messages:
            yield (
                name,
                analyse(
                    raw, judge=judge, lookups=lookups, limits=cfg.limits, internal_hops=cfg.internal_hops
                ),
            )
        return
    ctx = multiprocessing.get_context("fork")  # the judge (dnstwist's candidates) is inherited, not rebuilt
    window: deque[tuple[str, Future[Analysed]]] = deque()
    with ProcessPoolExecutor(
        cfg.workers, mp_context=ctx, initializer=_worker_init, initargs=(judge, cfg)
    ) as pool:
        for name, raw in messages:
            window.append((name, pool.submit(_worker_analyse, raw)))
            if len(window) >= cfg.workers * 4:
                done_name, fut = window.popleft()
                yield done_name, fut.result()
        while window:
            done_name, fut = window.popleft()
            yield done_name, fut.result()


def _words(vendor: str) -> tuple[str, ...]:
    word = vendor_word(vendor)
    return tuple(dict.fromkeys([*ATTACK_WORDS, *([word] if word else [])]))


def _record(
    s: Session,
    incident_id: int,
    check: MailCheck,
    now: datetime,
    source: str,
    mailbox_id: int | None,
    author: str,
) -> None:
    auth = check.auth
    row = MailCheckRow(
        incident_id=incident_id,
        sha256=check.sha256,
        checked_at=now,
        source=source,
        mailbox_id=mailbox_id,
        verdict=check.verdict,
        reasons=sorted({r.code for r in check.reasons}),
        breach_specific=check.breach_specific,
        leaked_fields=check.leaked,
        sender_domain=None if auth is None or auth.from_domain is None else auth.from_domain[:253],
        incomplete=check.incomplete,
        checked_by=author[:200],
    )
    s.add(row)
    if not check.lookalikes:
        return
    s.flush()
    for domain in check.lookalikes:
        verdict = check.domains[domain]
        role = check.roles.get(domain, "link")
        s.add(
            LookalikeHit(
                incident_id=incident_id,
                check_id=row.id,
                domain=domain[:253],
                role=role,
                kind=verdict.kind,
                at=now,
            )
        )


def _wave(
    s: Session, incident_id: int, cfg: MailSettings, now: datetime, author: str, clock: Clock | None
) -> dict[str, Any] | None:
    since = now - cfg.wave_window
    n = (
        s.scalar(
            select(func.count())
            .select_from(MailCheckRow)
            .where(
                MailCheckRow.incident_id == incident_id,
                MailCheckRow.verdict == "phishing",
                MailCheckRow.breach_specific.is_(True),
                MailCheckRow.checked_at > since,
            )
        )
        or 0
    )
    if n < cfg.wave_threshold:
        return None
    active = s.scalars(
        select(Task).where(
            Task.incident_id == incident_id,
            Task.source == "mail",
            Task.kind == "phishing-wave",
            Task.status.in_(ACTIVE),
        )
    ).first()
    hours = cfg.wave_window.total_seconds() / 3600
    detail = (
        f"{n} reported messages in the last {hours:g} h were phishing that uses the leak (quotes leaked data "
        "about the recipient or names the incident/vendor). Consider: a follow-up notice warning the people "
        "concerned, blocking the sender and link domains at the mail gateway, takedown requests for the "
        "look-alike domains (breachscope watch reported --incident N lists them)."
    )
    ref = active.source_ref if active is not None else f"wave:{now.strftime('%Y-%m-%dT%H:%M')}"
    change = add_task(
        s,
        incident_id,
        "Phishing wave using the leaked data: warn the people concerned and block the senders",
        actor=author,
        kind="phishing-wave",
        source="mail",
        source_ref=ref,
        detail=detail,
        clock=clock,
    )
    if change.change == "created":
        api.add_timeline_event(
            s,
            incident_id,
            f"phishing wave: {n} messages using the leak in {hours:g} h; task created",
            author=author,
            kind="mail",
            at=now,
        )
    return {"id": change.task.id, "change": change.change, "messages": n, "title": change.task.title}


def mail_counts(engine: Engine, incident_id: int) -> dict[str, Any]:
    """Counts over time (per UTC day) per verdict, and per look-alike domain, of an incident."""
    with session_scope(engine) as s:
        api.get_incident(s, incident_id)
        days: dict[str, dict[str, int]] = {}
        totals = {"genuine": 0, "suspicious": 0, "phishing": 0, "breach_specific": 0}
        for at, verdict, specific in s.execute(
            select(MailCheckRow.checked_at, MailCheckRow.verdict, MailCheckRow.breach_specific)
            .where(MailCheckRow.incident_id == incident_id)
            .order_by(MailCheckRow.checked_at)
        ):
            day = days.setdefault(
                at.date().isoformat(), {"genuine": 0, "suspicious": 0, "phishing": 0, "breach_specific": 0}
            )
            day[verdict] = day.get(verdict, 0) + 1
            totals[verdict] = totals.get(verdict, 0) + 1
            if specific:
                day["breach_specific"] += 1
                totals["breach_specific"] += 1
        domains = [
            {"domain": d, "messages": n, "first": first.isoformat(), "last": last.isoformat()}
            for d, n, first, last in s.execute(
                select(
                    LookalikeHit.domain,
                    func.count(func.distinct(LookalikeHit.check_id)),
                    func.min(LookalikeHit.at),
                    func.max(LookalikeHit.at),
                )
                .where(LookalikeHit.incident_id == incident_id)
                .group_by(LookalikeHit.domain)
                .order_by(func.count(func.distinct(LookalikeHit.check_id)).desc(), LookalikeHit.domain)
            )
        ]
        lookalike_days: dict[str, dict[str, int]] = {}
        for d, at in s.execute(
            select(LookalikeHit.domain, LookalikeHit.at).where(LookalikeHit.incident_id == incident_id)
        ):
            per = lookalike_days.setdefault(at.date().isoformat(), {})
            per[d] = per.get(d, 0) + 1
    return {
        "incident": incident_id,
        "totals": totals,
        "by_day": [{"day": k, **v} for k, v in sorted(days.items())],
        "lookalike_domains": domains,
        "lookalikes_by_day": [{"day": k, "domains": v} for k, v in sorted(lookalike_days.items())],
    }


def _mailbox(s: Session, incident_id: int, kind: str, location: str) -> Mailbox:
    row = s.scalars(
        select(Mailbox).where(
            Mailbox.incident_id == incident_id, Mailbox.kind == kind, Mailbox.location == location
        )
    ).first()
    if row is None:
        row = Mailbox(incident_id=incident_id, kind=kind, location=location, last_uid=0, messages=0)
        s.add(row)
        s.flush()
    return row


def watch_maildir(
    engine: Engine,
    incident_id: int,
    root: Path,
    *,
    settings: MailSettings | None = None,
    clock: Clock | None = None,
    author: str = api.DEFAULT_AUTHOR,
    progress: Progress | None = None,
) -> MailReport:
    """Check every message of a Maildir folder not checked before (the folder is not changed)."""
    cfg = settings or MailSettings()
    location = str(root.resolve())
    with session_scope(engine) as s:
        api.require_open(s, incident_id)
        box_id = _mailbox(s, incident_id, "maildir", location).id
    report = check_mail(
        maildir_messages(root, cfg.limits.max_message_bytes),
        engine=engine,
        incident_id=incident_id,
        settings=cfg,
        source="maildir",
        mailbox_id=box_id,
        clock=clock,
        author=author,
        progress=progress,
    )
    with session_scope(engine) as s:
        box = s.get(Mailbox, box_id)
        assert box is not None
        box.last_run_at = (clock or SystemClock()).now()
        box.messages += sum(m.new for m in report.messages)
    return report


def watch_imap(
    engine: Engine,
    incident_id: int,
    target: ImapTarget,
    password: str | None,
    *,
    settings: MailSettings | None = None,
    clock: Clock | None = None,
    author: str = api.DEFAULT_AUTHOR,
    progress: Progress | None = None,
) -> MailReport:
    """Check the messages of an IMAP folder that arrived since the last run (read-only)."""
    cfg = settings or MailSettings()
    with session_scope(engine) as s:
        api.require_open(s, incident_id)
        box = _mailbox(s, incident_id, "imap", target.location)
        box_id, last_uid, validity = box.id, box.last_uid, box.uidvalidity
    reader = ImapReader(target, password, timeout=max(5.0, cfg.resolver.lifetime * 4))
    try:
        if validity is not None and reader.uidvalidity != validity:
            last_uid = 0
        uids = reader.uids_after(last_uid)

        def fetched() -> Iterator[tuple[str, bytes]]:
            for uid in uids:
                data = reader.fetch(uid, cfg.limits.max_message_bytes)
                if data is not None:
                    yield f"{target.folder} uid {uid}", data

        report = check_mail(
            fetched(),
            engine=engine,
            incident_id=incident_id,
            settings=cfg,
            source="imap",
            mailbox_id=box_id,
            clock=clock,
            author=author,
            progress=progress,
            total=len(uids),
        )
    finally:
        reader.close()
    with session_scope(engine) as s:
        row = s.get(Mailbox, box_id)
        assert row is not None
        row.uidvalidity = reader.uidvalidity
        row.last_uid = max([last_uid, *uids])
        row.last_run_at = (clock or SystemClock()).now()
        row.messages += sum(m.new for m in report.messages)
    return report
