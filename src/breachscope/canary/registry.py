"""The canary registry: issuing canaries (hashes stored, plaintext exported) and loading it for checks.

Keys: one HMAC key per case database, ``canary registry`` in ``named_keys`` (wrapped under the
key-encryption key exactly like an incident's key, re-wrapped by key rotation). A canary value is
stored as :func:`breachscope.hashing.keyed_hash` under it (the same HMAC as
:func:`breachscope.identity.sql.hmac_sql`), plus a 32-bit **prefilter** bucket:
``hash(salt || value) >> 32`` with DuckDB's ``hash`` and a salt derived from the key. The check
computes the cheap bucket of every leaked text value and the HMAC only of the few whose bucket
is registered (see :mod:`breachscope.canary.matcher`). The salt is not stored, so without the key
the buckets cannot be computed for any value. DuckDB does not promise its ``hash`` is stable
across versions: each batch stores the bucket of a fixed probe, and a check whose DuckDB gives
another bucket hashes every value in full instead (slower, never incomplete).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import duckdb
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from breachscope import hashing
from breachscope.canary import export
from breachscope.canary.mint import Canary, check_domain, mint
from breachscope.canary.store import CanaryBatch, CanaryHit, CanaryValue
from breachscope.case import keys
from breachscope.clock import Clock, SystemClock
from breachscope.errors import InputError

KEY_LABEL = "canary registry"
PROBE = "breachscope canary prefilter probe v1"
MAX_COUNT = 1_000_000


def salt_of(key: bytes) -> str:
    """The prefilter salt: derived from the registry key, never stored."""
    return hashing.keyed_hash(key, "breachscope canary prefilter salt v1")


def prefilter_sql(salt: str, expr: str) -> str:
    """DuckDB SQL for the 32-bit prefilter bucket of the text ``expr``."""
    return f"CAST(hash('{salt}' || {expr}) >> 32 AS BIGINT)"


def prefilters(con: duckdb.DuckDBPyConnection, salt: str, values: Sequence[str]) -> list[int]:
    """The buckets of ``values`` (in order), computed by the same DuckDB SQL the check uses."""
    if not values:
        return []
    import pyarrow as pa

    con.register("_pf_values", pa.table({"v": pa.array(list(values), pa.string())}))
    try:
        rows = con.execute(f"SELECT {prefilter_sql(salt, 'v')} FROM _pf_values").fetchall()
    finally:
        con.unregister("_pf_values")
    return [int(r[0]) for r in rows]


def probe_of(con: duckdb.DuckDBPyConnection, salt: str) -> int:
    return prefilters(con, salt, [PROBE])[0]


def registry_key(session: Session, *, create: bool = False) -> bytes | None:
    return keys.named_key(session, KEY_LABEL, create=create)


@dataclass(frozen=True)
class IssueResult:
    batch_id: int
    vendor: str
    count: int
    domain: str
    layout: str
    format: str
    path: Path
    honeytoken: bool
    issued_at: datetime


def default_domain(session: Session, vendor: str) -> str | None:
    """The catch-all domain of the latest batch (this vendor's first, else any)."""
    latest = select(CanaryBatch.domain).order_by(CanaryBatch.id.desc()).limit(1)
    for stmt in (latest.where(CanaryBatch.vendor_key == vendor.casefold()), latest):
        row = session.scalar(stmt)
        if row:
            return str(row)
    return None


def issue(
    session: Session,
    vendor: str,
    *,
    count: int = 10,
    domain: str | None = None,
    with_token: bool = False,
    fmt: str = "csv",
    layout: str | None = None,
    out: Path | None = None,
    author: str = "breachscope",
    clock: Clock | None = None,
    rng: random.Random | None = None,
) -> IssueResult:
    """Mint ``count`` canaries for ``vendor``, store their keyed hashes, write the export (0600).

    The export is written last, inside the caller's transaction (``session_scope``): if writing
    fails (the file exists, no room) nothing is registered.
    """
    vendor = vendor.strip()
    if not vendor:
        raise InputError("a canary needs a vendor", "e.g. breachscope canary issue --vendor Mixpanel")
    if not 1 <= count <= MAX_COUNT:
        raise InputError(f"--count must be between 1 and {MAX_COUNT:,}")
    lay = export.layout_for(vendor, layout or None)
    if fmt not in export.FORMATS:
        raise InputError(f"unknown canary export format {fmt!r}", "use csv or json")
    dom = domain or default_domain(session, vendor)
    if not dom:
        raise InputError(
            "no catch-all domain for the canaries' addresses",
            "give --domain: a mail domain the company controls, whose mail reaches "
            "`breachscope canary listen`",
        )
    dom = check_domain(dom)
    now = (clock or SystemClock()).now()
    rng = rng or random.SystemRandom()
    path = out or Path(f"canaries-{_slug(vendor)}-{now:%Y%m%dT%H%M%S}.{fmt}")
    if path.exists():
        raise InputError(
            f"{path} already exists", "give a new --out path (breachscope never overwrites an export)"
        )
    key = registry_key(session, create=True)
    assert key is not None
    salt = salt_of(key)
    people, hashed = _unique_people(session, key, count, dom, rng, with_token)
    con = duckdb.connect()
    try:
        probe = probe_of(con, salt)
        flat = [(c.number, f, v) for c in people for f, v in c.unique_values().items()]
        buckets = prefilters(con, salt, [v for _, _, v in flat])
    finally:
        con.close()
    batch = CanaryBatch(
        vendor=vendor[:200],
        vendor_key=vendor.casefold()[:200],
        issued_at=now,
        issued_by=author,
        count=count,
        domain=dom,
        honeytoken=with_token,
        export_format=f"{lay}/{fmt}",
        probe=probe,
    )
    session.add(batch)
    session.flush()
    rows = [
        {"batch_id": batch.id, "canary_no": n, "field": f, "value_hash": hashed[v], "prefilter": b}
        for (n, f, v), b in zip(flat, buckets, strict=True)
    ]
    for start in range(0, len(rows), 20_000):
        session.execute(insert(CanaryValue), rows[start : start + 20_000])
    session.flush()
    export.write_export(path, export.render(people, lay, fmt, now))
    return IssueResult(batch.id, vendor, count, dom, lay, fmt, path, with_token, now)


def _slug(vendor: str) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in vendor.casefold()).strip("-")
    return slug[:40] or "vendor"


def _unique_people(
    session: Session, key: bytes, count: int, domain: str, rng: random.Random, with_token: bool
) -> tuple[list[Canary], dict[str, str]]:
    """``count`` canaries none of whose values is registered already (or repeated in this batch)."""
    people: list[Canary] = []
    hashed: dict[str, str] = {}
    while len(people) < count:
        need = count - len(people)
        fresh = [mint(len(people) + i + 1, domain, rng, with_token=with_token) for i in range(need)]
        candidates = {v: hashing.keyed_hash(key, v) for c in fresh for v in c.unique_values().values()}
        taken = _registered(session, list(candidates.values()))
        for c in fresh:
            values = list(c.unique_values().values())
            hs = [candidates[v] for v in values]
            if any(h in taken or v in hashed for h, v in zip(hs, values, strict=True)):
                continue  # a collision (astronomically rare): mint another
            hashed.update(zip(values, hs, strict=True))
            people.append(replace(c, number=len(people) + 1))
    return people, hashed


def _registered(session: Session, hashes: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(hashes), 5000):
        part = hashes[start : start + 5000]
        found.update(session.scalars(select(CanaryValue.value_hash).where(CanaryValue.value_hash.in_(part))))
    return found


@dataclass(frozen=True)
class BatchInfo:
    id: int
    vendor: str
    issued_at: datetime
    count: int
    domain: str
    probe: int


@dataclass
class Registry:
    """What a check needs: the key, the batches and every registered prefilter bucket. The keyed
    hashes stay in the database: a check looks up only its few candidates (:func:`lookup`)."""

    key: bytes
    batches: dict[int, BatchInfo]
    buckets: list[int]
    domains: list[str] = field(default_factory=list)

    @property
    def canaries(self) -> int:
        return sum(b.count for b in self.batches.values())

    @property
    def vendors(self) -> list[str]:
        return sorted({b.vendor for b in self.batches.values()}, key=str.casefold)


#: value hash -> (batch id, canary number, field)
Resolved = dict[str, tuple[int, int, str]]


def load(session: Session) -> Registry | None:
    """The registry, or ``None`` when no canary was ever issued in this database."""
    if not session.scalar(select(func.count()).select_from(CanaryBatch)):
        return None
    key = registry_key(session)
    if key is None:
        return None
    batches = {
        b.id: BatchInfo(b.id, b.vendor, b.issued_at, b.count, b.domain, b.probe)
        for b in session.scalars(select(CanaryBatch).order_by(CanaryBatch.id))
    }
    # One column through the driver's own cursor, fetched at once and not deduplicated here
    # (the matcher's DuckDB does): SQLAlchemy's row-by-row fetch of SELECT DISTINCT took 3.3 s
    # for 400,000 buckets under load, this 0.8 s (a fixed cost of every case attach).
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    cur = raw.cursor()
    try:
        cur.execute("SELECT prefilter FROM canary_values")  # deduplicated by the matcher (DuckDB)
        buckets = [int(r[0]) for r in cur.fetchall()]
    finally:
        cur.close()
    domains = sorted({b.domain for b in batches.values()})
    return Registry(key, batches, buckets, domains)


def lookup(session: Session, hashes: Iterable[str]) -> Resolved:
    """Which of ``hashes`` are registered canary values."""
    wanted = sorted(set(hashes))
    found: Resolved = {}
    for start in range(0, len(wanted), 5000):
        stmt = select(CanaryValue.value_hash, CanaryValue.batch_id, CanaryValue.canary_no, CanaryValue.field)
        for h, batch_id, no, fld in session.execute(
            stmt.where(CanaryValue.value_hash.in_(wanted[start : start + 5000]))
        ):
            found[h] = (batch_id, no, fld)
    return found


def all_hashes(session: Session) -> list[str]:
    """Every registered hash (only for a check that cannot use the prefilter)."""
    return [str(r[0]) for r in session.connection().exec_driver_sql("SELECT value_hash FROM canary_values")]


def batches(session: Session) -> list[dict[str, object]]:
    """Every issue run: what was planted where, and how many checks found it (no canary value:
    the registry holds none)."""
    hits = dict(
        session.execute(
            select(CanaryHit.batch_id, func.count(func.distinct(CanaryHit.check_id))).group_by(
                CanaryHit.batch_id
            )
        ).all()
    )
    return [
        {
            "batch": b.id,
            "vendor": b.vendor,
            "count": b.count,
            "domain": b.domain,
            "honeytoken": b.honeytoken,
            "format": b.export_format,
            "issued_at": b.issued_at.isoformat(),
            "issued_by": b.issued_by,
            "found_by_checks": int(hits.get(b.id, 0)),
        }
        for b in session.scalars(select(CanaryBatch).order_by(CanaryBatch.id))
    ]
