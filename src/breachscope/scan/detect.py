"""Detection over the distinct values of one column: which detectors match which values.

Every value is checked; routing only decides which detectors a value needs:
1. If one detector family's anchor matches most values (an email column: ``@``), that family's
   detectors run on every value and one alternation of *all other* anchors picks the few
   values that need anything else. Otherwise one alternation of all anchors picks the
   candidates, and each family's anchor routes them to its detectors.
2. A few short values are routed and matched with Python ``re`` (no RE2 compile per call);
   values longer than ``LONG_VALUE`` never meet Python ``re`` (it backtracks), RE2 handles them.
3. Validators (checksums, date rules, libphonenumber) run on regex candidates only.
4. Weak (shape-only) detectors run last, on values no other detector matched; ``excludes``
   are applied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from breachscope.detectors.base import Detector
from breachscope.scan.plan import ColumnPlan, Family, Routing, anchor_groups

LONG_VALUE = 1024  # longer values are never given to Python re (backtracking)
MAX_LONG_MATCHES = 50  # matches validated per long value
SMALL = 48  # at most this many candidates: route them with Python re instead of Arrow calls
PY_ROUTE = 256  # at most this many distinct values: anchors checked with Python re (no RE2 compile)
PROBE = 128  # values probed to pick a dominant family
DOMINANT_SHARE = 0.5
ROUTE_GROUP = 5  # families per routing group (see ``_grouped``)
LOOSE_SHARE = 4  # a family matching 1/4 of the candidates is routed alone (see ``_grouped``)


@cache
def _py(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.ASCII)


@cache
def _vocab(words: tuple[str, ...]) -> pa.Array:
    return pa.array(words, pa.string())


def _match(values: pa.Array, pattern: str) -> pa.Array:
    return pc.match_substring_regex(values, pattern)


def _scatter(selector: pa.Array, sub: pa.Array) -> pa.Array:
    """Expand a mask over ``values.filter(selector)`` back to a mask over ``values``."""
    return pc.replace_with_mask(selector, selector, sub)


def _re2_matches(pattern: str, value: str, limit: int = MAX_LONG_MATCHES) -> Iterator[tuple[str, str | None]]:
    """Successive ``(match, token group)`` of ``pattern`` in a long value, found by RE2 (linear)."""
    rx = f"(?P<m>{pattern})"
    rest = value
    for _ in range(limit):
        found = pc.extract_regex(pa.array([rest], pa.string()), rx)[0]
        if not found.is_valid:
            return
        text = found["m"].as_py()
        token = found["token"].as_py() if "token" in _py(pattern).groupindex else None
        yield text, token
        at = rest.find(text)
        if at < 0:
            return
        rest = rest[at + max(1, len(text)) :]


def matched_text(det: Detector, value: str, *, token: bool = False) -> str | None:
    """The first substring of ``value`` the detector accepts (validator included).

    With ``token``, a pattern's ``(?P<token>...)`` group is returned instead of the whole match
    (``api_key=XYZ`` -> ``XYZ``), so a finding's keyed hash is the secret's, not the line's.
    Python ``re`` backtracks, so values longer than ``LONG_VALUE`` characters are searched
    with RE2 instead; validators see at most ``LONG_VALUE`` characters of a match.
    """
    if det.pattern is None or det.vocabulary:
        return value.strip()
    found: Iterable[tuple[str, str | None]]
    if len(value) > LONG_VALUE:
        found = _re2_matches(det.pattern, value)
    else:
        rx = _py(det.pattern)
        has_token = "token" in rx.groupindex
        found = ((m.group(0), m.group("token") if has_token else None) for m in rx.finditer(value))
    for text, group in found:
        if det.validate is None or det.validate(text[:LONG_VALUE]):
            return group if token and group else text
    return None


def _byte_lengths(values: pa.Array) -> np.ndarray | None:
    """Each value's length in bytes, read from the offsets in place (None: not a string array)."""
    if not pa.types.is_string(values.type):
        return None
    offsets = np.frombuffer(values.buffers()[1], np.int32, len(values) + 1, offset=4 * values.offset)
    return np.diff(offsets)


def _ascii(values: pa.Array) -> bool:
    """True if the character data (under null slots too) is plain ASCII: one byte per character."""
    _, offsets, data = values.buffers()
    if data is None:
        return True
    first, last = np.frombuffer(offsets, np.int32, len(values) + 1, offset=4 * values.offset)[[0, -1]]
    chars = np.frombuffer(data, np.uint8, int(last) - int(first), offset=int(first))
    return len(chars) == 0 or int(chars.max()) < 0x80


def _short(values: pa.Array) -> bool:
    """True if no value is longer than LONG_VALUE characters (so Python ``re`` is safe)."""
    lengths = _byte_lengths(values)
    if lengths is not None and (len(lengths) == 0 or int(lengths.max()) <= LONG_VALUE):
        return True  # never more characters than bytes
    longest = pc.max(pc.utf8_length(values)).as_py()
    return longest is None or longest <= LONG_VALUE


def _at_least(values: pa.Array, chars: int) -> pa.Array | None:
    """Mask of the values at least ``chars`` characters long; None where none is. A value has
    at most as many characters as bytes, and plain ASCII exactly as many, so the byte lengths
    from the offsets usually decide without a per-value kernel."""
    lengths = _byte_lengths(values)
    if lengths is not None:
        if len(lengths) == 0 or int(lengths.max()) < chars:
            return None
        if _ascii(values):
            return pc.greater_equal(pc.binary_length(values), chars)
    mask = pc.greater_equal(pc.utf8_length(values), chars)
    return mask if pc.any(mask).as_py() else None


def _validated(det: Detector, values: pa.Array, hits: pa.Array) -> pa.Array:
    if det.validate is None or not pc.any(hits).as_py():
        return hits
    candidates = pc.filter(values, hits).to_pylist()
    ok = []
    for v in candidates:
        try:
            ok.append(matched_text(det, v) is not None)
        except Exception:  # a validator must never stop a scan
            ok.append(False)
    return _scatter(hits, pa.array(ok, pa.bool_()))


def run_detector(det: Detector, values: pa.Array) -> pa.Array:
    """Boolean mask over ``values`` (no nulls): the values this detector finds."""
    if len(values) <= PY_ROUTE and det.pattern and not det.vocabulary and _short(values):
        flags = []
        for v in values.to_pylist():
            try:
                flags.append(matched_text(det, v) is not None)
            except Exception:  # a validator must never stop a scan
                flags.append(False)
        return pa.array(flags, pa.bool_())
    if det.vocabulary:
        return pc.is_in(pc.utf8_upper(pc.utf8_trim_whitespace(values)), value_set=_vocab(det.vocabulary))
    assert det.pattern is not None
    return _validated(det, values, _match(values, det.pattern))


def _run_subset(det: Detector, values: pa.Array, selector: pa.Array) -> pa.Array:
    if not pc.any(selector).as_py():
        return selector
    return _scatter(selector, run_detector(det, pc.filter(values, selector)))


def _python_hits(values: pa.Array, families: Sequence[tuple[Family, list[Detector]]]) -> dict[str, pa.Array]:
    """Few candidates: route and detect with Python ``re`` (cheaper than an Arrow call each)."""
    items = values.to_pylist()
    hits: dict[str, list[bool]] = {}
    for fam, members in families:
        anchor = _py(fam.anchor)
        for i, v in enumerate(items):
            if not anchor.search(v):
                continue
            for det in members:
                if det.anchor and len(members) > 1 and not _py(det.anchor).search(v):
                    continue
                try:
                    found = matched_text(det, v) is not None
                except Exception:  # a validator must never stop a scan
                    found = False
                if found:
                    hits.setdefault(det.name, [False] * len(items))[i] = True
    return {name: pa.array(flags, pa.bool_()) for name, flags in hits.items()}


def _route_candidates(
    values: pa.Array,
    selector: pa.Array,
    families: Sequence[tuple[Family, list[Detector]]],
    out: dict[str, pa.Array],
    hints: dict[str, object],
) -> None:
    n = pc.sum(selector).as_py() or 0
    if n == 0:
        return
    cand = pc.filter(values, selector)
    if n <= SMALL and _short(cand):
        found = _python_hits(cand, families)
    else:
        found = {}
        loose = hints.get("loose")
        loose_now = set()
        for group in _grouped(families, loose if isinstance(loose, frozenset) else frozenset()):
            sub, gsel = cand, None
            if len(group) > 1:  # one pass for the group first: most groups have no candidate
                gsel = _match(cand, "|".join(f"(?:{f.anchor})" for f, _ in group))
                if not pc.any(gsel).as_py():
                    continue
                sub = pc.filter(cand, gsel)
            for fam, members in group:
                fsel = _match(sub, fam.anchor)
                hits = pc.sum(fsel).as_py() or 0
                if hits == 0:
                    continue
                if hits * LOOSE_SHARE >= n:
                    loose_now.add(fam.name)
                for det in members:
                    m = _run_subset(det, sub, fsel)
                    if pc.any(m).as_py():
                        found[det.name] = m if gsel is None else _scatter(gsel, m)
        hints["loose"] = frozenset(loose_now)
    for name in (d.name for _, members in families for d in members):  # in the families' order
        if name in found:
            out[name] = _scatter(selector, found[name])


def _grouped(
    families: Sequence[tuple[Family, list[Detector]]], loose: frozenset[str]
) -> list[Sequence[tuple[Family, list[Detector]]]]:
    """Families in groups of ``ROUTE_GROUP``: a value matches a family's anchor only if it
    matches its group's alternation, so candidates are routed with a pass per group and then a
    pass per family over the group's candidates only. On random ids, where one loose anchor
    (an IBAN's two capitals and two digits) picks 10% of the values, this halves the passes.
    A family whose anchor picked at least 1/``LOOSE_SHARE`` of the candidates in the
    column's previous batch (``loose``) is a group of its own, first: in a group it would make
    every other family of the group pass over nearly all the candidates again."""
    alone: list[Sequence[tuple[Family, list[Detector]]]] = [[fm] for fm in families if fm[0].name in loose]
    rest = [fm for fm in families if fm[0].name not in loose]
    return alone + [rest[i : i + ROUTE_GROUP] for i in range(0, len(rest), ROUTE_GROUP)]


def _dominant(probe: list[str], families: Sequence[tuple[Family, list[Detector]]]) -> str | None:
    best, best_share = None, DOMINANT_SHARE
    for fam, _ in families:
        rx = _py(fam.anchor)
        share = sum(1 for v in probe if rx.search(v)) / max(1, len(probe))
        if share >= best_share:
            best, best_share = fam.name, share
    return best


def _route(
    values: pa.Array, routed: Sequence[Detector], routing: Routing, hints: dict[str, object]
) -> dict[str, pa.Array]:
    """Masks (only for detectors with at least one hit) of the anchor-routed detectors."""
    out: dict[str, pa.Array] = {}
    if not routed or len(values) == 0:
        return out
    wanted = {d.name for d in routed}
    families = [(f, [m for m in f.members if m.name in wanted]) for f in routing.families]
    families = [(f, ms) for f, ms in families if ms]
    if "dominant" not in hints:
        probe = [v for v in values.slice(0, PROBE).to_pylist() if len(v) <= LONG_VALUE]
        hints["dominant"] = _dominant(probe, families)
    dominant = hints["dominant"]
    rest = [(f, ms) for f, ms in families if f.name != dominant]
    if dominant is not None and len(rest) < len(families):
        fam, members = next((f, ms) for f, ms in families if f.name == dominant)
        sel = _match(values, fam.anchor) if len(members) > 1 else None
        for det in members:
            m = run_detector(det, values) if sel is None else _run_subset(det, values, sel)
            if pc.any(m).as_py():
                out[det.name] = m
    if rest:
        selector = _any_anchor(values, [f for f, _ in rest])
        _route_candidates(values, selector, rest, out, hints)
    return out


def _any_anchor(values: pa.Array, families: Sequence[Family]) -> pa.Array:
    """Values matching any family's anchor (Python ``re`` for a few values, else RE2 passes)."""
    if len(values) <= PY_ROUTE and _short(values):
        rx = _py("|".join(f"(?:{f.anchor})" for f in families))
        return pa.array([rx.search(v) is not None for v in values.to_pylist()], pa.bool_())
    selector: pa.Array | None = None
    for pattern in anchor_groups(families):
        m = _match(values, pattern)
        selector = m if selector is None else pc.or_(selector, m)
    assert selector is not None
    return selector


def detect(
    values: pa.Array, plan: ColumnPlan, routing: Routing, hints: dict[str, object] | None = None
) -> dict[str, pa.Array]:
    """Masks over the distinct ``values`` for the plan's detectors that matched (after suppression).

    Non-weak detectors run first; weak (shape-only) detectors then run only on the values no
    non-weak detector matched, since a weak match never counts where a strong one did.
    """
    masks = _route(values, plan.routed, routing, {} if hints is None else hints)
    for det in plan.direct:
        if not det.weak:
            m = run_detector(det, values)
            if pc.any(m).as_py():
                masks[det.name] = m
    longest = _at_least(values, min(d.min_length for d in plan.long)) if plan.long else None
    if longest is not None:
        for det in plan.long:
            m = _run_subset(det, values, longest)
            if pc.any(m).as_py():
                masks[det.name] = m
    by_name = {d.name: d for d in plan.detectors}
    any_strong = None
    for name, m in masks.items():
        if not by_name[name].weak:
            any_strong = m if any_strong is None else pc.or_(any_strong, m)
    weak = [d for d in plan.direct if d.weak]
    if weak:
        rest = pc.invert(any_strong) if any_strong is not None else None
        for det in weak:
            m = run_detector(det, values) if rest is None else _run_subset(det, values, rest)
            if pc.any(m).as_py():
                masks[det.name] = m
    out: dict[str, pa.Array] = {}
    for name, m in masks.items():
        det = by_name[name]
        if det.weak and any_strong is not None:
            m = pc.and_not(m, any_strong)
        for other in det.excludes:
            if other in masks:
                m = pc.and_not(m, masks[other])
        if pc.any(m).as_py():
            out[name] = m
    return out
