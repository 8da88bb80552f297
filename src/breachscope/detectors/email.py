"""Email addresses (WHATWG "valid email address" shape, with a dot-TLD required)."""

from __future__ import annotations

from breachscope.detectors.base import Detector

EMAIL = Detector(
    name="email",
    version=1,
    data_class="email",
    pattern=(
        r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
        r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}"
    ),
    column_hints=(r"e_?mail", r"^mail$", r"surel"),
    family="at",
    anchor=r"@",
    description="WHATWG email shape with a dot-TLD; ASCII only.",
)

DETECTORS: tuple[Detector, ...] = (EMAIL,)
