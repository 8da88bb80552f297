"""Assess: rule files (data), the pure duty engine, recommended actions.

The public surface other stages use; see docs/assess.md and docs/rules.md.
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
