"""An incident with a real assessment (bundled rules): people in ID, US-CA, DE and unknown."""

from __future__ import annotations

import pytest

from breachscope.rules.loader import load_rules
from breachscope.rules.schema import RuleSet
from tests.rules.test_assessment_store import NOW, make_incident

__all__ = ["NOW", "make_incident"]


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return load_rules()
