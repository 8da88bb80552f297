"""Analytics vendors' export layouts: one module per vendor, one registry of layouts.

``recognise`` asks every registered layout whether it knows a source's columns and returns the
best :class:`~breachscope.vendors.base.VendorMatch`, or ``None`` (generic scanning).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from breachscope.vendors.base import VendorMatch


class Layout(Protocol):
    vendor: str
    name: str

    def match(self, columns: Sequence[str], source_name: str) -> VendorMatch | None:
        """A match if these columns are this layout's, else ``None``."""
        ...


#: Every known layout. Adding a vendor = its module + its layouts listed here.
LAYOUTS: tuple[Layout, ...] = ()


def recognise(
    columns: Sequence[str], *, source_name: str = "", forced: str | None = None
) -> VendorMatch | None:
    """The best-scoring layout for these columns (only ``forced`` vendor's if given), or None."""
    best: VendorMatch | None = None
    for layout in LAYOUTS:
        if forced is not None and layout.vendor != forced:
            continue
        found = layout.match(columns, source_name)
        if found is not None and (best is None or found.score > best.score):
            best = found
    return best


__all__ = ["LAYOUTS", "Layout", "VendorMatch", "recognise"]
