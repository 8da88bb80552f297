"""Assess: which legal duties an incident triggers, by when, and why; and what to do about it.

The laws are data: one YAML rule file per jurisdiction (``rules/data/``: who must be told, the
clock that starts the deadline, the triggers by data class, headcount and risk, the notice's
required content, each with its citation), validated against :mod:`.schema` when loaded
(:func:`load_rules`, failing loudly with file, rule and field). The engine (:func:`assess`) is a
pure function of the :class:`Facts` and the rules: three-valued triggers (yes / no / unknown), so
a risk-based duty is never silently decided but comes out ``assessment_required`` until a
recorded :class:`RiskDecision` settles it; recommended actions (and those *not* needed, from
classes checked and absent) come from ``actions.yaml``. The stage's entry point is
:func:`run_assessment`: it reads the facts from the case (scan reports, scope's jurisdiction
counts, incident dates, recorded facts), runs the engine, and stores the snapshot (rows are only
added, so a later rule change never rewrites a past assessment); notify and the reports read
it. See docs/assess.md and docs/rules.md.
"""

from __future__ import annotations

from breachscope.rules.case_facts import run_assessment
from breachscope.rules.engine import assess
from breachscope.rules.facts import (
    Action,
    Assessment,
    ContentRequirement,
    Duty,
    Facts,
    NotNeeded,
    RiskDecision,
    Skipped,
)
from breachscope.rules.loader import RuleFileError, load_rules
from breachscope.rules.schema import RuleSet

__all__ = [
    "Action",
    "Assessment",
    "ContentRequirement",
    "Duty",
    "Facts",
    "NotNeeded",
    "RiskDecision",
    "RuleFileError",
    "RuleSet",
    "Skipped",
    "assess",
    "load_rules",
    "run_assessment",
]
