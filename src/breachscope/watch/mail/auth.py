"""DKIM (every signature), ARC, SPF and DMARC alignment of a message, against one resolver.

All DNS goes through :class:`DnsLookups`: dnspython with the configured resolver
(:class:`breachscope.watch.resolve.ResolverSettings`, ``--resolver``), bounded timeouts, a
per-run cache, and a distinction the verdict needs: *nothing there* (NXDOMAIN, no record) versus
*not answered* (timeout, SERVFAIL): the latter is ``temperror``, never ``fail`` or ``none``.

- **DKIM**: dkimpy verifies each ``DKIM-Signature`` (minimum RSA key 1024 bits, RFC 8301),
  keys read through :meth:`DnsLookups.txt` (dkimpy's ``dnsfunc`` hook).
- **ARC**: dkimpy's ``arc_verify`` (``authres`` installed), the same hook.
- **SPF**: pyspf (RFC 7208 evaluation, lookup and void limits) with its one DNS method,
  :meth:`spf.query.dns`, answered by the same resolver (:class:`breachscope.spfquery.SpfQuery`). An
  SMTP session, so the client IP and HELO are read from the topmost ``Received`` header (the one
  the receiving server added) and MAIL FROM from ``Return-Path``; without an IP SPF is
  "not checked".
- **DMARC**: the record at ``_dmarc.<From domain>`` or its organisational domain (Public Suffix
  List), ``p``/``sp``, and alignment (``adkim``/``aspf``, relaxed by default) of a passing DKIM
  ``d=`` or SPF MAIL FROM with the From domain (RFC 7489 section 3.1). Written here: the
  libraries that do DMARC either return only an ``Authentication-Results`` string (authheaders)
  or check a domain's posture rather than a message (checkdmarc).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

import dkim
import dns.exception
import dns.name
import dns.resolver

from breachscope.inert import terminal_text
from breachscope.spfquery import SpfQuery
from breachscope.watch.mail.domains import registrable
from breachscope.watch.mail.parse import ParsedMail
from breachscope.watch.resolve import ResolverSettings, make_resolver

MIN_KEY_BITS = 1024
_CACHE_MAX = 50_000


class DnsLookups:
    """TXT/A/AAAA/MX/PTR lookups through one resolver, cached for a run; temp errors recorded."""

    def __init__(self, settings: ResolverSettings) -> None:
        self.settings = settings
        self._resolver = make_resolver(settings)
        self._cache: dict[tuple[str, str], list[Any] | None] = {}
        self.queries = 0

    def answers(self, name: str, rdtype: str) -> list[Any] | None:
        """The records, [] when there are none (NXDOMAIN, no data), None when not answered."""
        key = (name.lower().rstrip("."), rdtype)
        if key in self._cache:
            return self._cache[key]
        self.queries += 1
        out: list[Any] | None
        try:
            qname = dns.name.from_text(key[0])
            ans = self._resolver.resolve(qname, rdtype, raise_on_no_answer=False, search=False)
            out = list(ans.rrset) if ans.rrset is not None else []
        except (dns.resolver.NXDOMAIN, dns.name.EmptyLabel, dns.name.LabelTooLong, dns.name.NameTooLong):
            out = []
        except dns.exception.DNSException:  # timeout, SERVFAIL, refused, broken answer
            out = None
        if len(self._cache) < _CACHE_MAX:
            self._cache[key] = out
        return out

    def txt(self, name: str) -> list[bytes] | None:
        found = self.answers(name, "TXT")
        if found is None:
            return None
        return [b"".join(rd.strings) for rd in found][:20]

    def dkim_dnsfunc(self, temp_errors: list[str], missing: list[str] | None = None) -> Any:
        """dkimpy's ``dnsfunc(name: bytes, timeout)``: the TXT text, None when there is none
        (the names not answered go to ``temp_errors``, those without a record to ``missing``)."""

        def dnsfunc(name: bytes, timeout: float = 5) -> bytes | None:
            text = name.decode("ascii", "replace")
            found = self.txt(text)
            if found is None:
                temp_errors.append(text)
                return None
            if not found and missing is not None:
                missing.append(text)
            return found[0] if found else None

        return dnsfunc


@dataclass(slots=True)
class DkimResult:
    domain: str
    selector: str
    result: str  # pass | fail | temperror | permerror
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "domain": self.domain,
            "selector": self.selector,
            "result": self.result,
            "detail": self.detail,
        }


@dataclass(slots=True)
class AuthResults:
    from_domain: str | None = None
    dkim: list[DkimResult] = field(default_factory=list)
    arc: str = "none"  # pass | fail | none
    arc_detail: str = ""
    #: DKIM domains that the first sealer of a passing ARC chain recorded as dkim=pass (what a
    #: relay saw before it changed the message: a footer, a subject tag, rewritten links).
    arc_dkim_pass: list[str] = field(default_factory=list)
    spf: str = "not checked"  # pass | fail | softfail | neutral | none | temperror | permerror | not checked
    spf_domain: str | None = None
    spf_detail: str = ""
    dmarc: str = "none"  # pass | fail | none | temperror | not checked
    dmarc_policy: str | None = None
    dmarc_detail: str = ""

    def dkim_pass(self, domain: str | None = None) -> bool:
        return any(d.result == "pass" and (domain is None or d.domain == domain) for d in self.dkim)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from_domain": self.from_domain,
            "dkim": [d.to_dict() for d in self.dkim],
            "arc": {
                "result": self.arc,
                "detail": self.arc_detail,
                "dkim_pass_at_first_hop": self.arc_dkim_pass,
            },
            "spf": {"result": self.spf, "domain": self.spf_domain, "detail": self.spf_detail},
            "dmarc": {"result": self.dmarc, "policy": self.dmarc_policy, "detail": self.dmarc_detail},
        }


_TAG = re.compile(rb"(?:^|;)\s*([a-z]+)\s*=\s*([^;]*)")
_RECEIVED_FROM = re.compile(r"(?i)^\s*from\s+(\S+)(.*?)(?:\sby\s|;|$)")
_BRACKET_IP = re.compile(r"\[(?:IPv6:)?([0-9a-fA-F:.]+)\]")


def _tags(value: bytes) -> dict[str, str]:
    return {
        m.group(1).decode("ascii", "replace"): m.group(2).strip().decode("ascii", "replace")
        for m in _TAG.finditer(value)
    }


def _dkim(raw: bytes, lookups: DnsLookups) -> list[DkimResult]:
    out: list[DkimResult] = []
    try:
        verifier = dkim.DKIM(raw, minkey=MIN_KEY_BITS, timeout=lookups.settings.lifetime)
    except Exception as exc:  # dkimpy raises many types on hostile messages
        return [DkimResult("", "", "permerror", terminal_text(f"message not readable by DKIM: {exc}", 160))]
    sigs = [v for k, v in verifier.headers if k.lower() == b"dkim-signature"]
    for idx, value in enumerate(sigs[:10]):
        tags = _tags(b" ".join(value.split()))
        domain = terminal_text(tags.get("d", "").lower(), 253)
        selector = terminal_text(tags.get("s", ""), 63)
        temp: list[str] = []
        missing: list[str] = []
        try:
            ok = bool(verifier.verify(idx=idx, dnsfunc=lookups.dkim_dnsfunc(temp, missing)))
            result, detail = ("pass", "") if ok else ("fail", "signature does not verify")
            if not ok and temp:
                result, detail = "temperror", f"key lookup not answered ({terminal_text(temp[0], 100)})"
            elif not ok and missing:
                result, detail = "permerror", f"no key published at {terminal_text(missing[0], 100)}"
        except dkim.KeyFormatError as exc:
            result, detail = "permerror", terminal_text(exc, 160)
            if temp:
                result, detail = "temperror", f"key lookup not answered ({terminal_text(temp[0], 100)})"
        except dkim.ValidationError as exc:
            result, detail = "fail", terminal_text(exc, 160)
        except Exception as exc:  # a malformed signature is reported, never raised
            result, detail = "permerror", terminal_text(exc, 160)
        out.append(DkimResult(domain, selector, result, detail))
    return out


def _arc(raw: bytes, lookups: DnsLookups) -> tuple[str, str]:
    if b"arc-seal" not in raw[:200_000].lower():
        return "none", "not ARC sealed"
    temp: list[str] = []
    try:
        cv, _results, reason = dkim.arc_verify(raw, dnsfunc=lookups.dkim_dnsfunc(temp), minkey=MIN_KEY_BITS)
    except Exception as exc:  # hostile ARC headers are reported
        return "fail", terminal_text(exc, 160)
    result = {b"pass": "pass", b"fail": "fail", b"none": "none"}.get(cv or b"fail", "fail")
    if temp and result != "pass":
        return "temperror", f"key lookup not answered ({terminal_text(temp[0], 100)})"
    return result, terminal_text(reason, 160)


_AAR_DKIM = re.compile(r"(?i)\bdkim\s*=\s*pass\b[^;]*?\bheader\.(?:d|i)\s*=\s*@?([A-Za-z0-9.-]{1,253})")
_AAR_I = re.compile(r"(?i)^\s*i\s*=\s*(\d{1,2})\s*;")


def arc_dkim_pass(mail: ParsedMail) -> list[str]:
    """The DKIM domains the first ARC set's Authentication-Results (i=1) say passed."""
    for value in mail.all_headers("ARC-Authentication-Results")[:50]:
        m = _AAR_I.match(value)
        if m and m.group(1) == "1":
            return sorted({d.lower().rstrip(".") for d in _AAR_DKIM.findall(value)})[:10]
    return []


def smtp_identity(mail: ParsedMail, internal_hops: int = 0) -> tuple[str | None, str | None, str | None]:
    """(client IP, HELO, MAIL FROM) as recorded by the receiving server: the topmost Received
    header, or the one below ``internal_hops`` headers added by your own internal relays."""
    ip = helo = None
    for received in mail.all_headers("Received")[internal_hops : internal_hops + 1]:
        m = _RECEIVED_FROM.search(received)
        if m:
            helo = m.group(1).strip("()[]")[:253]
            ipm = _BRACKET_IP.search(m.group(2))
            if ipm:
                try:
                    ip = str(ipaddress.ip_address(ipm.group(1)))
                except ValueError:
                    ip = None
    rp = mail.header("Return-Path")
    mail_from = None
    if rp is not None:
        mail_from = rp.strip().strip("<>").strip()[:320]
    return ip, helo, mail_from


def _spf(mail: ParsedMail, lookups: DnsLookups, from_addr: str, hops: int) -> tuple[str, str | None, str]:
    ip, helo, mail_from = smtp_identity(mail, hops)
    if ip is None:
        where = "the topmost Received header" if not hops else f"Received header {hops + 1} (from the top)"
        return "not checked", None, f"no client IP in {where}"
    note = ""
    if mail_from is None:
        mail_from, note = from_addr, " (no Return-Path: the From address was used)"
    if mail_from == "":
        mail_from = f"postmaster@{helo}" if helo else ""
    domain = mail_from.rpartition("@")[2].lower() or None
    try:
        query = SpfQuery(lookups.answers, lookups.settings.lifetime, ip, mail_from, helo or "unknown")
        result, _code, explanation = query.check()
    except Exception as exc:  # pyspf on hostile records/input
        return "permerror", domain, terminal_text(exc, 160)
    detail = (
        f"client {ip}, MAIL FROM {terminal_text(mail_from, 120)}{note}: {terminal_text(explanation, 120)}"
    )
    return str(result), domain, detail


def _aligned(a: str, b: str, strict: bool) -> bool:
    return a == b if strict else registrable(a) == registrable(b)


def _dmarc(res: AuthResults, lookups: DnsLookups) -> None:
    domain = res.from_domain
    if not domain:
        res.dmarc, res.dmarc_detail = "not checked", "no single From domain"
        return
    org = registrable(domain)
    record: dict[str, str] | None = None
    for name in dict.fromkeys((domain, org)):
        found = lookups.txt(f"_dmarc.{name}")
        if found is None:
            res.dmarc, res.dmarc_detail = "temperror", f"_dmarc.{name} not answered"
            return
        recs = [r for r in found if r.strip().lower().startswith(b"v=dmarc1")]
        if len(recs) == 1:
            record = _tags(recs[0])
            if name != domain and "sp" in record:
                record["p"] = record["sp"]
            break
        if len(recs) > 1:
            res.dmarc, res.dmarc_detail = "none", f"_dmarc.{name} has {len(recs)} DMARC records (ignored)"
            return
    if record is None:
        res.dmarc, res.dmarc_detail = "none", "no DMARC record"
        return
    res.dmarc_policy = terminal_text(record.get("p", "none").lower(), 20)
    strict_dkim = record.get("adkim", "r").lower() == "s"
    strict_spf = record.get("aspf", "r").lower() == "s"
    dkim_ok = [d.domain for d in res.dkim if d.result == "pass" and _aligned(d.domain, domain, strict_dkim)]
    spf_ok = res.spf == "pass" and res.spf_domain is not None and _aligned(res.spf_domain, domain, strict_spf)
    if dkim_ok or spf_ok:
        how = [f"DKIM d={dkim_ok[0]}"] if dkim_ok else []
        how += [f"SPF {res.spf_domain}"] if spf_ok else []
        res.dmarc, res.dmarc_detail = "pass", "aligned: " + ", ".join(how)
        return
    temp = any(d.result == "temperror" for d in res.dkim) or res.spf == "temperror"
    res.dmarc = "temperror" if temp else "fail"
    res.dmarc_detail = "no passing DKIM signature or SPF result aligned with the From domain"


def authenticate(raw: bytes, mail: ParsedMail, lookups: DnsLookups, internal_hops: int = 0) -> AuthResults:
    """Every check of one message (``raw`` exactly as received; ``mail`` its parsed form);
    ``internal_hops``: Received headers your own relays add above the receiving server's."""
    res = AuthResults()
    froms = mail.addresses("From")
    from_addr = froms[0][1] if len(froms) == 1 else ""
    if from_addr and "@" in from_addr:
        res.from_domain = terminal_text(from_addr.rpartition("@")[2].lower().rstrip("."), 253)
    res.dkim = _dkim(raw, lookups)
    res.arc, res.arc_detail = _arc(raw, lookups)
    if res.arc == "pass":
        res.arc_dkim_pass = arc_dkim_pass(mail)
    res.spf, res.spf_domain, res.spf_detail = _spf(mail, lookups, from_addr, internal_hops)
    _dmarc(res, lookups)
    return res
