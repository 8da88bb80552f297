"""What a detector is: a data class, a vectorised pattern, an optional validator, column hints.

Detectors are data-first and stateless so they can be shipped to worker processes and named
with their version in absence evidence ("checked by email@1 over 1,000,000 values").

The scan engine runs ``pattern`` (an RE2 regular expression, as understood by
``pyarrow.compute.match_substring_regex`` / ``extract_regex``) over whole Arrow arrays; only
values that match are passed to ``validate`` (a Python function, e.g. a checksum). No detector
loops over every value in Python.

Routing fields (all optional, added for the scan engine's speed; see docs/detectors.md):
``family`` groups detectors that share one cheap ``anchor`` (an RE2 necessary condition: if
the pattern matches a value, the anchor matches it too). ``min_length`` skips values shorter
than that many characters. ``vocabulary`` is an exact, case-insensitive value list checked with
``pyarrow.compute.is_in``. ``weak`` detectors (shape-only evidence such as "looks like a name
in a column called name") never count a value that a non-weak detector also matched.
``excludes`` names detectors whose match on the same value suppresses this one.
A pattern's ``(?P<token>...)`` group is the part a finding is about (``=4111...&`` in a URL ->
the card); ``canonical`` turns that token into the form whose keyed hash is stored.
``anti_hints`` are column-name patterns where the detector is not run (e.g. IPv4 in a
``browser_version`` column); ``min_share`` is the share of a column's non-null values the
detector must match before it classifies an un-hinted column (0 = a single match is enough).
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
    # --- routing and classification (backwards-compatible additions) ---
    family: str = ""  # detectors sharing a family share ``anchor``
    anchor: str | None = None  # RE2 necessary condition for ``pattern``; defaults to it
    min_length: int = 0  # only values at least this long (characters) are candidates
    vocabulary: tuple[str, ...] = ()  # exact values (compared upper-cased), instead of a pattern
    weak: bool = False  # suppressed where a non-weak detector matched the same value
    excludes: tuple[str, ...] = ()  # detector names whose match suppresses this one
    anti_hints: tuple[str, ...] = ()  # column-name patterns where this detector does not run
    min_share: float = 0.0  # share of non-null values needed to classify an un-hinted column
    label: str = ""  # what a finding is called in reports, e.g. "card-like number, mangled"
    #: The form of a match whose keyed hash a finding carries (cards and national ids: the
    #: digits, so ``4111 1111 ...``, ``4111-1111-...`` and a card inside a URL hash alike).
    canonical: Callable[[str], str] | None = None

    @property
    def ref(self) -> str:
        """``name@version``, as written in evidence."""
        return f"{self.name}@{self.version}"
