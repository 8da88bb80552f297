"""Column builders: one chunk of the leak (people) and one chunk of the directory, vectorised."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from breachscope.synth import vocab
from breachscope.synth.needles import Needle
from breachscope.synth.population import LAST_SEEN_TO, Population, iso

PEOPLE_COLUMNS: tuple[str, ...] = (
    "$distinct_id", "$email", "$name", "$city", "$region", "mp_country_code", "$os", "$browser",
    "$browser_version", "$initial_referrer", "$initial_referring_domain", "$created", "$last_seen",
    "org_id", "user_id", "notes",
)  # fmt: skip
#: What `scope --directory` reads by default (``scope.directory.FIELDS``; a test keeps them equal).
DIRECTORY_COLUMNS: tuple[str, ...] = (
    "user_id", "email", "name", "org_id", "org_name", "role", "language", "country", "created",
)  # fmt: skip
PEOPLE_SCHEMA = pa.schema([(c, pa.string()) for c in PEOPLE_COLUMNS])
DIRECTORY_SCHEMA = pa.schema([(c, pa.string()) for c in DIRECTORY_COLUMNS])

_DEV = [(o, b, v, w / len(vs)) for o, b, vs, w in vocab.DEVICES for v in vs]
_OS = pa.array([d[0] for d in _DEV])
_BROWSER = pa.array([d[1] for d in _DEV])
_VERSION = pa.array([d[2] for d in _DEV])
_DEV_W = [int(d[3] * 100) for d in _DEV]
_REF = pa.array([r for r, _, _ in vocab.REFERRERS])
_REF_DOMAIN = pa.array([d for _, d, _ in vocab.REFERRERS])
_NOTES = pa.array(vocab.NOTES)


def people_chunk(pop: Population, start: int, end: int, needles: list[Needle]) -> pa.Table:
    """Leak rows ``start``..``end``-1 (0-based), with any needles in that range planted."""
    k = pop.k
    rows = np.arange(start, end, dtype=np.int64)
    acct = pop.account_of_row(rows)
    orphan = acct < 0
    keys = np.where(orphan, pop.accounts + rows, acct).astype(np.uint64)
    person = pop.people(keys)
    org = np.where(orphan, pop.orgs + rows, pop.org_of(np.maximum(acct, 0)))
    dev = k.weighted(keys, "device", _DEV_W)
    ref = k.weighted(keys, "referrer", [w for *_, w in vocab.REFERRERS])
    last_seen = person.created + (k.uniform(keys, "last-seen") * (LAST_SEEN_TO - person.created)).astype(
        np.int64
    )
    has_note = k.uniform(keys, "has-note") < vocab.NOTES_SHARE
    notes = pc.if_else(
        pa.array(has_note), _NOTES.take(k.below(keys, "note", len(_NOTES))), pa.scalar(None, pa.string())
    )
    columns = {
        "$distinct_id": k.uuid4(keys, "distinct-id"),
        "$email": person.email,
        "$name": person.name,
        "$city": person.city,
        "$region": person.region,
        "mp_country_code": person.country,
        "$os": _OS.take(dev),
        "$browser": _BROWSER.take(dev),
        "$browser_version": _VERSION.take(dev),
        "$initial_referrer": _REF.take(ref),
        "$initial_referring_domain": _REF_DOMAIN.take(ref),
        "$created": iso(person.created),
        "$last_seen": iso(last_seen),
        "org_id": pop.org_ids(org),
        "user_id": pop.user_ids(keys),
        "notes": notes,
    }
    for column in {n.column for n in needles if start < n.row <= end}:
        hits = [n for n in needles if n.column == column and start < n.row <= end]
        mask = np.zeros(end - start, dtype=bool)
        mask[[n.row - 1 - start for n in sorted(hits, key=lambda n: n.row)]] = True
        values = pa.array([n.value for n in sorted(hits, key=lambda n: n.row)], pa.string())
        columns[column] = pc.replace_with_mask(columns[column].cast(pa.string()), pa.array(mask), values)
    return pa.Table.from_arrays([columns[c].cast(pa.string()) for c in PEOPLE_COLUMNS], schema=PEOPLE_SCHEMA)


def directory_chunk(pop: Population, start: int, end: int) -> pa.Table:
    """Directory accounts ``start``..``end``-1: the company's own view of its users."""
    k = pop.k
    acct = np.arange(start, end, dtype=np.int64)
    keys = acct.astype(np.uint64)
    person = pop.people(keys)
    org = pop.org_of(acct)
    pos = acct - pop.org_start[org]
    u = k.uniform(keys, "role")
    role = np.where(
        pos == 0, "admin", np.where((pos == 1) & (u < 0.3), "owner", np.where(u < 0.08, "admin", "member"))
    )
    v = k.uniform(keys, "email-variant")
    email = person.email
    email = pc.if_else(pa.array(v < 0.02), pc.utf8_upper(email), email)
    email = pc.if_else(pa.array((v >= 0.02) & (v < 0.04)), pc.utf8_capitalize(email), email)
    email = pc.if_else(
        pa.array((v >= 0.04) & (v < 0.06)), pc.binary_join_element_wise(" ", email, " ", ""), email
    )
    columns = [
        pop.user_ids(keys),
        email,
        person.name,
        pop.org_ids(org),
        pop.org_names(org),
        pa.array(role, pa.string()),
        person.language,
        person.country,
        iso(person.created),
    ]
    return pa.Table.from_arrays([c.cast(pa.string()) for c in columns], schema=DIRECTORY_SCHEMA)
