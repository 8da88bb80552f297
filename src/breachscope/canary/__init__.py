"""canary: synthetic people planted at each vendor, so the next leak names its source.

Library entry points (``breachscope canary issue|check|listen`` are thin shells over them):

* :func:`breachscope.canary.registry.issue`: mint canaries for a vendor, store keyed hashes,
  write the export in the vendor's import format (the only plaintext);
* :func:`breachscope.canary.registry.load` + :func:`breachscope.canary.check.check_files`: which
  vendors' canaries a leaked file holds; :func:`breachscope.canary.check.record` stores it in an
  incident (``case attach`` does both through :mod:`breachscope.exposures.attach`);
* :mod:`breachscope.canary.listen`: the SMTP listener for the catch-all domain.

Layer: below exposures (which calls the check on attach), above case (its storage). See
docs/canary.md.
"""

from __future__ import annotations

from breachscope.canary.check import CheckResult, check_files, record
from breachscope.canary.matcher import Matcher
from breachscope.canary.registry import IssueResult, Registry, issue, load

__all__ = ["CheckResult", "IssueResult", "Matcher", "Registry", "check_files", "issue", "load", "record"]
