"""Scope: who is affected. Directory import, matching, roll-ups, jurisdictions.

Scope answers "who is affected, and where": it loads the company's account directory, matches
the leaked people stored by the exposures stage to accounts (strongest key first, never
guessing), rolls the matches up to affected organizations, their admins and users, and stores the
result in the case. Its entry point is :func:`run_scope`; the two functions later stages call:

- :func:`jurisdiction_counts` (``assess``): leaked people per ISO 3166 code.
- :func:`recipients` (``notify``): the accounts to notify, as :class:`Recipient` rows.
"""

from __future__ import annotations

from breachscope.scope.directory import DirectorySource
from breachscope.scope.recipients import UNKNOWN, Recipient, jurisdiction_counts, recipients
from breachscope.scope.run import ScopeSettings, run_scope

__all__ = [
    "UNKNOWN",
    "DirectorySource",
    "Recipient",
    "ScopeSettings",
    "jurisdiction_counts",
    "recipients",
    "run_scope",
]
