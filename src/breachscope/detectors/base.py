"""What a detector is: a data class, a vectorised pattern, an optional validator, column hints.

Detectors are data-first and stateless so they can be shipped to worker processes and named
with their version in absence evidence ("checked by email@1 over 1,000,000 values").

The scan engine runs ``pattern`` (an RE2 regular expression, as understood by
``pyarrow.compute.match_substring_regex`` / ``extract_regex``) over whole Arrow arrays; only
values that match are passed to ``validate`` (a Python function, e.g. a checksum). No detector
loops over every value in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Detector:
    name: str  # stable id, e.g. "payment_card"
    version: int  # bump when the pattern/validator changes what is found
    data_class: str  # a taxonomy id (breachscope.taxonomy)
    pattern: str | None  # RE2 pattern over values; None for hint-only detectors
    validate: Callable[[str], bool] | None = None  # run only on pattern candidates
    column_hints: tuple[str, ...] = ()  # RE2 patterns over normalised column names
    requires_hint: bool = False  # only fires in columns whose name matches a hint
    description: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ref(self) -> str:
        """``name@version``, as written in evidence."""
        return f"{self.name}@{self.version}"
