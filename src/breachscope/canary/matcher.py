"""Every text value of a leak against the canary registry, one Arrow batch at a time, in DuckDB.

Per batch, one DuckDB query over all text columns (and lists of text, unnested):

1. the 32-bit prefilter bucket of every non-null value (``hash(salt || v) >> 32``, see
   :mod:`breachscope.canary.registry`) semi-joined against the registry's buckets: with 400,000
   registered values about 1 value in 10,000 passes;
2. the values that pass are HMAC'd (:func:`breachscope.hashing.keyed_hash`) and, at the end, looked
   up in the registry: only an HMAC match is a hit, the bucket is only a filter;
3. a value that merely *contains* an address at a catch-all domain (a JSON blob, a URL, free text)
   has each such address extracted and checked the same way.

When the running DuckDB computes another probe bucket than a batch recorded (its ``hash`` changed
between versions), every value is HMAC'd in SQL instead (:func:`breachscope.identity.sql.hmac_sql`):
slower, never incomplete; :attr:`Matcher.method` says which ran.

Canary values are text by construction (:mod:`breachscope.canary.mint`), so columns of other types
(numbers, dates, booleans) cannot hold one; they are counted, not silently skipped.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import NamedTuple

import duckdb
import pyarrow as pa

from breachscope import hashing
from breachscope.canary.registry import Registry, prefilter_sql, probe_of, salt_of
from breachscope.identity.sql import create_hash_macro


class Candidate(NamedTuple):
    """A value of one batch that passed the prefilter (a canary only if its hash is registered)."""

    column: int  # the index of its column in the batch
    value: str  # the value itself, or an address found inside a longer value
    hash: str  # its keyed hash under the registry key


def _is_text(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t))


def _text_column(arr: pa.Array | pa.ChunkedArray) -> tuple[str, pa.Array | pa.ChunkedArray] | None:
    """("text" | "list", array) for a column that can hold text values, else ``None``."""
    t = arr.type
    if pa.types.is_dictionary(t) and _is_text(t.value_type):
        return "text", arr.cast(pa.string())
    if _is_text(t):
        return "text", arr
    if (pa.types.is_list(t) or pa.types.is_large_list(t)) and _is_text(t.value_type):
        return "list", arr
    return None


def _non_null(kind: str, arr: pa.Array | pa.ChunkedArray) -> int:
    if kind == "text":
        return int(len(arr) - arr.null_count)
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    return sum(len(f) - f.null_count for f in (c.flatten() for c in chunks))


class Matcher:
    """Feed Arrow batches; :attr:`candidates` counts (keyed hash, column) of the values that
    passed the prefilter; :func:`breachscope.canary.registry.lookup` says which are canaries.

    ``all_hashes`` (every registered hash) is needed only when the prefilter cannot be used; it
    is called then and only then."""

    def __init__(self, registry: Registry, all_hashes: Callable[[], list[str]]) -> None:
        self.registry = registry
        self.con = duckdb.connect()
        self.salt = salt_of(registry.key)
        probe = probe_of(self.con, self.salt)
        self.method = "prefilter"
        if any(b.probe != probe for b in registry.batches.values()):
            self.method = "full"
            create_hash_macro(self.con, registry.key)
            self.con.register("_reg_src", pa.table({"h": pa.array(all_hashes(), pa.string())}))
            self.con.execute("CREATE TEMP TABLE reg AS SELECT DISTINCT h FROM _reg_src")
            self.con.unregister("_reg_src")
        self.con.register("_pf_src", pa.table({"p": pa.array(registry.buckets, pa.int64())}))
        self.con.execute("CREATE TEMP TABLE pf AS SELECT DISTINCT p FROM _pf_src")
        self.con.unregister("_pf_src")
        self.values_checked = 0
        #: batches DuckDB refused, checked value by value in Python instead
        self.fallback_batches = 0
        self.records = 0
        self.text_columns: set[str] = set()
        self.other_columns: set[str] = set()
        self.candidates: Counter[tuple[str, str]] = Counter()
        doms = "|".join(re.escape(d) for d in registry.domains) or "(?!)"
        self._embedded = f"[A-Za-z0-9._%+-]+@(?:{doms})"
        self._exact = f"[A-Za-z0-9._%+-]+@(?:{doms})"

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Matcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def feed(self, batch: pa.RecordBatch | pa.Table, source: str = "") -> list[Candidate]:
        """Check every text value of ``batch``; ``source`` prefixes column names in hits.

        Returns this batch's candidates (added to :attr:`candidates` too), which
        :class:`breachscope.canary.exclude.CanaryRows` resolves at once to leave canary records out."""
        self.records += batch.num_rows
        arrays: dict[str, pa.Array | pa.ChunkedArray] = {}
        kinds: dict[str, tuple[str, str]] = {}
        for i, name in enumerate(batch.schema.names):
            shown = f"{source}:{name}" if source else name
            found = _text_column(batch.column(i))
            if found is None:
                self.other_columns.add(shown)
                continue
            kind, arr = found
            self.text_columns.add(shown)
            self.values_checked += _non_null(kind, arr)
            alias = f"c{i}"
            arrays[alias] = arr
            kinds[alias] = (kind, shown)
        if not arrays:
            return []
        self.con.register("b", pa.table(arrays))
        try:
            hits = list(self._candidates(kinds))
        except duckdb.Error:  # DuckDB refused the batch: every value HMAC'd here instead (slow, complete)
            self.fallback_batches += 1
            hits = list(self._python_candidates(arrays, kinds))
        finally:
            self.con.unregister("b")
        out = []
        for alias, value, count in hits:
            h = self._keep(kinds[alias][1], value, count)
            out.append(Candidate(int(alias[1:]), value, h))
        return out

    def _python_candidates(
        self, arrays: dict[str, pa.Array | pa.ChunkedArray], kinds: dict[str, tuple[str, str]]
    ) -> Iterator[tuple[str, str, int]]:
        """Every value (and every address at a catch-all domain inside one) as a candidate."""
        embedded = re.compile(self._embedded)
        for alias, arr in arrays.items():
            values = arr.to_pylist()
            if kinds[alias][0] == "list":
                values = [v for item in values if item for v in item]
            counts = Counter(v for v in values if v is not None)
            for value, n in counts.items():
                yield alias, value, n
                for m in embedded.findall(value):
                    if m != value:
                        yield alias, m, n

    def _values_sql(self, alias: str, kind: str) -> str:
        if kind == "list":
            return f"SELECT unnest({alias}) AS v FROM b"
        return f"SELECT {alias} AS v FROM b"

    def _candidates(self, kinds: dict[str, tuple[str, str]]) -> Iterator[tuple[str, str, int]]:
        parts = []
        for alias, (kind, _) in kinds.items():
            values = self._values_sql(alias, kind)
            if self.method == "full":
                test = "bs_h(v) IN (SELECT h FROM reg)"
            else:
                test = f"{prefilter_sql(self.salt, 'v')} IN (SELECT p FROM pf)"
            parts.append(f"SELECT '{alias}' AS c, v FROM ({values}) WHERE v IS NOT NULL AND {test}")
            if self.registry.domains:
                parts.append(
                    f"SELECT '{alias}' AS c, unnest(regexp_extract_all(v, '{self._embedded}')) AS v "
                    f"FROM ({values}) WHERE {self._contains('v')} "
                    f"AND NOT regexp_full_match(v, '{self._exact}')"
                )
        sql = f"SELECT c, v, count(*) FROM ({' UNION ALL '.join(parts)}) GROUP BY c, v"
        for alias, value, count in self.con.execute(sql).fetchall():
            yield str(alias), str(value), int(count)

    def _contains(self, expr: str) -> str:
        return "(" + " OR ".join(f"contains({expr}, '@{d}')" for d in self.registry.domains) + ")"

    def _keep(self, column: str, value: str, count: int) -> str:
        h = hashing.keyed_hash(self.registry.key, value)
        self.candidates[(h, column)] += count
        return h
