"""Engine-level entry points of the canary stage: what ``breachscope canary`` and the web call.

Each opens its own session(s) on the case database; the functions below them take a session.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine

from breachscope.canary import check as _check
from breachscope.canary import registry
from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.clock import Clock
from breachscope.errors import BreachscopeError
from breachscope.progress import Progress


def issue_canaries(
    engine: Engine,
    vendor: str,
    *,
    count: int = 10,
    domain: str | None = None,
    with_token: bool = False,
    fmt: str = "csv",
    layout: str | None = None,
    out: Path | None = None,
    author: str = api.DEFAULT_AUTHOR,
    clock: Clock | None = None,
    rng: random.Random | None = None,
) -> registry.IssueResult:
    """``canary issue``: mint, register (keyed hashes) and export in one transaction."""
    with session_scope(engine) as s:
        return registry.issue(
            s,
            vendor,
            count=count,
            domain=domain,
            with_token=with_token,
            fmt=fmt,
            layout=layout,
            out=out,
            author=author,
            clock=clock,
            rng=rng,
        )


def check_and_record(
    engine: Engine,
    paths: Sequence[str | Path],
    *,
    incident_id: int | None = None,
    author: str = api.DEFAULT_AUTHOR,
    clock: Clock | None = None,
    progress: Progress | None = None,
) -> _check.CheckResult:
    """``canary check``: check the files; with ``incident_id``, record the result in that incident."""
    with session_scope(engine) as s:
        if incident_id is not None:
            api.require_open(s, incident_id)
        reg = registry.load(s)
    if reg is None:
        raise BreachscopeError(
            "no canaries were issued in this case database: there is nothing to check against",
            "issue some first: breachscope canary issue --vendor NAME --domain CATCHALL",
        )
    result = _check.check_files(engine, reg, paths, progress=progress)
    if incident_id is not None:
        with session_scope(engine) as s:
            what = ", ".join(Path(p).name for p in paths)
            _check.record(s, incident_id, result, source="file", what=what, author=author, clock=clock)
    return result
