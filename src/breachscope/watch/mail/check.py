"""One reported message -> verdict (genuine / suspicious / phishing) with every reason.

- **genuine**: a notice this incident sent: its Message-ID is in the outbox, a DKIM signature of
  an official domain aligned with From verifies, and its verification reference (header
  ``X-Notice-Reference`` and the body) is the one the outbox holds for that notice (a verified ARC
  chain whose first hop recorded our DKIM as passing stands in for a signature a relay broke).
- **phishing**: at least one strong reason: a look-alike sender or link domain, an official From
  that fails DMARC, a copied Message-ID of our notice without its reference, an ask
  for credentials or payment together with another sign (leaked data quoted, the incident or
  vendor named, urgency, a deceptive or hidden link, failed authentication), or leaked data about
  the recipient together with the incident named.
- **suspicious**: everything else: it is not a notice of ours, and the reasons say what was found
  (or that nothing specific was). A message that could not be read completely is never judged
  on the part not read: its issues are reasons.

No reason quotes leaked data: "quotes your org id (in the leak)" names the field, never the value.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from breachscope.inert import defang_links, terminal_text
from breachscope.watch.mail.auth import AuthResults, DnsLookups, authenticate
from breachscope.watch.mail.domains import DomainJudge, DomainVerdict, registrable
from breachscope.watch.mail.links import Link, html_links, text_links, to_alabel
from breachscope.watch.mail.parse import MailLimits, ParsedMail, parse_message
from breachscope.watch.mail.signs import categories, find_signs, fold

VERDICTS: tuple[str, ...] = ("genuine", "suspicious", "phishing")


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    severity: str  # phishing | suspicious | genuine | info
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "text": self.text}


@dataclass(frozen=True, slots=True)
class SentNotice:
    """What the outbox says about a notice it sent (looked up by Message-ID or reference)."""

    message_id: str
    reference: str
    kind: str
    state: str


class Incident(Protocol):
    """What the check asks of the incident (see :mod:`.service`); all optional."""

    def notice_by_message_id(self, message_id: str) -> SentNotice | None: ...

    def notice_by_reference(self, reference: str) -> SentNotice | None: ...

    def leaked_fields(self, recipients: list[str], text: str) -> list[str]: ...


@dataclass(slots=True)
class MailCheck:
    sha256: str
    verdict: str = "suspicious"
    reasons: list[Reason] = field(default_factory=list)
    auth: AuthResults | None = None
    links: list[Link] = field(default_factory=list)
    domains: dict[str, DomainVerdict] = field(default_factory=dict)
    #: How each domain was used: sender (From, Reply-To, Sender, Return-Path) or link.
    roles: dict[str, str] = field(default_factory=dict)
    signs: dict[str, list[str]] = field(default_factory=dict)
    leaked: list[str] = field(default_factory=list)
    issues: list[dict[str, object]] = field(default_factory=list)
    message_id: str | None = None
    from_header: str = ""
    subject: str = ""
    date: str | None = None
    reported_by: str | None = None
    notice: SentNotice | None = None
    incomplete: bool = False

    @property
    def lookalikes(self) -> list[str]:
        return sorted(d for d, v in self.domains.items() if v.lookalike)

    @property
    def breach_specific(self) -> bool:
        """Uses the leak: quotes leaked data about the recipient, or names the incident/vendor
        (never said of our own genuine notice, which names the incident by design)."""
        if self.verdict == "genuine":
            return False
        return bool(self.leaked) or any(
            r.code in ("mentions-incident", "mentions-vendor") for r in self.reasons
        )

    def add(self, code: str, severity: str, text: str) -> None:
        if not any(r.code == code and r.text == text for r in self.reasons):
            self.reasons.append(Reason(code, severity, text))

    def to_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "verdict": self.verdict,
            "reasons": [r.to_dict() for r in self.reasons],
            "message": {
                "from": defang_links(terminal_text(self.from_header, 200)),
                "subject": defang_links(terminal_text(self.subject, 200)),
                "date": self.date,
                "message_id": None if self.message_id is None else terminal_text(self.message_id, 200),
                "reported_by": None
                if self.reported_by is None
                else defang_links(terminal_text(self.reported_by)),
                "incomplete": self.incomplete,
            },
            "authentication": None if self.auth is None else self.auth.to_dict(),
            "links": [link.to_dict() for link in self.links],
            "domains": {
                defang_links(d): {"kind": v.kind, "official": v.official, "detail": v.detail}
                for d, v in sorted(self.domains.items())
            },
            "signs": self.signs,
            "leaked_data_quoted": self.leaked,
            "breach_specific": self.breach_specific,
            "issues": self.issues,
        }


_REF = re.compile(r"\b([0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5})\b")


def _domain_of(addr: str) -> str | None:
    if "@" not in addr:
        return None
    return to_alabel(addr.rpartition("@")[2].strip().rstrip(".>"))


def _mail_of(raw: bytes, limits: MailLimits) -> tuple[bytes, ParsedMail, ParsedMail, str | None]:
    """(raw, parsed) of the reported message: the attached one of a forwarded report."""
    outer = parse_message(raw, limits)
    if outer.attached is not None and outer.attached_raw is not None:
        return outer.attached_raw, outer.attached, outer, outer.from_address()[1] or None
    return raw, outer, outer, None


@dataclass(slots=True)
class Analysed:
    """A message after the checks that need no case (picklable: worker processes make these)."""

    check: MailCheck
    visible: str
    folded: str
    notice_reference: str
    recipients: list[str]


def analyse(
    raw: bytes,
    *,
    judge: DomainJudge,
    lookups: DnsLookups,
    limits: MailLimits | None = None,
    internal_hops: int = 0,
) -> Analysed:
    """Parse, authenticate, list links, judge domains, find phrases: everything but the case."""
    lim = limits or MailLimits()
    result = MailCheck(hashlib.sha256(raw).hexdigest())
    raw, mail, outer, reporter = _mail_of(raw, lim)
    result.reported_by = reporter
    result.issues = [i.to_dict() for i in (*outer.issues, *(mail.issues if mail is not outer else ()))]
    result.incomplete = outer.incomplete or mail.incomplete
    result.from_header = mail.header("From") or ""
    result.subject = mail.header("Subject") or ""
    result.date = terminal_text(mail.header("Date"), 80) if mail.header("Date") else None
    mid = mail.header("Message-ID")
    result.message_id = mid.strip()[:300] if mid else None
    result.auth = authenticate(raw, mail, lookups, 0 if reporter else internal_hops)
    visible = _links(mail, lim, result)
    folded = fold(f"{result.subject}\n{visible}")
    result.signs = find_signs(folded)
    _judge_domains(mail, result, judge)
    _authentication(result, judge)
    recipients = [a for _n, a in mail.addresses("To") + mail.addresses("Cc")]
    if reporter:
        recipients.append(reporter)
    ref = (mail.header("X-Notice-Reference") or "").strip()
    return Analysed(result, visible, folded, ref, recipients)


def conclude(
    a: Analysed,
    *,
    judge: DomainJudge,
    incident: Incident | None = None,
    mentions: Callable[[str], list[str]] | None = None,
) -> MailCheck:
    """The case's part (outbox, leaked data, vendor named) and the verdict."""
    result = a.check
    _outbox(a.notice_reference, a.visible, result, incident, judge)
    if incident is not None:
        result.leaked = incident.leaked_fields(a.recipients, f"{result.subject}\n{a.visible}")
    ours = {"genuine", "copied-reference", "altered-notice"}  # our own notice's text names the incident
    if mentions is not None and not any(r.code in ours for r in result.reasons):
        for what in mentions(a.folded):
            result.add("mentions-vendor", "suspicious", f"names {what}")
    _signs(result)
    _mime(result)
    result.verdict = _verdict(result)
    return result


def check_message(
    raw: bytes,
    *,
    judge: DomainJudge,
    lookups: DnsLookups,
    incident: Incident | None = None,
    mentions: Callable[[str], list[str]] | None = None,
    limits: MailLimits | None = None,
    internal_hops: int = 0,
) -> MailCheck:
    """The verdict on one message (``raw`` as received or as saved to an .eml file)."""
    a = analyse(raw, judge=judge, lookups=lookups, limits=limits, internal_hops=internal_hops)
    return conclude(a, judge=judge, incident=incident, mentions=mentions)


def _links(mail: ParsedMail, lim: MailLimits, result: MailCheck) -> str:
    """Collect every link into ``result``; returns the visible text (plain parts and HTML text)."""
    links = text_links(mail.text, lim.max_links)
    texts = [mail.text]
    truncated = len(links) >= lim.max_links
    for html in mail.html:
        found, visible, cut = html_links(html, lim.max_links - len(links))
        links.extend(found)
        texts.append(visible)
        truncated = truncated or cut
    result.links = links
    if truncated:
        result.add(
            "too-many-links",
            "suspicious",
            f"more than {lim.max_links} links (or broken HTML); the rest not read",
        )
        result.incomplete = True
    hidden = [x for x in links if x.hidden]
    if hidden:
        result.add(
            "hidden-links", "suspicious", f"{len(hidden)} link(s) in hidden HTML (not visible to the reader)"
        )
    for x in links:
        if x.deceptive_text:
            result.add(
                "deceptive-link",
                "suspicious",
                f"a link shows {defang_links(terminal_text(x.deceptive_text, 80))} but goes to "
                f"{defang_links(terminal_text(x.host, 80))}",
            )
        if x.userinfo:
            result.add(
                "userinfo-link",
                "suspicious",
                f"a link hides its target behind 'name@' (goes to {defang_links(terminal_text(x.host, 80))})",
            )
        if x.ip_literal:
            result.add(
                "ip-link",
                "suspicious",
                f"a link goes to an IP address ({defang_links(terminal_text(x.host, 60))})",
            )
        if x.source == "form action":
            result.add(
                "form",
                "suspicious",
                "the message contains a form that submits to " + defang_links(terminal_text(x.host, 80)),
            )
    return "\n".join(texts)


def _judge_domains(mail: ParsedMail, result: MailCheck, judge: DomainJudge) -> None:
    roles: list[tuple[str, str]] = []
    for header in ("From", "Reply-To", "Sender"):
        for _name, addr in mail.addresses(header):
            d = _domain_of(addr)
            if d:
                roles.append((header.lower(), d))
    rp = mail.header("Return-Path")
    if rp:
        d = _domain_of(rp.strip().strip("<>"))
        if d:
            roles.append(("return-path", d))
    roles.extend(("link", x.host) for x in result.links if x.host and not x.ip_literal)
    for role, d in roles:
        verdict = judge.judge(d)
        result.domains[d] = verdict
        result.roles.setdefault(d, "link" if role == "link" else "sender")
        if verdict.lookalike:
            what = "sender" if role != "link" else "link"
            result.add(
                f"lookalike-{what}",
                "phishing",
                f"{what} domain {defang_links(d)} ({role}) is a look-alike of {verdict.official}: "
                f"{verdict.detail}",
            )
    name = fold(result.from_header.rpartition("<")[0])
    from_domain = result.auth.from_domain if result.auth else None
    if name and from_domain and judge.judge(from_domain).kind != "official":
        for o in judge.officials:
            label = o.split(".")[0]
            if len(label) >= 4 and label in name.replace(" ", ""):
                result.add(
                    "display-name", "suspicious", f"the sender's name claims {o} but the address is not on it"
                )
                break


def _authentication(result: MailCheck, judge: DomainJudge) -> None:
    auth = result.auth
    if auth is None:
        return
    official_from = auth.from_domain is not None and judge.judge(auth.from_domain).kind == "official"
    if official_from and auth.dmarc == "fail":
        result.add(
            "spoofed-official",
            "phishing",
            f"From is our domain {auth.from_domain} but DMARC fails: {auth.dmarc_detail}",
        )
    elif official_from and not any(
        d.result == "pass" and judge.judge(d.domain).kind == "official" for d in auth.dkim
    ):
        result.add(
            "unsigned-official",
            "suspicious",
            f"From is our domain {auth.from_domain} but no DKIM signature of ours verifies",
        )
    failed = [d for d in auth.dkim if d.result == "fail"]
    if failed:
        result.add(
            "dkim-fail",
            "suspicious",
            f"DKIM signature of {failed[0].domain} does not verify ({failed[0].detail})",
        )
    if auth.spf in ("fail", "softfail"):
        result.add("spf-fail", "suspicious", f"SPF {auth.spf} for {auth.spf_domain}: {auth.spf_detail}")
    if auth.arc == "fail":
        result.add("arc-fail", "suspicious", f"ARC chain fails: {auth.arc_detail}")


def _outbox(
    header_ref: str, visible: str, result: MailCheck, incident: Incident | None, judge: DomainJudge
) -> None:
    if incident is None:
        result.add("no-incident", "info", "not compared with an incident's outbox (no --incident)")
        return
    notice = incident.notice_by_message_id(result.message_id) if result.message_id else None
    auth = result.auth
    from_domain = auth.from_domain if auth else None
    if notice is None:
        refs = set(_REF.findall(visible))
        for ref in sorted(refs)[:5]:
            sent = incident.notice_by_reference(ref)
            if sent is not None:
                result.add(
                    "copied-reference",
                    "suspicious",
                    f"carries the reference {ref} of a notice we sent, but its Message-ID is not ours: a "
                    "forwarded copy (check the original) or a copy made to look genuine",
                )
                return
        return
    result.notice = notice
    signed = (
        auth is not None
        and from_domain is not None
        and judge.judge(from_domain).kind == "official"
        and any(
            d.result == "pass"
            and judge.judge(d.domain).kind == "official"
            and d.domain.endswith(_org(from_domain))
            for d in auth.dkim
        )
    )
    ref_ok = header_ref == notice.reference and notice.reference in visible
    via_arc = (
        not signed
        and auth is not None
        and auth.arc == "pass"
        and from_domain is not None
        and judge.judge(from_domain).kind == "official"
        and any(judge.judge(d).kind == "official" for d in auth.arc_dkim_pass)
    )
    if (signed or via_arc) and ref_ok:
        how = f"DKIM ({from_domain})" if signed else "DKIM as a relay recorded it in a verified ARC chain"
        result.add(
            "genuine",
            "genuine",
            f"a {notice.kind} notice this incident sent: Message-ID, {how} and reference "
            f"{notice.reference} match the outbox",
        )
        return
    if ref_ok:
        result.add(
            "altered-notice",
            "suspicious",
            f"our {notice.kind} notice (Message-ID and reference {notice.reference} match the outbox) "
            "but our DKIM signature no longer verifies: changed on the way (a gateway's banner or "
            "subject tag) or edited; it cannot be verified, check the original",
        )
        return
    missing = [w for w, ok in (("our DKIM signature", signed), ("the notice's reference", ref_ok)) if not ok]
    result.add(
        "copied-message-id",
        "phishing",
        "uses the Message-ID of a notice we sent but lacks " + " and ".join(missing),
    )


def _org(domain: str) -> str:
    return registrable(domain)


def _signs(result: MailCheck) -> None:
    codes = {r.code for r in result.reasons}
    if "genuine" in codes:
        return  # our notice names the incident and says what it never asks for: not signs
    cats = categories()
    if codes & {"copied-reference", "altered-notice"}:  # our own notice's text: its phrases are not signs
        for name, hits in result.signs.items():
            result.add(
                f"notice-text-{name}", "info", f"{cats[name].label} (as in our notice): {', '.join(hits)}"
            )
        return
    for name, hits in result.signs.items():
        cat = cats[name]
        code = (
            "mentions-incident"
            if name == "incident"
            else f"asks-{name}"
            if cat.severity == "strong"
            else name
        )
        result.add(code, "suspicious", f"{cat.label}: " + ", ".join(f"'{h}'" for h in hits))
    if result.leaked:
        result.add(
            "quotes-leaked-data",
            "suspicious",
            "quotes data about the recipient that was in the leak: " + ", ".join(result.leaked),
        )


def _mime(result: MailCheck) -> None:
    for issue in result.issues[:10]:
        result.add(f"mime-{issue['code']}", "suspicious", f"hostile or broken message: {issue['detail']}")
    if result.incomplete:
        result.add(
            "incomplete", "suspicious", "part of the message was not read: the verdict covers what was read"
        )


_STRONG_ASK = ("asks-credentials", "asks-payment")
_CORROBORATE = (
    "quotes-leaked-data",
    "mentions-incident",
    "mentions-vendor",
    "urgency",
    "deceptive-link",
    "hidden-links",
    "userinfo-link",
    "ip-link",
    "form",
    "dkim-fail",
    "spf-fail",
    "display-name",
    "unsigned-official",
)


def _verdict(result: MailCheck) -> str:
    codes = {r.code for r in result.reasons}
    if "genuine" in codes and not any(r.severity == "phishing" for r in result.reasons):
        return "genuine"
    if any(r.severity == "phishing" for r in result.reasons):
        return "phishing"
    if codes & set(_STRONG_ASK) and codes & set(_CORROBORATE):
        result.add("ask-with-signs", "phishing", "asks for credentials or payment, together with other signs")
        return "phishing"
    if "quotes-leaked-data" in codes and codes & {"mentions-incident", "mentions-vendor"}:
        result.add(
            "uses-the-leak", "phishing", "quotes leaked data about the recipient and names the incident"
        )
        return "phishing"
    if not any(r.severity == "suspicious" for r in result.reasons):
        result.add("not-ours", "suspicious", "not a notice of this incident; no specific phishing sign found")
    return "suspicious"
