"""Identity: who a value names, the same way in every stage.

Email normalisation and the looser forms used for matching (:mod:`.emails`), look-alike folding
of emails (confusable characters to one skeleton), jurisdiction resolution of free-text places to
ISO 3166-1/3166-2 codes (:mod:`.jurisdiction`, pycountry), and the same rules plus the keyed hash
(HMAC-SHA256 under the case key) in DuckDB SQL (:mod:`.sql`). It sits just above the vocabulary
(taxonomy, hashing, errors, clock) and below every stage, so a value hashed or normalised while
attaching a leak equals the same value hashed or normalised while scoping against the directory.
"""

from __future__ import annotations

from breachscope.identity.emails import loose_email, normalise_email, skeleton_email
from breachscope.identity.jurisdiction import country_name, resolve, resolve_country, resolve_region

__all__ = [
    "country_name",
    "loose_email",
    "normalise_email",
    "resolve",
    "resolve_country",
    "resolve_region",
    "skeleton_email",
]
