"""The synthetic population: accounts, orgs and people, every attribute a function of an index.

Leak row ``i`` (0-based) is account ``perm(i)`` of the company directory, except for about 2%
"orphan" rows that match no account. The directory holds about 8% more accounts than the
leak, so some accounts (admins among them) are not in the leak. Orgs are runs of consecutive
accounts; the first account of every org is an admin.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from breachscope.synth import vocab
from breachscope.synth.keyed import U64, Keyed, fixed_strings

ORPHAN_SHARE = 0.02
EXTRA_ACCOUNTS = 0.08
ORG_SIZES = (1, 2, 3, 4, 6, 10, 25)
ORG_SIZE_WEIGHTS = (40, 15, 12, 10, 10, 8, 5)
CREATED_FROM = 1_577_836_800  # 2020-01-01
CREATED_TO = 1_761_955_200  # 2025-11-01
LAST_SEEN_TO = 1_762_646_400  # 2025-11-09, the day the vendor's systems were accessed


def _ascii_local(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


_LOC = vocab.LOCATIONS
_COUNTRY = pa.array([c for c, _, _, _ in _LOC])
_REGION = pa.array([r for _, r, _, _ in _LOC])
_CITY = pa.array([c for _, _, c, _ in _LOC])
_IS_ID = np.array([c == "ID" for c, _, _, _ in _LOC])
_FIRST = pa.array(vocab.FIRST_NAMES)
_LAST = pa.array(vocab.LAST_NAMES)
_ID_FIRST = pa.array(vocab.ID_FIRST_NAMES)
_ID_LAST = pa.array(vocab.ID_LAST_NAMES)
_FIRST_L = pa.array([_ascii_local(n) for n in vocab.FIRST_NAMES])
_LAST_L = pa.array([_ascii_local(n) for n in vocab.LAST_NAMES])
_ID_FIRST_L = pa.array([_ascii_local(n) for n in vocab.ID_FIRST_NAMES])
_ID_LAST_L = pa.array([_ascii_local(n) for n in vocab.ID_LAST_NAMES])
_DOMAINS = pa.array(vocab.EMAIL_DOMAINS)
_LANG = pa.array([vocab.LANGUAGE_BY_COUNTRY.get(c, "fr" if r == "Quebec" else "en") for c, r, _, _ in _LOC])


@dataclass(frozen=True)
class People:
    """Attributes of a set of people (one entry per key)."""

    country: pa.Array
    region: pa.Array
    city: pa.Array
    language: pa.Array
    name: pa.Array
    email: pa.Array
    created: npt.NDArray[np.int64]


class Population:
    """Accounts, orgs and leak rows for ``rows`` leaked records under one seed."""

    def __init__(self, rows: int, seed: int) -> None:
        self.rows = rows
        self.k = Keyed(seed)
        self.accounts = max(1, rows + math.ceil(rows * EXTRA_ACCOUNTS) + 1)
        self._stride = self._coprime_stride(self.accounts)
        self._offset = int(self.k.below(np.array([0], dtype=np.uint64), "perm-offset", self.accounts)[0])
        self.org_start = self._org_starts()

    # -- structure ------------------------------------------------------------------------
    def _coprime_stride(self, n: int) -> int:
        stride = int(n * 0.6180339887) | 1
        while math.gcd(stride, n) != 1:
            stride += 2
        return stride % n or 1

    def _org_starts(self) -> npt.NDArray[np.int64]:
        est = self.accounts // 2 + 2
        sizes = np.asarray(ORG_SIZES)[
            self.k.weighted(np.arange(est, dtype=np.uint64), "org-size", ORG_SIZE_WEIGHTS)
        ]
        starts = np.concatenate([[0], np.cumsum(sizes)])
        return starts[starts < self.accounts].astype(np.int64)

    @property
    def orgs(self) -> int:
        return len(self.org_start)

    def account_of_row(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """The account index of each leak row, or -1 for orphan rows."""
        acct = (rows * self._stride + self._offset) % self.accounts
        orphan = self.k.uniform(rows.astype(np.uint64), "orphan") < ORPHAN_SHARE
        return np.where(orphan, -1, acct)

    def org_of(self, accounts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return np.searchsorted(self.org_start, accounts, side="right").astype(np.int64) - 1

    # -- attributes -----------------------------------------------------------------------
    def people(self, keys: U64) -> People:
        k = self.k
        loc = k.weighted(keys, "loc", [w for *_, w in _LOC])
        is_id = _IS_ID[loc]
        fi, li = k.below(keys, "first", 1 << 30), k.below(keys, "last", 1 << 30)
        mask = pa.array(is_id)
        first = pc.if_else(mask, _ID_FIRST.take(fi % len(_ID_FIRST)), _FIRST.take(fi % len(_FIRST)))
        last = pc.if_else(mask, _ID_LAST.take(li % len(_ID_LAST)), _LAST.take(li % len(_LAST)))
        first_l = pc.if_else(mask, _ID_FIRST_L.take(fi % len(_ID_FIRST)), _FIRST_L.take(fi % len(_FIRST)))
        last_l = pc.if_else(mask, _ID_LAST_L.take(li % len(_ID_LAST)), _LAST_L.take(li % len(_LAST)))
        mononym = pa.array(is_id & (k.uniform(keys, "mononym") < 0.12))
        name = pc.if_else(mononym, first, pc.binary_join_element_wise(first, last, " "))
        digits = pc.cast(pa.array(keys), pa.string())  # the key keeps every address unique
        local = pc.if_else(mononym, first_l, pc.binary_join_element_wise(first_l, last_l, "."))
        domain = _DOMAINS.take(k.below(keys, "domain", len(_DOMAINS)))
        email = pc.binary_join_element_wise(local, digits, "@", domain, "")
        created = CREATED_FROM + (k.uniform(keys, "created") * (CREATED_TO - CREATED_FROM)).astype(np.int64)
        lang_local = k.uniform(keys, "lang") < vocab.LOCAL_LANGUAGE_SHARE
        language = pc.if_else(pa.array(lang_local), _LANG.take(loc), "en")
        return People(_COUNTRY.take(loc), _REGION.take(loc), _CITY.take(loc), language, name, email, created)

    def user_ids(self, keys: U64) -> pa.Array:
        return fixed_strings("user-", self.k.alnum(keys, "user-id", 24))

    def org_ids(self, orgs: npt.NDArray[np.int64]) -> pa.Array:
        return fixed_strings("org-", self.k.alnum(orgs.astype(np.uint64), "org-id", 24))

    def org_names(self, orgs: npt.NDArray[np.int64]) -> pa.Array:
        keys = orgs.astype(np.uint64)
        a = pa.array(vocab.ORG_WORDS_A).take(self.k.below(keys, "org-a", len(vocab.ORG_WORDS_A)))
        b = pa.array(vocab.ORG_WORDS_B).take(self.k.below(keys, "org-b", len(vocab.ORG_WORDS_B)))
        size = np.diff(np.append(self.org_start, self.accounts))[orgs]
        return pc.if_else(pa.array(size == 1), "Personal", pc.binary_join_element_wise(a, b, " "))


def iso(seconds: npt.NDArray[np.int64]) -> pa.Array:
    """Mixpanel's profile timestamp format: ISO 8601 without zone."""
    return pc.strftime(pa.array(seconds, type=pa.timestamp("s")), format="%Y-%m-%dT%H:%M:%S")
