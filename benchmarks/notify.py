"""Notify throughput: render + queue personal notices; deliver them to a local aiosmtpd server.

Targets (issue 6): render and queue 100,000 notices in under 60 s; deliver at >= 300 messages/s
over reused connections. ``--quick`` queues 5,000 (target scaled to 3 s). Delivery is measured
on slices of the queue (10,000 each; 1,000 with --quick), all DKIM rsa-2048: over one
connection, over the default 4 connections (``[notify.smtp] connections``), over 4 connections
with one signing worker process, and unsigned over 4 connections (SMTP plus outbox bookkeeping
alone), so the cost of signing is visible. The SMTP server is aiosmtpd in its own process on the
same machine. CPU time and the load average are reported because the benchmark machine is shared.
"""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from benchmarks.common import emit, parse_args, peak_rss_mb, row
from breachscope.case import api
from breachscope.case.db import open_case_db, session_scope
from breachscope.notify.config import from_mapping
from breachscope.notify.context import ActionItem, IncidentInfo, NoticeContext
from breachscope.notify.queue import queue_notices
from breachscope.notify.sender import DeliveryRun
from breachscope.notify.service import make_renderer, make_signer
from breachscope.notify.smtp import SmtpMailer

INCIDENT = IncidentInfo(1, "Mixpanel leak", "Mixpanel", "2025-11-09", "2025-11-25")
ACTIONS = (
    ActionItem(
        "phishing",
        {"en": "Be wary of messages about this incident.", "id": "Waspadai pesan tentang insiden ini."},
    ),
)
NOT_NEEDED = (
    ActionItem(
        "password",
        {"en": "You do not need to change your password.", "id": "Anda tidak perlu mengganti kata sandi."},
    ),
)
CITIES = ("Jakarta, Indonesia", "Surabaya, Indonesia", "Berlin, Germany", "Austin, United States")


def contexts(n: int):  # type: ignore[no-untyped-def]
    for i in range(n):
        yield NoticeContext(
            kind="user",
            recipient_key=f"u{i}",
            email=f"user{i}@example.org",
            name=f"User <{i}>",
            language="id" if i % 3 == 0 else "en",
            incident=INCIDENT,
            exposed_classes=("person_name", "email", "coarse_location", "device")[: 2 + i % 3],
            absent_classes=("password", "secret", "payment_card", "government_id"),
            location=CITIES[i % len(CITIES)],
            actions=ACTIONS,
            not_needed=NOT_NEEDED,
        )


def _cpu() -> float:
    """User + system CPU seconds of this process and its waited-for children (render workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("aiosmtpd did not start")


def main() -> None:
    args = parse_args(__doc__ or "")
    n = 5_000 if args.quick else 100_000
    deliver_n = 1_000 if args.quick else 10_000
    work: Path = args.work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    key = work / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    port = free_port()
    mapping = {
        "notify": {
            "company": "Example Corp",
            "official_domain": "example.com",
            "from": "Example Security <security@example.com>",
            "verification_key": "bench",
            "dkim": {"selector": "bench", "private_key_file": str(key)},
            "smtp": {
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "rate_per_second": 0,
                "max_per_connection": 100_000,
            },
        }
    }
    config = from_mapping(mapping)
    engine = open_case_db(f"sqlite:///{work / 'case.db'}", create=True)
    with session_scope(engine) as session:
        api.create_incident(session, "bench", vendor="Mixpanel")

    workers = min(4, os.cpu_count() or 1)
    cpu0 = _cpu()
    started = time.perf_counter()
    summary = queue_notices(
        engine, contexts(n), renderer=make_renderer(config), config=config, workers=workers
    )
    queue_s = time.perf_counter() - started
    queue_cpu = _cpu() - cpu0
    assert summary.rendered == n, summary

    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    target_s = 3.0 if args.quick else 60.0  # the quick run scales the 60 s target to 1/20 of the data
    rows = [
        row(
            f"render+queue {n:,} notices ({workers} render workers)",
            round(queue_s, 2),
            "s",
            target=f"< {target_s:g} s" + (" (60 s scaled to 1/20)" if args.quick else ""),
            passed=queue_s < target_s,
        ),
        row("render+queue rate", round(n / queue_s), "notices/s"),
        row(
            "CPU time of render+queue (all processes)",
            round(queue_cpu, 1),
            "s",
            note="wall time on an idle machine is at least CPU time / CPUs",
        ),
    ]
    try:
        wait_port(port)
        runs = (
            ("DKIM rsa-2048", make_signer(config), 0, 1),
            ("DKIM rsa-2048", make_signer(config), 0, 4),
            ("DKIM rsa-2048, 1 sign worker process", make_signer(config), 1, 4),
            ("unsigned", None, 0, 4),
        )
        for label, signer, sign_workers, connections in runs:
            cfg = replace(config, smtp=replace(config.smtp, connections=connections))
            sender = DeliveryRun(
                engine,
                1,
                mailer_factory=lambda cfg=cfg: SmtpMailer(cfg.smtp),  # type: ignore[misc]
                config=cfg,
                signer=signer,
                sign_workers=sign_workers,
            )
            cpu0, t0 = _cpu(), time.perf_counter()
            result = sender.run(limit=deliver_n)
            dt = time.perf_counter() - t0
            assert result.sent == deliver_n, result
            rate = deliver_n / dt
            used = sum(getattr(m, "connections", 0) for m in sender.mailers)
            rows.append(
                row(
                    f"deliver {deliver_n:,} ({label}, {used} reused connection{'s' if used > 1 else ''})",
                    round(rate),
                    "messages/s",
                    target=">= 300 messages/s",
                    passed=rate >= 300,
                    client_cpu_ms_per_message=round((_cpu() - cpu0) / deliver_n * 1000, 2),
                )
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
    rows.append(row("load average when done (other jobs on the same CPUs)", round(os.getloadavg()[0], 1), ""))
    rows.append(row("peak RSS", round(peak_rss_mb()), "MiB"))
    emit(rows)


if __name__ == "__main__":
    main()
