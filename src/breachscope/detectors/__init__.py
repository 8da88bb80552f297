"""The detector registry: one tuple, one module per detector family.

Adding a detector = the module (or a new entry in a family module), its line here, and its
table of true/false cases in ``tests/detectors/``. The tests fail if a module is not listed.
"""

from __future__ import annotations

from breachscope.detectors import (
    banking,
    cards,
    dates,
    email,
    freetext,
    government,
    identifiers,
    location,
    names,
    network,
    passwords,
    phone,
    secrets,
    web,
)
from breachscope.detectors.base import Detector

#: Every detector family module, in registry order.
MODULES = (
    secrets,
    passwords,
    cards,
    banking,
    government,
    freetext,
    phone,
    network,
    dates,
    location,
    email,
    names,
    web,
    identifiers,
)

#: The one registry tuple the scan engine runs.
DETECTORS: tuple[Detector, ...] = tuple(d for module in MODULES for d in module.DETECTORS)

BY_NAME: dict[str, Detector] = {d.name: d for d in DETECTORS}


def get(name: str) -> Detector:
    """The registered detector with this name (``KeyError`` lists the known names)."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown detector {name!r}; known: {', '.join(sorted(BY_NAME))}") from None


__all__ = ["BY_NAME", "DETECTORS", "MODULES", "Detector", "get"]
