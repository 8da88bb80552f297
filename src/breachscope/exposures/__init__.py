"""Exposures: scanned rows to per-person exposures, the one way.

Given a leaked file and the scan's column classes, this stage finds each leaked person (the
person key: a vendor layout's key, an email, an internal id), which of their fields and data
classes hold a value, where they live, and keyed hashes of their identifiers. ``case attach``
stores the result in the case (:func:`attach_file`); ``scan --people`` summarises it without a
case (:func:`people_for_scan`). It reads the scan's results and writes through the case API;
scope and every later stage read what it stored.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from breachscope.exposures.attach import AttachResult, attach_file
    from breachscope.exposures.people import PeopleSummary, people_for_scan

__all__ = ["AttachResult", "PeopleSummary", "attach_file", "people_for_scan"]

#: Public name -> its module, imported on first use: ``scan --people`` needs no case storage
#: (SQLAlchemy, Alembic), and a plain ``scan`` needs neither half.
_HOMES = {
    "AttachResult": "breachscope.exposures.attach",
    "attach_file": "breachscope.exposures.attach",
    "PeopleSummary": "breachscope.exposures.people",
    "people_for_scan": "breachscope.exposures.people",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(home), name)
