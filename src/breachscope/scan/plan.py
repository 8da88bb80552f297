"""Which detectors run on which column, and the routing regexes built from detector anchors.

A column's name (normalised: lower case, runs of other characters turned into ``_``) is
matched against each detector's ``column_hints``; hint-only detectors run only where a hint
matches, ``anti_hints`` keep a detector off a column. Detectors with an ``anchor`` are grouped by
``family``; the engine uses one alternation of the family anchors to route values to the few
detectors that can match them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from breachscope.detectors.base import Detector


def normalise(column: str) -> str:
    """``properties.$Email Address`` -> ``properties_email_address``."""
    return re.sub(r"[^a-z0-9]+", "_", column.lower()).strip("_")


@cache
def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _hinted(det: Detector, norm: str) -> bool:
    if not det.column_hints:
        return False
    return any(_rx(h).search(norm) for h in det.column_hints)


def _anti(det: Detector, norm: str) -> bool:
    return any(_rx(h).search(norm) for h in det.anti_hints)


@dataclass(frozen=True)
class Family:
    name: str
    anchor: str  # alternation of its members' anchors
    members: tuple[Detector, ...]


@dataclass(frozen=True)
class ColumnPlan:
    column: str
    routed: tuple[Detector, ...]  # pattern detectors routed by family anchors
    direct: tuple[Detector, ...]  # run on every distinct value (hinted, vocabulary)
    long: tuple[Detector, ...]  # run on values of at least ``min_length`` characters
    hinted: frozenset[str]  # names of detectors whose column hints match
    schema_classes: frozenset[str] = frozenset()

    @property
    def detectors(self) -> tuple[Detector, ...]:
        return self.routed + self.direct + self.long

    @property
    def hinted_classes(self) -> frozenset[str]:
        return frozenset(d.data_class for d in self.detectors if d.name in self.hinted)


@dataclass(frozen=True)
class Routing:
    families: tuple[Family, ...]
    all_anchor: str
    except_anchor: Mapping[str, str] = field(default_factory=dict)  # family -> all others


def anchor_groups(families: Sequence[Family]) -> list[str]:
    """The alternations that together cover every family's anchor (one RE2 pass each).

    One alternation of all anchors: measured per 65,536 values, one joint pass costs 4-7 ms on
    emails, UUIDs, timestamps and names against 8-13 ms for keyword and structural anchors in
    two passes (on random base62 ids the two are within 10%).
    """
    return ["|".join(f"(?:{f.anchor})" for f in families)] if families else []


def alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a regex (``a|b(c|d)|[|]`` -> ``a``, ``b(c|d)``, ``[|]``)."""
    out: list[str] = []
    depth, start, i, in_class = 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":  # "[]...]" / "[^]...]": a literal ] first
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    out.append(pattern[start:])
    return out


def family_anchor(members: Sequence[Detector]) -> str:
    """One alternation of the members' anchors, each distinct top-level alternative once.

    Members often share alternatives (``\\d{13}`` is a NIK's, an NPWP's and a card's); RE2's
    DFA for an unanchored search grows with every overlapping counted repetition, so a
    duplicated ``\\d{13}`` doubled the cost of the routing pass on digit-rich values (UUIDs).
    """
    alts = dict.fromkeys(a for m in members for a in alternatives(m.anchor or m.pattern or ""))
    return "|".join(f"(?:{a})" for a in alts)


def build_routing(detectors: Sequence[Detector]) -> Routing:
    groups: dict[str, list[Detector]] = {}
    for det in detectors:
        if det.pattern and not det.requires_hint and not det.min_length and not det.vocabulary:
            groups.setdefault(det.family or det.name, []).append(det)
    families = []
    for name, members in groups.items():
        families.append(Family(name, family_anchor(members), tuple(members)))
    all_anchor = "|".join(f"(?:{f.anchor})" for f in families)
    except_anchor = {
        f.name: "|".join(f"(?:{g.anchor})" for g in families if g.name != f.name) for f in families
    }
    return Routing(tuple(families), all_anchor, except_anchor)


def plan_column(
    column: str,
    detectors: Sequence[Detector],
    schema_classes: frozenset[str] = frozenset(),
    *,
    hints: bool = True,
) -> ColumnPlan:
    """Which detectors run on this column, and how.

    Column-name hints count only where the vendor schema (if any) does not already say what the
    column is: a GA4 ``traffic_source.name`` is a campaign, not a person's name. ``hints=False``
    (vendor bookkeeping columns such as a library name) turns name hints off altogether. Values
    are still checked by every routed detector either way.
    """
    norm = normalise(column)
    routed: list[Detector] = []
    direct: list[Detector] = []
    long: list[Detector] = []
    hinted = set()
    for det in detectors:
        if _anti(det, norm):
            continue
        is_hinted = hints and _hinted(det, norm) and (not schema_classes or det.data_class in schema_classes)
        if is_hinted:
            hinted.add(det.name)
        if det.requires_hint and not is_hinted:
            continue
        if det.min_length:
            long.append(det)
        elif det.requires_hint or det.vocabulary or not det.pattern:
            direct.append(det)
        else:
            routed.append(det)
    return ColumnPlan(column, tuple(routed), tuple(direct), tuple(long), frozenset(hinted), schema_classes)
