"""Placeholder values: what a vendor or a pipeline writes where there is no data.

One list for every stage (the scan counts these as nulls, the per-person extraction treats
them as absent). Values are compared after trimming whitespace and lower-casing, so
``N/A``, `` null `` and ``(Not Set)`` are all placeholders. Vendor-specific markers
(Mixpanel ``$direct``, Amplitude ``session_id = -1``) stay with their vendor layouts.

Why each entry (see docs/detectors.md, "Placeholders"):
- ``""``, ``-``: blank cells and the dash spreadsheets and BI tools write for "no value".
- ``null``, ``(null)``, ``none``, ``(none)``, ``nil``, ``nan``, ``undefined``: a missing value
  serialised as text by JSON, Python, Ruby, pandas or JavaScript SDKs; Amplitude shows
  ``(none)``.
- ``(not set)``, ``(not provided)``, ``(direct)``: Google Analytics markers for a missing
  campaign, keyword or source.
- ``n/a``, ``na``: "not applicable".
- ``test``: the value SDK and connector test payloads put in every field (public samples:
  Mixpanel engage ``"test": "test"``, ``"name": "test"``).
"""

from __future__ import annotations

#: Compared with ``value.strip().lower()``.
PLACEHOLDERS: frozenset[str] = frozenset(
    {
        "",
        "-",
        "null",
        "(null)",
        "none",
        "(none)",
        "nil",
        "nan",
        "undefined",
        "(not set)",
        "(not provided)",
        "(direct)",
        "n/a",
        "na",
        "test",
    }
)


def normalise(value: str) -> str:
    """The form placeholders are compared in: whitespace trimmed, lower case."""
    return value.strip().lower()


def is_placeholder(value: str | None) -> bool:
    """True for ``None`` and for every placeholder value (``"N/A"``, ``" (not set) "``)."""
    return value is None or normalise(value) in PLACEHOLDERS


__all__ = ["PLACEHOLDERS", "is_placeholder", "normalise"]
