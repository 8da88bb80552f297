"""Canary attribution: zero, one and several vendors' canaries; every value checked; the prefilter
and the full-hash path agree; what is stored is keyed hashes only."""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import Engine, select, update

from breachscope.canary import registry
from breachscope.canary.check import check_files, new_matcher, result_of
from breachscope.canary.service import check_and_record, issue_canaries
from breachscope.canary.store import CanaryBatch, CanaryCheck, CanaryHit, CanaryValue
from breachscope.case import api
from breachscope.case.db import session_scope
from breachscope.clock import FixedClock
from breachscope.errors import BreachscopeError
from tests.canary.conftest import DOMAIN, write_leak

Issued = Callable[..., list[dict[str, str]]]


def _check(engine: Engine, path: Path) -> object:
    with session_scope(engine) as s:
        reg = registry.load(s)
    assert reg is not None
    return check_files(engine, reg, [path])


@pytest.mark.parametrize(
    ("plant", "verdict", "vendors"),
    [
        ({}, "none", []),
        ({"Mixpanel": 2}, "vendor", ["Mixpanel"]),
        ({"Mixpanel": 1, "Segment": 1}, "several", ["Mixpanel", "Segment"]),
        ({"Segment": 3}, "vendor", ["Segment"]),
    ],
)
def test_attribution(
    engine: Engine, issued: Issued, tmp_path: Path, plant: dict[str, int], verdict: str, vendors: list[str]
) -> None:
    mixpanel, segment = issued("Mixpanel", 3), issued("Segment", 3)
    issued("Amplitude", 2)  # registered, never planted
    pool = {"Mixpanel": mixpanel, "Segment": segment}
    planted = [c for vendor, n in plant.items() for c in pool[vendor][:n]]
    result = _check(engine, write_leak(tmp_path / "leak.csv", planted))
    assert result.verdict == verdict  # type: ignore[attr-defined]
    assert [v.vendor for v in result.vendors] == vendors  # type: ignore[attr-defined]
    for v in result.vendors:  # type: ignore[attr-defined]
        assert v.canaries_found == plant[v.vendor]
        assert v.issued == 3
        assert set(v.fields) == {"email", "user_id", "distinct_id"}
    text = result.summary("leak.csv")  # type: ignore[attr-defined]
    expected = {
        "none": "clears no vendor",
        "vendor": "passed through",
        "several": "aggregator",
    }[verdict]
    assert expected in text
    assert result.registered == 8  # type: ignore[attr-defined]
    # every value: 6 columns, all non-empty except the empty notes
    rows = 50 + len(planted)
    assert result.values_checked == rows * 5  # type: ignore[attr-defined]


def test_an_address_inside_free_text_is_found(engine: Engine, issued: Issued, tmp_path: Path) -> None:
    mixpanel = issued("Mixpanel", 2)
    leak = write_leak(tmp_path / "leak.csv", [], embed=False)
    with leak.open("a", newline="") as fh:
        csv.writer(fh).writerow(["d-y", "", "", "", "", f'{{"to": "{mixpanel[1]["email"]}", "x": 1}}'])
    result = _check(engine, leak)
    assert [(f.vendor, f.canary_no, f.field, f.column) for f in result.found] == [  # type: ignore[attr-defined]
        ("Mixpanel", 2, "email", "notes")
    ]


def test_the_prefilter_and_the_full_hash_agree(engine: Engine, issued: Issued, tmp_path: Path) -> None:
    """A DuckDB whose hash differs from the one that issued (probe mismatch) hashes every value."""
    planted = issued("Mixpanel", 3)[:2] + issued("Segment", 2)[:1]
    leak = write_leak(tmp_path / "leak.csv", planted, embed=True)
    fast = _check(engine, leak)
    with session_scope(engine) as s:
        s.execute(update(CanaryBatch).where(CanaryBatch.vendor == "Segment").values(probe=-1))
    slow = _check(engine, leak)
    assert fast.method == "prefilter" and slow.method == "full"  # type: ignore[attr-defined]
    assert fast.to_dict()["found"] == slow.to_dict()["found"]  # type: ignore[attr-defined]
    assert len(fast.found) == 3 * 3 + 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("arrays", "checked", "other"),
    [
        ({"a": pa.array(["x", None, "y"])}, 2, 0),
        ({"a": pa.array([1, 2, 3])}, 0, 1),
        ({"a": pa.array([["x", "y"], None, ["z"]], pa.list_(pa.string()))}, 3, 0),
        ({"a": pa.array(["x", "x", "y"]).dictionary_encode()}, 3, 0),
        ({"a": pa.array(["x"], pa.large_string()), "b": pa.array([True])}, 1, 1),
    ],
)
def test_every_text_value_is_counted(
    engine: Engine, issued: Issued, arrays: dict[str, pa.Array], checked: int, other: int
) -> None:
    issued("Mixpanel", 1)
    with session_scope(engine) as s:
        reg = registry.load(s)
    assert reg is not None
    with new_matcher(engine, reg) as m:
        m.feed(pa.table(arrays))
        assert (m.values_checked, len(m.other_columns)) == (checked, other)


def test_a_canary_in_a_list_column_is_found(engine: Engine, issued: Issued) -> None:
    c = issued("Heap", 1)[0]
    with session_scope(engine) as s:
        reg = registry.load(s)
        assert reg is not None
        with new_matcher(engine, reg) as m:
            m.feed(pa.table({"ids": pa.array([["a", c["user_id"]], []], pa.list_(pa.string()))}))
            resolved = registry.lookup(s, (h for h, _ in m.candidates))
            result = result_of(m, resolved, ["x"])
    assert [(f.vendor, f.field) for f in result.found] == [("Heap", "user_id")]


def test_only_keyed_hashes_are_stored(engine: Engine, issued: Issued) -> None:
    canaries = issued("Mixpanel", 3)
    with session_scope(engine) as s:
        rows = s.scalars(select(CanaryValue)).all()
        key = registry.registry_key(s)
    assert key is not None
    from breachscope.hashing import keyed_hash

    values = {c[f] for c in canaries for f in ("email", "user_id", "distinct_id", "api_key")}
    assert {r.value_hash for r in rows} == {keyed_hash(key, v) for v in values}
    raw = Path(str(engine.url.database)).read_bytes()
    for c in canaries:
        for f in ("email", "user_id", "distinct_id", "api_key", "last_name"):
            assert c[f].encode() not in raw


def test_the_export_is_private_and_never_overwritten(
    engine: Engine, tmp_path: Path, clock: FixedClock
) -> None:
    out = tmp_path / "c.json"
    issue_canaries(engine, "Segment", count=2, domain=DOMAIN, fmt="json", out=out, clock=clock)
    assert out.stat().st_mode & 0o777 == 0o600
    with pytest.raises(BreachscopeError, match="already exists"):
        issue_canaries(engine, "Segment", count=2, domain=DOMAIN, fmt="json", out=out, clock=clock)
    with session_scope(engine) as s:  # the refused run registered nothing
        assert len(s.scalars(select(CanaryBatch)).all()) == 1


def test_check_records_in_the_incident(
    engine: Engine, issued: Issued, tmp_path: Path, clock: FixedClock
) -> None:
    planted = issued("Mixpanel", 2)
    with session_scope(engine) as s:
        incident = api.create_incident(s, "leak", clock=clock).id
    check_and_record(engine, [write_leak(tmp_path / "l.csv", planted)], incident_id=incident, clock=clock)
    with session_scope(engine) as s:
        check = s.scalars(select(CanaryCheck)).one()
        hits = s.scalars(select(CanaryHit)).all()
        events = [e.message for e in api.timeline(s, incident) if e.kind == "canary"]
    assert check.verdict == "vendor" and check.source == "file"
    with session_scope(engine) as s:
        assert [b["found_by_checks"] for b in registry.batches(s)] == [1]
    assert len(hits) == 6 and {h.vendor for h in hits} == {"Mixpanel"}
    assert events == [check.summary]


def test_no_registry_is_an_error_with_a_hint(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(BreachscopeError) as info:
        check_and_record(engine, [write_leak(tmp_path / "l.csv", [])])
    assert "canary issue" in (info.value.hint or "")


def test_issued_values_are_unique_and_shaped(engine: Engine, tmp_path: Path, clock: FixedClock) -> None:
    out = tmp_path / "many.csv"
    issue_canaries(
        engine, "X", count=300, domain=DOMAIN, with_token=True, layout="generic", out=out, clock=clock,
        rng=random.Random(7),
    )  # fmt: skip
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for field in ("email", "user_id", "distinct_id", "api_key"):
        values = [r[field] for r in rows]
        assert len(set(values)) == 300
        assert all(any(ch.isalpha() for ch in v) for v in values)
    assert all(r["email"].endswith("@" + DOMAIN) and r["email"] == r["email"].lower() for r in rows)


def test_key_rotation_rewraps_the_registry_key(engine: Engine, issued: Issued, tmp_path: Path) -> None:
    """After `case rekey` the registry still opens and still finds the canaries."""
    from breachscope.case.rekey import rotate

    planted = issued("Mixpanel", 2)
    with session_scope(engine) as s:
        before = registry.registry_key(s)
    rotate(engine)
    with session_scope(engine) as s:
        assert registry.registry_key(s) == before
    result = _check(engine, write_leak(tmp_path / "l.csv", planted[:1]))
    assert result.verdict == "vendor"  # type: ignore[attr-defined]


def test_a_batch_duckdb_refuses_is_checked_value_by_value(
    engine: Engine, issued: Issued, tmp_path: Path
) -> None:
    """If DuckDB cannot take a batch, every value is HMAC'd in Python: the same canaries are found."""
    import duckdb

    from breachscope.canary.matcher import Matcher
    from breachscope.readers import open_sources

    class Refusing(Matcher):
        def _candidates(self, kinds: dict[str, tuple[str, str]]) -> Iterator[tuple[str, str, int]]:
            raise duckdb.Error("refused")

    planted = issued("Mixpanel", 3)[:2]
    leak = write_leak(tmp_path / "leak.csv", planted, embed=True)
    with session_scope(engine) as s:
        reg = registry.load(s)
    assert reg is not None
    found = []
    for cls in (Matcher, Refusing):
        with cls(reg, list) as m:
            for src in open_sources(leak):
                for chunk in src.chunks():
                    m.feed(chunk.batch)
            with session_scope(engine) as s:
                resolved = registry.lookup(s, (h for h, _ in m.candidates))
            found.append(result_of(m, resolved, ["leak.csv"]).to_dict()["found"])
            assert m.fallback_batches == (1 if cls is Refusing else 0)
    assert found[0] == found[1] and len(found[0]) == 2 * 3 + 1
