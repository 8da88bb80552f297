"""``breachscope canary listen``: an SMTP listener (aiosmtpd) for the catch-all domain's mail.

Mail to a registered canary address is a **hit**: whoever sent it holds that vendor's data. The
hit opens an incident for the vendor (or updates its open one) with a ``canary_checks`` row
(source ``mail``), a ``canary_hits`` row per canary, a timeline event and a task, then posts a
webhook (Slack-compatible ``text`` plus the facts) when one is configured.

Behaviour on the wire, chosen so probing tells an attacker nothing and bad mail never crashes it:

- ``RCPT TO`` an address at a catch-all domain: always ``250`` (canary or not: a catch-all that
  answered differently would reveal which addresses are canaries); any other domain: ``550``
  (no relaying); more than :data:`MAX_RCPTS` recipients: ``452``;
- ``DATA`` over ``max_bytes``: ``552`` (aiosmtpd's size limit, announced in ``EHLO SIZE``);
- a message to no canary is accepted and dropped: nothing about it is stored;
- any error while recording a hit answers ``451`` (the sender retries later) and is logged; the
  listener keeps serving.

Recipients are matched by the envelope (``RCPT TO``), lower-cased, as keyed hashes against the
registry: the listener holds no canary in plain text.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from breachscope import hashing
from breachscope.canary import registry
from breachscope.canary.mailhit import DnsFunc, analyse
from breachscope.canary.spfcheck import check_spf
from breachscope.canary.store import CanaryBatch, CanaryCheck, CanaryHit
from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.case.models import Incident
from breachscope.case.tasks import add_task
from breachscope.clock import Clock, SystemClock
from breachscope.inert import terminal_text
from breachscope.webhooks import WebhookResult, post_json

log = logging.getLogger(__name__)

MAX_RCPTS = 50
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass
class MailHit:
    """What one accepted message to canaries did (returned to the caller, e.g. for logging)."""

    incident_id: int
    vendor: str
    canaries: list[tuple[int, int]]
    summary: str
    opened: bool
    webhook: WebhookResult | None = None


@dataclass
class ListenerSettings:
    domains: set[str]
    webhook_url: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    dnsfunc: DnsFunc | None = None
    #: DNS for SPF (the same server as ``dnsfunc``'s); None: SPF is "not checked"
    resolver: Any = None
    author: str = "breachscope canary listen"
    hits: list[MailHit] = field(default_factory=list)


def make_resolver(nameserver: str | None = None, port: int = 53, timeout: float = 3.0) -> Any:
    """A dnspython resolver: the given server, else the system's."""
    import dns.resolver

    res = dns.resolver.Resolver(configure=nameserver is None)
    if nameserver is not None:
        res.nameservers = [nameserver]
        res.port = port
    res.lifetime = timeout
    return res


def resolver_dnsfunc(nameserver: str | None = None, port: int = 53, timeout: float = 3.0) -> DnsFunc:
    """A dkimpy ``dnsfunc``: TXT records through dnspython (the given server, else the system's)."""
    res = make_resolver(nameserver, port, timeout)

    def txt(name: bytes | str, timeout: float = timeout) -> bytes | None:
        qname = name.decode("ascii", "replace") if isinstance(name, bytes) else name
        try:
            answer = res.resolve(qname, "TXT", lifetime=timeout)
        except Exception:  # NXDOMAIN, timeout, refused: the key is not retrievable
            return None
        for rr in answer:
            return b"".join(rr.strings)
        return None

    return txt


def registry_domains(engine: Engine) -> set[str]:
    with session_scope(engine) as s:
        return set(s.scalars(select(CanaryBatch.domain).distinct()))


def _masker(domains: set[str]) -> Callable[[str], str]:
    if not domains:
        return lambda text: text
    pattern = re.compile(
        r"[^\s<>\"'(),;:\[\]]+@(?:" + "|".join(re.escape(d) for d in sorted(domains)) + r")\b", re.I
    )
    return lambda text: pattern.sub("[canary address]", text)


def _incident_for(session: Session, vendor: str, clock: Clock, author: str) -> tuple[int, bool]:
    """The vendor's latest open incident, or a new one (``True`` when opened)."""
    found = session.scalar(
        select(Incident.id)
        .where(Incident.status == "open", func.lower(Incident.vendor) == vendor.casefold())
        .order_by(Incident.id.desc())
        .limit(1)
    )
    if found is not None:
        return int(found), False
    incident = api.create_incident(
        session,
        f"Canary mail: {vendor}",
        vendor=vendor,
        description=f"Opened by the canary listener: mail reached a canary planted only at {vendor}.",
        author=author,
        clock=clock,
    )
    return incident.id, True


def record_mail(
    engine: Engine,
    *,
    data: bytes,
    rcpt_tos: list[str],
    mail_from: str | None,
    client: str | None,
    helo: str | None,
    settings: ListenerSettings,
    clock: Clock | None = None,
) -> list[MailHit]:
    """Record a received message if it reached canaries; returns one hit per vendor (or none)."""
    clock = clock or SystemClock()
    with session_scope(engine) as s:
        key = registry.registry_key(s)
        if key is None:
            return []
        hashes = {hashing.keyed_hash(key, r.strip().lower()): r for r in rcpt_tos}
        resolved = registry.lookup(s, hashes)
        if not resolved:
            return []
        batches = {
            b.id: b
            for b in s.scalars(
                select(CanaryBatch).where(CanaryBatch.id.in_({v[0] for v in resolved.values()}))
            )
        }
    mask = _masker(settings.domains | {b.domain for b in batches.values()})
    facts = analyse(data, mask=mask, dnsfunc=settings.dnsfunc).to_dict()
    facts["envelope"] = {
        "mail_from": mask(terminal_text(mail_from or "", 320)),
        "client": terminal_text(client or "", 100),
        "helo": terminal_text(helo or "", 255),
        "recipients": len(rcpt_tos),
        "size": len(data),
    }
    facts["spf"] = check_spf(settings.resolver, client, mail_from, helo)
    by_vendor: dict[str, list[tuple[int, int, str]]] = {}
    for batch_id, no, fld in sorted(set(resolved.values())):
        by_vendor.setdefault(batches[batch_id].vendor, []).append((batch_id, no, fld))
    out: list[MailHit] = []
    sender = facts["headers"].get("from") or facts["envelope"]["mail_from"] or "an unknown sender"
    for vendor, canaries in sorted(by_vendor.items()):
        with session_scope(engine) as s:
            incident_id, opened = _incident_for(s, vendor, clock, settings.author)
            now = clock.now()
            issued = {b: batches[b].issued_at.date().isoformat() for b, _, _ in canaries}
            named = ", ".join(f"canary {no} of batch {b} (issued {issued[b]})" for b, no, _ in canaries)
            summary = (
                f"Mail to {len(canaries)} canary address(es) planted only at {vendor} ({named}) "
                f"received from {terminal_text(sender, 200)}, DKIM {facts['dkim']['result']}, "
                f"SPF {facts['spf']['result']}: "
                f"someone holding {vendor}'s data is using it."
            )
            check = CanaryCheck(
                incident_id=incident_id,
                dataset_id=None,
                source="mail",
                file_name=terminal_text(f"mail from {sender}", 500),
                at=now,
                author=settings.author,
                values_checked=len(rcpt_tos),
                records=1,
                complete=True,
                registered=int(sum(b.count for b in batches.values())),
                verdict="vendor",
                vendors=[{"vendor": vendor, "canaries_found": len(canaries), "fields": ["email"]}],
                summary=summary,
            )
            s.add(check)
            s.flush()
            for batch_id, no, fld in canaries:
                s.add(
                    CanaryHit(
                        check_id=check.id,
                        incident_id=incident_id,
                        batch_id=batch_id,
                        canary_no=no,
                        vendor=vendor,
                        field=fld,
                        column="RCPT TO",
                        occurrences=1,
                        detail=facts,
                    )
                )
            api.add_timeline_event(s, incident_id, summary, author=settings.author, kind="canary", at=now)
            add_task(
                s,
                incident_id,
                f"Canary mail: ask {vendor} how data it holds reached a sender, and treat {vendor} as leaked",
                actor=settings.author,
                kind="canary",
                source="canary",
                source_ref=f"mail:{vendor.casefold()}",
                detail="Mail reached canary addresses planted only at this vendor (see the canary hits).",
                clock=clock,
            )
        hit = MailHit(incident_id, vendor, [(b, n) for b, n, _ in canaries], summary, opened)
        if settings.webhook_url:
            hit.webhook = post_json(
                settings.webhook_url,
                {
                    "text": f"breachscope: {summary}",
                    "event": "canary.mail",
                    "incident_id": incident_id,
                    "incident_opened": opened,
                    "vendor": vendor,
                    "canaries": [{"batch": b, "canary": n} for b, n, _ in canaries],
                    "from": sender,
                    "subject": facts["headers"].get("subject", ""),
                    "dkim": facts["dkim"]["result"],
                    "spf": facts["spf"]["result"],
                    "links": [link["url"] for link in facts["links"][:10]],
                },
            )
            if not hit.webhook.ok:
                with session_scope(engine) as s:
                    api.add_timeline_event(
                        s,
                        incident_id,
                        f"Canary webhook not delivered ({hit.webhook.error or hit.webhook.status}).",
                        author=settings.author,
                        kind="canary",
                        clock=clock,
                    )
        out.append(hit)
    settings.hits.extend(out)
    return out


class CanaryHandler:
    """The aiosmtpd handler (``handle_RCPT``, ``handle_DATA``)."""

    def __init__(self, engine: Engine, settings: ListenerSettings, clock: Clock | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        domain = address.rpartition("@")[2].strip().lower().rstrip(".")
        if domain not in self.settings.domains:
            return "550 5.7.1 Relaying denied"
        if len(envelope.rcpt_tos) >= MAX_RCPTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content or b""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        peer = session.peer[0] if isinstance(session.peer, tuple) and session.peer else None
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(
                None,
                lambda: record_mail(
                    self.engine,
                    data=bytes(data),
                    rcpt_tos=list(envelope.rcpt_tos),
                    mail_from=envelope.mail_from,
                    client=str(peer) if peer else None,
                    helo=session.host_name,
                    settings=self.settings,
                    clock=self.clock,
                ),
            )
        except Exception:  # never crash the listener: the sender retries a 4xx later
            log.exception("canary listener: recording a message failed")
            return "451 4.3.0 Temporary local problem, please retry"
        return "250 OK"


def controller(
    engine: Engine,
    settings: ListenerSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 2525,
    clock: Clock | None = None,
) -> Any:
    """An aiosmtpd ``Controller`` (``start()``/``stop()``) serving the canary handler."""
    from aiosmtpd.controller import Controller

    return Controller(
        CanaryHandler(engine, settings, clock),
        hostname=host,
        port=port,
        data_size_limit=settings.max_bytes,
        server_hostname="breachscope-canary",
        ident="breachscope canary listener",
    )
