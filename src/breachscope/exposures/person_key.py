"""The person key: which value identifies a leaked person, the one choice for ``case attach`` and
``scan --people``.

Each source gets a *key chain* (:func:`key_chain`), tried row by row, the first column with a
present value winning:

1. a person key the caller forces (``person_fields(person_key=...)``): that column alone;
2. a recognised vendor layout: its ``person_key``, then its ``fallback_keys`` (Segment
   ``anonymousId``, Amplitude ``device_id`` ...), with its ``key_prefixes`` (a Mixpanel
   ``distinct_id`` of ``$device:<id>`` is the device id ``<id>``), then the columns of 3 not
   already in it (a profile without a distinct id but with an email is that email's person);
3. else the columns named for a person's identifier (:data:`ROLE_KEYS`, from the column roles
   of :class:`~breachscope.exposures.plan.ExtractPlan`): distinct id, user id, email,
   anonymous or device id;
4. else one column the scan classified (:func:`choose_person_key`): an email column, then an id
   column named like a person's, then any id column.

A row's key is ``(kind, value)``: the kind names the identifier (``user_id``, ``anonymous_id``,
``device_id``, ``email`` ..., :func:`~breachscope.vendors.base.key_kind` of the column, or the
role's name); the value is trimmed, and an ``email`` value is the normalised email
(:func:`~breachscope.identity.emails.normalise_email`; not an email: no key from that column).
Both stages identify a person by ``kind:value`` (HMAC under the key, never the raw value).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from breachscope.exposures.text import as_text
from breachscope.identity.emails import normalise_email
from breachscope.vendors.base import VendorMatch, key_kind

#: Column roles that identify a person, in the order a row's key is taken from them.
ROLE_KEYS: tuple[str, ...] = ("distinct_id", "user_id", "email", "anonymous_id")
#: The kind whose values are normalised emails.
EMAIL = "email"
_PERSONISH = re.compile(r"(user|distinct|person|customer|member|account|contact|identity|cio)", re.I)
_PRINTABLE_ASCII = r"^[ -~]*$"
_EMAIL_SHAPE = r"^[^@].*@.*[^@]$"

#: (column, values) -> True where the value is present (the plan's placeholders applied).
Presence = Callable[[str, pa.Array], pa.Array]


@dataclass(frozen=True)
class KeyChain:
    """How one source identifies a person: key columns tried row by row, with their kinds."""

    columns: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    prefixes: tuple[tuple[str, str], ...] = ()  # (value prefix, kind), e.g. ("$device:", "device_id")
    #: How many columns after the first are the layout's fallback keys: a value of one seen
    #: beside exactly one person key is that person (``scan --people`` merges them)
    fallbacks: int = 0


def choose_person_key(classes: Mapping[str, Iterable[str]], columns: Sequence[str]) -> str | None:
    """An email column first, then an id column named like a person's, then any id column."""
    present = [c for c in columns if c in classes]
    emails = [c for c in present if "email" in set(classes[c])]
    ids = [c for c in present if "internal_id" in set(classes[c])]
    personish = [c for c in ids if _PERSONISH.search(c)]
    for group in (emails, personish, ids):
        if group:
            return group[0]
    return None


def key_chain(
    columns: Sequence[str],
    roles: Mapping[str, str],
    column_classes: Mapping[str, Iterable[str]],
    match: VendorMatch | None = None,
    person_key: str | None = None,
) -> KeyChain:
    """The key chain of a source with these ``columns`` (see the module): ``roles`` and
    ``column_classes`` are its :class:`~breachscope.exposures.plan.ExtractPlan`'s."""

    def kind(col: str) -> str:
        return EMAIL if EMAIL in set(column_classes.get(col, ())) else key_kind(col)

    if person_key is not None:
        return KeyChain((person_key,), (kind(person_key),))
    named = [(roles[r], r) for r in ROLE_KEYS if r in roles]
    if match is not None and match.person_key is not None:
        chain = (match.person_key, *match.fallback_keys)
        rest = [(c, r) for c, r in named if c not in chain]  # e.g. an email where no id is
        return KeyChain(
            (*chain, *(c for c, _ in rest)),
            (*(key_kind(c) for c in chain), *(r for _, r in rest)),
            match.key_prefixes,
            len(match.fallback_keys),
        )
    if named:
        return KeyChain(tuple(c for c, _ in named), tuple(r for _, r in named))
    chosen = choose_person_key(column_classes, columns)
    return KeyChain((chosen,), (kind(chosen),)) if chosen is not None else KeyChain()


def normalised_emails(values: pa.Array) -> pa.Array:
    """:func:`~breachscope.identity.emails.normalise_email` of every value (null: not an email),
    vectorised: printable ASCII in Arrow (the rules of ``identity.sql.email_norm_sql``), other
    values once per distinct value in Python."""
    values = as_text(values)
    ascii_ = pc.fill_null(pc.match_substring_regex(values, _PRINTABLE_ASCII), False)
    low = pc.utf8_lower(pc.utf8_trim(values, " "))
    shaped = pc.fill_null(pc.match_substring_regex(low, _EMAIL_SHAPE), False)
    out = pc.if_else(shaped, low, pa.scalar(None, pa.string()))
    others = pc.and_(pc.is_valid(values), pc.invert(ascii_))
    if pc.any(others).as_py():
        distinct = pc.unique(pc.filter(values, others))
        norms = pa.array([normalise_email(v) for v in distinct.to_pylist()], pa.string())
        mapped = pc.take(norms, pc.index_in(values, value_set=distinct))
        out = pc.if_else(others, mapped, out)
    return out


def column_keys(
    batch: pa.RecordBatch, chain: KeyChain, index: int, present: Presence
) -> tuple[pa.Array, pa.Array, pa.Array] | None:
    """(values, kinds, has) of the chain's ``index``-th column in ``batch``; None when the
    column is missing or not text-like. ``has`` is never null."""
    column = chain.columns[index]
    if column not in batch.schema.names:
        return None
    raw = batch.column(column)
    if isinstance(raw, pa.ChunkedArray):
        raw = raw.combine_chunks()
    try:
        values = as_text(raw)  # a whole float in digits, a list of one value as that value
    except (pa.ArrowException, ValueError, TypeError):
        return None
    has = present(column, values)
    kinds = pa.repeat(pa.scalar(chain.kinds[index], pa.string()), len(values))
    for prefix, kind in chain.prefixes:
        starts = pc.fill_null(pc.starts_with(values, prefix), False)
        if pc.any(starts).as_py():
            values = pc.if_else(starts, pc.utf8_slice_codeunits(values, len(prefix)), values)
            kinds = pc.if_else(starts, pa.scalar(kind, pa.string()), kinds)
            has = pc.and_(has, present(column, values))
    values = pc.utf8_trim_whitespace(values)
    email = pc.equal(kinds, EMAIL)
    if pc.any(email).as_py():
        values = pc.if_else(email, normalised_emails(values), values)
    has = pc.fill_null(pc.and_(has, pc.is_valid(values)), False)
    return pc.if_else(has, values, pa.scalar(None, pa.string())), kinds, has


def row_keys(batch: pa.RecordBatch, chain: KeyChain, present: Presence) -> tuple[pa.Array, pa.Array]:
    """(kinds, values) of each row's key: its first chain column with a present value; null
    where no chain column has one."""
    n = batch.num_rows
    kinds = pa.nulls(n, pa.string())
    values = pa.nulls(n, pa.string())
    for i in reversed(range(len(chain.columns))):  # the first present column wins
        found = column_keys(batch, chain, i, present)
        if found is None:
            continue
        v, k, has = found
        kinds = pc.if_else(has, k, kinds)
        values = pc.if_else(has, v, values)
    return kinds, values
