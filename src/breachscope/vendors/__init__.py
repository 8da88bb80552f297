"""Analytics vendors' export layouts: one module per vendor, one registry of layouts.

``recognise`` asks every registered layout whether it knows a source's columns and returns the
best :class:`~breachscope.vendors.base.VendorMatch`, or ``None`` (generic scanning).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from breachscope.errors import InputError
from breachscope.vendors import (
    airbyte,
    amplitude,
    customerio,
    ga4,
    heap,
    intercom,
    mixpanel,
    posthog,
    segment,
)
from breachscope.vendors.base import VendorMatch


class Layout(Protocol):
    @property
    def vendor(self) -> str: ...

    @property
    def name(self) -> str: ...

    def match(self, columns: Sequence[str], source_name: str) -> VendorMatch | None:
        """A match if these columns are this layout's, else ``None``."""
        ...

    def fit(self, columns: Sequence[str], source_name: str) -> VendorMatch:
        """A (low-scoring) match even if the columns do not fit: used when ``--vendor`` forces it."""
        ...


#: Every known layout. Adding a vendor = its module + its layouts listed here.
LAYOUTS: tuple[Layout, ...] = (
    *mixpanel.LAYOUTS,
    *segment.LAYOUTS,
    *amplitude.LAYOUTS,
    *posthog.LAYOUTS,
    *ga4.LAYOUTS,
    *heap.LAYOUTS,
    *intercom.LAYOUTS,
    *customerio.LAYOUTS,
)

#: ``--vendor`` values that mean "no vendor layout: scan generically".
GENERIC = frozenset({"generic", "none"})


def vendor_names() -> list[str]:
    return sorted({layout.vendor for layout in LAYOUTS})


def _select(forced: str) -> list[Layout]:
    """Layouts named by ``--vendor``: ``mixpanel``, ``mixpanel/people`` or ``mixpanel:people``."""
    vendor, _, name = forced.strip().lower().replace(":", "/").partition("/")
    chosen = [lay for lay in LAYOUTS if lay.vendor == vendor and (not name or lay.name == name)]
    if not chosen:
        known = ", ".join(vendor_names())
        layouts = ", ".join(f"{lay.vendor}/{lay.name}" for lay in LAYOUTS)
        raise InputError(
            f"unknown vendor or layout {forced!r}",
            f"use one of: {known}, generic (or vendor/layout: {layouts})",
        )
    return chosen


def check_forced(forced: str | None) -> None:
    """Raise :class:`InputError` (listing the choices) unless ``forced`` names a vendor, a layout,
    or ``generic``; ``None`` is fine. For callers that validate ``--vendor`` before reading."""
    if forced is not None and forced.strip().lower() not in GENERIC:
        _select(forced)


def recognise(
    columns: Sequence[str], *, source_name: str = "", forced: str | None = None
) -> VendorMatch | None:
    """The best-scoring layout for these columns (only ``forced`` vendor's if given), or None.

    ``forced`` is a vendor (``mixpanel``), a layout (``mixpanel/people``) or ``generic``. A forced
    vendor always yields a match: when none of its layouts fits, the best-scoring one is used
    and its reason says the columns do not fit. An unknown name raises :class:`InputError`.
    """
    if forced is not None and forced.strip().lower() in GENERIC:
        return None
    if forced is None or forced.strip().lower() != airbyte.VENDOR:
        wrapped = airbyte.unwrap(
            columns, source_name, lambda cols, name: recognise(cols, source_name=name, forced=forced)
        )
        if wrapped is not None:
            return wrapped
    candidates = list(LAYOUTS) if forced is None else _select(forced)
    best: VendorMatch | None = None
    for layout in candidates:
        found = layout.match(columns, source_name)
        if found is not None and (best is None or found.score > best.score):
            best = found
    if best is None and forced is not None:
        fits = [layout.fit(columns, source_name) for layout in candidates]
        best = max(fits, key=lambda m: m.score)
    return best


__all__ = ["GENERIC", "LAYOUTS", "Layout", "VendorMatch", "check_forced", "recognise", "vendor_names"]
