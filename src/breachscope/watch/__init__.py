"""Watch the incident's official domains for look-alikes (harden layer).

One entry point, :func:`watch_domains` (``breachscope watch domains``): generate look-alike
candidates (:mod:`.generate`, dnstwist's fuzzers plus attacker words and TLD swaps), resolve them
through a configurable resolver (:mod:`.resolve`), and record registered ones in the case with
first/last seen and a suggested action (:mod:`.store`); :func:`set_action_state` marks that
action done (``breachscope watch done``). Imports only ``case`` and below.

See docs/watch.md.
"""

from __future__ import annotations

from breachscope.watch.names import check_domain
from breachscope.watch.resolve import ResolverSettings, parse_resolver
from breachscope.watch.service import WatchReport, set_action_state, watch_domains

__all__ = [
    "ResolverSettings",
    "WatchReport",
    "check_domain",
    "parse_resolver",
    "set_action_state",
    "watch_domains",
]
