"""Scope: who is affected. Directory import, matching, roll-ups, jurisdictions.

The two functions other stages call:

- :func:`jurisdiction_counts` (``assess``): leaked people per ISO 3166 code.
- :func:`recipients` (``notify``): the accounts to notify, as :class:`Recipient` rows.
"""

from __future__ import annotations

from breachscope.scope.recipients import UNKNOWN, Recipient, jurisdiction_counts, recipients

__all__ = ["UNKNOWN", "Recipient", "jurisdiction_counts", "recipients"]
