"""A real DNS server for tests and benchmarks: dnslib on 127.0.0.1, a random free UDP port.

:class:`Zone` answers from a dict ``{name: {type: [rdata, ...]}}`` that a test may change
between runs: a name not in it is NXDOMAIN, a name without the asked type is NOERROR/no data,
a name in ``servfail`` gets SERVFAIL and a name in ``slow`` is answered only after ``delay``
seconds (a real client timeout). Nothing here touches the internet.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from dnslib import QTYPE, RCODE, RR
from dnslib.server import DNSLogger, DNSServer


@dataclass
class Zone:
    records: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    servfail: set[str] = field(default_factory=set)
    slow: set[str] = field(default_factory=set)
    delay: float = 1.5
    queries: int = 0

    def resolve(self, request: Any, handler: Any) -> Any:
        self.queries += 1
        reply = request.reply()
        qname = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        if qname in self.servfail:
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        if qname in self.slow:
            time.sleep(self.delay)
        found = self.records.get(qname)
        if found is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for rdata in found.get(qtype, ()):
            for rr in RR.fromZone(f"{qname}. 300 IN {qtype} {rdata}"):
                reply.add_answer(rr)
        return reply


@contextmanager
def dns_server(zone: Zone) -> Iterator[int]:
    """Serve ``zone`` on 127.0.0.1 (UDP, a free port chosen by the OS); yields the port."""
    server = DNSServer(zone, address="127.0.0.1", port=0, logger=DNSLogger(logf=lambda _msg: None))
    port = int(server.server.server_address[1])
    server.start_thread()
    try:
        yield port
    finally:
        server.stop()
        server.server.server_close()
