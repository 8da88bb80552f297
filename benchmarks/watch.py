"""Look-alike domains: generate and resolve 10,000 candidates against a local DNS server.

Two official domains (breachscope.io and mixpanel.com: 10,052 candidates; acme.com alone, 1,030,
with ``--quick``) are watched; a dnslib server on 127.0.0.1 (tests/watch/dnszone.py) holds 1 % of them
as registered, a third of those with MX. ``watch_domains`` then runs end to end into a fresh
SQLite case: generation, resolution (A first, then AAAA/MX/NS for the names that exist) and
recording. Issue 17 target: under 60 s for 10,000.

Then reported mail: 1,000 messages (``--quick``: 100) are checked against an incident with one
leaked person per message and notices in the outbox, through ``check_mail`` end to end (parse,
DKIM/SPF/DMARC against the same dnslib server, links, look-alikes, leaked-data hashes, verdict,
recording): a mix of genuine DKIM-signed notices, look-alike phishing (DKIM-signed by the
look-alike) quoting the recipient's leaked name, org id and city, spoofed official mail and
HTML newsletters with links. Issue 17 target: under 30 s for 1,000.
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.common import emit, parse_args, peak_rss_mb, row
from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.watch import ResolverSettings, watch_domains
from breachscope.watch.generate import ATTACK_WORDS, generate_all
from breachscope.watch.mail.service import MailSettings, check_mail
from tests.watch.dnszone import Zone, dns_server

OFFICIALS = ["breachscope.io", "mixpanel.com"]
QUICK = ["acme.com"]


def mail_rows(args: Any) -> list[dict[str, Any]]:
    """Check 1,000 reported messages (100 with --quick) end to end into a SQLite case."""
    from tests.watch.mail.bench import build_messages

    n = 100 if args.quick else 1000
    db = args.work / "mail.db"
    for f in (db, db.with_name(db.name + ".key")):
        f.unlink(missing_ok=True)
    engine = open_case_db(f"sqlite:///{db}", create=True)
    zone, messages, incident = build_messages(engine, n, args.work)
    with dns_server(zone) as port:
        settings = MailSettings(
            resolver=ResolverSettings("127.0.0.1", port, timeout=2.0, lifetime=5.0), workers=2
        )
        started, cpu = time.perf_counter(), time.process_time()
        report = check_mail(messages, engine=engine, incident_id=incident, settings=settings)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    c = report.counts()
    return [
        row(
            f"check-mail: {n:,} reported messages end to end (2 worker processes)",
            round(wall, 2),
            "s",
            "< 30 s for 1,000",
            None if args.quick else wall < 30,
        ),
        row("messages per second", round(n / wall), "msg/s"),
        row(
            "CPU time of the main process (the case part; workers parse and authenticate)", round(cpu, 2), "s"
        ),
        row(
            "verdicts genuine / suspicious / phishing",
            f"{c['genuine']} / {c['suspicious']} / {c['phishing']}",
            "",
        ),
    ]


def main() -> None:
    args = parse_args(__doc__ or "")
    officials = QUICK if args.quick else OFFICIALS
    cands = generate_all(officials, ATTACK_WORDS)
    zone = Zone()
    for i, cand in enumerate(cands[::100]):
        zone.records[cand.domain] = {"A": ["192.0.2.1"], **({"MX": ["10 mx.test."]} if i % 3 == 0 else {})}
    db = args.work / "watch.db"
    db.unlink(missing_ok=True)
    engine = open_case_db(f"sqlite:///{db}", create=True)
    with session_scope(engine) as s:
        incident = api.create_incident(s, "bench", vendor="Mixpanel").id
    with dns_server(zone) as port:
        settings = ResolverSettings("127.0.0.1", port, timeout=2.0, lifetime=5.0, concurrency=32)
        started = time.perf_counter()
        report = watch_domains(engine, incident, officials, resolver=settings)
        wall = time.perf_counter() - started
    engine.dispose()
    n = report.candidates
    emit(
        [
            row(
                f"generate + resolve + record {n:,} candidates",
                round(wall, 2),
                "s",
                "< 60 s for 10,000",
                None if args.quick else wall < 60,
            ),
            row("candidates per second", round(n / wall), "names/s"),
            row("registered found / planted", len(report.registered), f"of {len(zone.records)}"),
            row("not answered (timeouts)", len(report.unknown), "names"),
            row("DNS queries served", zone.queries, "queries"),
            *mail_rows(args),
            row("peak RSS", round(peak_rss_mb()), "MiB"),
        ]
    )


if __name__ == "__main__":
    main()
