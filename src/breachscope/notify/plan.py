"""Who a send will reach, per jurisdiction and duty: the table shown (and confirmed) before a
real send, and the selection behind ``--jurisdiction`` and ``--required-only``.

Everyone matched is notified by default, including people in jurisdictions where every duty is
"not required": companies often notify everyone on purpose. The plan makes that visible before
anything leaves: for each jurisdiction code of the queued notices, how many user, admin and
regulator notices, and the duties to individuals that apply there with their verdicts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from breachscope.errors import InputError
from breachscope.identity.jurisdiction import UNKNOWN_CODE
from breachscope.rules.facts import Duty
from breachscope.rules.schema import RuleSet

#: Duties whose recipients are the affected people themselves.
INDIVIDUALS = "individuals"
#: Verdicts that make a duty to individuals "required" for ``--required-only``.
REQUIRED = ("required",)


@dataclass(frozen=True)
class Selection:
    """What to send: ``jurisdictions`` as typed (``DE``, ``US`` = every US state, ``EU`` = the EU
    rule file's countries); ``required_only`` = only where a duty to individuals is required."""

    jurisdictions: tuple[str, ...] = ()
    required_only: bool = False

    @property
    def everyone(self) -> bool:
        return not self.jurisdictions and not self.required_only


@dataclass
class PlanLine:
    code: str
    notices: Counter[str] = field(default_factory=Counter)  # kind -> count
    duties: list[tuple[str, str]] = field(default_factory=list)  # (duty id, verdict)

    @property
    def required(self) -> bool:
        return any(v in REQUIRED for _, v in self.duties)


@dataclass
class SendPlan:
    """The notices a run would send, per jurisdiction code (a person in two is under both)."""

    lines: list[PlanLine]
    total: int
    by_kind: dict[str, int]
    selection: Selection
    #: the jurisdiction codes the selection keeps (None = every notice)
    codes: frozenset[str] | None = None
    has_assessment: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_kind": self.by_kind,
            "selection": {
                "jurisdictions": list(self.selection.jurisdictions),
                "required_only": self.selection.required_only,
            },
            "jurisdictions": [
                {
                    "code": line.code,
                    "notices": dict(line.notices),
                    "duties_to_individuals": [{"id": i, "verdict": v} for i, v in line.duties],
                    "required": line.required,
                }
                for line in self.lines
            ],
        }


class DutyMap:
    """Which stored duties to individuals apply to a jurisdiction code (through the rule files)."""

    def __init__(self, duties: Sequence[Duty], rules: RuleSet) -> None:
        self.duties = [d for d in duties if d.recipient == INDIVIDUALS]
        self.files = {j.code: j for j in rules.jurisdictions}

    def covers(self, rule_code: str, code: str) -> bool:
        j = self.files.get(rule_code)
        if j is not None:
            return j.covers(code)
        return code == rule_code or code.startswith(rule_code + "-")

    def for_code(self, code: str) -> list[tuple[str, str]]:
        return [(d.id, str(d.verdict)) for d in self.duties if self.covers(d.jurisdiction, code)]


def split(field_value: str | None) -> list[str]:
    """``";US;US-CA;DE;"`` -> the most specific codes ``["US-CA", "DE"]`` (``["ZZ"]`` if none)."""
    codes = [c for c in (field_value or "").split(";") if c]
    specific = [c for c in codes if not any(o.startswith(c + "-") for o in codes)]
    return specific or [UNKNOWN_CODE]


def keys(field_value: str | None) -> list[str]:
    """Every code of a jurisdictions field: ``";US;US-CA;DE;"`` -> ``["US", "US-CA", "DE"]``."""
    return [c for c in (field_value or "").split(";") if c] or [UNKNOWN_CODE]


def selected_codes(present: Iterable[str], selection: Selection, duties: DutyMap) -> frozenset[str] | None:
    """The present codes the selection keeps; None when it keeps everything."""
    if selection.everyone:
        return None
    wanted = [t.strip().upper() for t in selection.jurisdictions if t.strip()]
    keep: set[str] = set()
    for code in set(present):
        if wanted and not any(
            code == t or code.startswith(t + "-") or duties.covers(t, code) for t in wanted
        ):
            continue
        if selection.required_only and not any(v in REQUIRED for _, v in duties.for_code(code)):
            continue
        keep.add(code)
    return frozenset(keep)


def check_selection(selection: Selection, has_assessment: bool) -> None:
    """``--required-only`` cannot be honoured without a stored assessment."""
    if selection.required_only and not has_assessment:
        raise InputError(
            "--required-only needs a stored assessment (which duties are required)",
            "run: breachscope assess --incident N",
        )


def build(
    rows: Iterable[tuple[str, str | None]],
    duties: DutyMap,
    selection: Selection,
    codes: frozenset[str] | None,
    has_assessment: bool = True,
) -> SendPlan:
    """The plan of ``rows`` (kind, jurisdictions field) that the selection keeps."""
    lines: dict[str, PlanLine] = {}
    by_kind: Counter[str] = Counter()
    total = 0
    for kind, field_value in rows:
        if codes is not None and not codes.intersection(keys(field_value)):
            continue  # the same test as the sender's LIKE '%;CODE;%'
        mine = split(field_value)
        total += 1
        by_kind[kind] += 1
        for code in mine:
            line = lines.get(code)
            if line is None:
                line = lines[code] = PlanLine(code, duties=duties.for_code(code))
            line.notices[kind] += 1
    ordered = sorted(lines.values(), key=lambda ln: (-sum(ln.notices.values()), ln.code))
    return SendPlan(ordered, total, dict(by_kind), selection, codes, has_assessment)
