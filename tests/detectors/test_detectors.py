"""Every registered detector against its table of true and false cases, on both routes the
engine uses (Python ``re`` for a few values, RE2 via Arrow for many), plus registry checks."""

from __future__ import annotations

import importlib
import pkgutil

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import breachscope.detectors as registry
from breachscope import taxonomy
from breachscope.detectors import BY_NAME, DETECTORS, MODULES
from breachscope.detectors.base import Detector
from breachscope.scan.detect import PY_ROUTE, run_detector
from breachscope.scan.plan import build_routing, plan_column
from tests.detectors.detector_cases import CASES

TABLE = [
    pytest.param(name, value, expected, id=f"{name}-{'hit' if expected else 'miss'}-{i}")
    for name, (hits, misses) in sorted(CASES.items())
    for expected, values in ((True, hits), (False, misses))
    for i, value in enumerate(values)
]


def _python_route(det: Detector, value: str) -> bool:
    return bool(run_detector(det, pa.array([value], pa.string()))[0].as_py())


def _arrow_route(det: Detector, value: str) -> bool:
    filler = [""] * (PY_ROUTE + 10)
    return bool(run_detector(det, pa.array([*filler, value], pa.string()))[-1].as_py())


@pytest.mark.parametrize(("name", "value", "expected"), TABLE)
def test_detector_cases(name: str, value: str, expected: bool) -> None:
    det = BY_NAME[name]
    assert _python_route(det, value) is expected
    assert _arrow_route(det, value) is expected


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_every_detector_has_true_and_false_cases(name: str) -> None:
    hits, misses = CASES.get(name, ((), ()))
    assert hits and misses, f"add true and false cases for {name} to tests/detectors/cases.py"


@pytest.mark.parametrize(
    ("name", "value"), [(n, v) for n, (hits, _) in sorted(CASES.items()) for v in hits if BY_NAME[n].anchor]
)
def test_anchor_is_a_necessary_condition(name: str, value: str) -> None:
    """Routing relies on it: a value the detector finds always matches its anchor."""
    det = BY_NAME[name]
    assert det.anchor is not None
    assert pc.match_substring_regex(pa.array([value]), det.anchor)[0].as_py()


def test_every_detector_module_is_registered() -> None:
    found = {
        m.name
        for m in pkgutil.iter_modules(registry.__path__)
        if not m.name.startswith("_") and m.name != "base"
    }
    assert found == {m.__name__.rsplit(".", 1)[1] for m in MODULES}
    for name in found:
        module = importlib.import_module(f"breachscope.detectors.{name}")
        declared = [v for v in vars(module).values() if isinstance(v, Detector)]
        assert declared, f"{name} declares no detector"
        assert all(d in DETECTORS for d in declared), f"{name}: a detector is not in its DETECTORS tuple"


def test_registry_is_consistent() -> None:
    assert len(BY_NAME) == len(DETECTORS), "detector names must be unique"
    for det in DETECTORS:
        taxonomy.get(det.data_class)
        assert det.description, det.name
        assert det.pattern or det.vocabulary, det.name
        for other in det.excludes:
            assert other in BY_NAME, f"{det.name} excludes unknown {other}"
    for dc in taxonomy.DATA_CLASSES:
        assert any(d.data_class == dc.id for d in DETECTORS), f"no detector for {dc.id}"


def test_routing_covers_every_anchored_detector() -> None:
    routing = build_routing(DETECTORS)
    routed = {m.name for f in routing.families for m in f.members}
    expected = {
        d.name
        for d in DETECTORS
        if d.pattern and not d.requires_hint and not d.min_length and not d.vocabulary
    }
    assert routed == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"a|b", ["a", "b"]),
        (r"a|b(c|d)|[|]", ["a", "b(c|d)", "[|]"]),
        (r"\|x|y", [r"\|x", "y"]),
        (r"[]|]|z", ["[]|]", "z"]),
        (r"[^]|]|q", ["[^]|]", "q"]),
        (r"[\]|]|w", [r"[\]|]", "w"]),
        (r"(?:^|[^\w-])(?:org|user)[-_]", [r"(?:^|[^\w-])(?:org|user)[-_]"]),
        (r"(?i:a|b)c|d", ["(?i:a|b)c", "d"]),
        (r"\d{13}", [r"\d{13}"]),
    ],
)
def test_top_level_alternatives(pattern: str, expected: list[str]) -> None:
    from breachscope.scan.plan import alternatives

    assert alternatives(pattern) == expected
    assert "|".join(alternatives(pattern)) == pattern


def test_family_anchor_is_the_union_of_member_anchors_without_repeats() -> None:
    """One routing pass per value: the family anchor must keep every member alternative (a
    value a member can find always reaches it) and repeat none (a repeated counted run such as
    \\d{13} doubled the DFA's cost on UUIDs)."""
    from breachscope.scan.plan import alternatives

    for fam in build_routing(DETECTORS).families:
        alts = alternatives(fam.anchor)
        assert len(alts) == len(set(alts)), fam.name
        for member in fam.members:
            for alt in alternatives(member.anchor or member.pattern or ""):
                assert f"(?:{alt})" in alts, (fam.name, member.name, alt)
        hits = [v for m in fam.members for v in CASES.get(m.name, ((), ()))[0]]
        if hits:
            assert pc.all(pc.match_substring_regex(pa.array(hits), fam.anchor)).as_py(), fam.name


@pytest.mark.parametrize(
    ("column", "detector", "runs"),
    [
        ("password", "password_plain", True),
        ("user_password", "password_plain", True),
        ("password_reset_at", "password_plain", False),
        ("notes", "password_plain", False),
        ("$name", "person_name", True),
        ("properties.$name", "person_name", True),
        ("$browser", "person_name", False),
        ("company_name", "person_name", False),
        ("$browser_version", "ipv4", False),
        ("ip", "ipv4", True),
        ("mp_country_code", "country", True),
        ("$city", "region_city", True),
        ("api_key", "secret_by_column", True),
        ("token_type", "secret_by_column", False),
        ("nik", "nik", True),
        ("notes", "nik", True),
    ],
)
def test_column_hints_choose_detectors(column: str, detector: str, runs: bool) -> None:
    plan = plan_column(column, DETECTORS)
    assert (detector in {d.name for d in plan.detectors}) is runs


def test_every_detector_is_documented() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "detectors.md").read_text()
    for det in DETECTORS:
        assert f"`{det.ref}`" in text, f"document {det.ref} in docs/detectors.md"


def _with_check_digit(body: str) -> str:
    from breachscope.detectors._checks import luhn_ok

    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def test_card_pattern_keeps_every_number_the_validator_accepts() -> None:
    """The PAN pattern asks for a 2-6 lead digit (so timestamps never reach the validator);
    that must never cost a card: every 4-digit lead at every length the validator accepts
    (plain, and in the 4-4-4-x and 4-6-x groupings) is matched by the pattern and its anchor."""
    from breachscope.detectors.cards import PAYMENT_CARD, valid_pan

    numbers = [
        _with_check_digit(f"{lead:04d}" + "0" * (length - 5))
        for lead in range(1000, 10_000)
        for length in range(13, 20)
    ]
    accepted = [n for n in numbers if valid_pan(n)]
    assert len(accepted) > 1000 and not any(n.startswith(("0", "1", "7", "8", "9")) for n in accepted)
    grouped = [f"{n[:4]} {n[4:8]} {n[8:12]} {n[12:]}" for n in accepted if len(n) == 16]
    grouped += [f"{n[:4]}-{n[4:10]}-{n[10:]}" for n in accepted if len(n) in (14, 15)]
    assert pc.all(pc.match_substring_regex(pa.array(accepted + grouped), PAYMENT_CARD.pattern)).as_py()
    assert PAYMENT_CARD.anchor is not None
    assert pc.all(pc.match_substring_regex(pa.array(accepted + grouped), PAYMENT_CARD.anchor)).as_py()
    rejected = [n for n in numbers if n.startswith("1")]
    assert not pc.any(pc.match_substring_regex(pa.array(rejected), PAYMENT_CARD.pattern)).as_py()
