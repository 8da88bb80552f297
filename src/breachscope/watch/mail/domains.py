"""Is a sender or link domain ours, a look-alike of ours, or neither?

The official domains come from the incident (``watch domains`` runs, the notify configuration,
``--domain``). A domain is compared by its **registrable part** (the Public Suffix List,
``publicsuffixlist``: ``mail.example.co.id`` -> ``example.co.id``):

- ``official``: it is an official domain or a subdomain of one;
- ``watch-list``: it is a registered look-alike recorded by ``watch domains`` for the incident;
- ``generated``: dnstwist (the same generator as ``watch domains``) makes it from an official domain
  (typos, bitsquatting, ASCII and IDN homoglyphs, attacker words, TLD swaps);
- ``confusable``: its label folded by confusable characters (Cyrillic/Greek look-alikes, accents,
  :func:`breachscope.identity.emails.fold_confusables`) and the ASCII tricks ``rn``->``m``,
  ``vv``->``w``, ``0``->``o``, ``1``/``i``->``l`` equals an official label, or is one edit away
  from it (for labels of 5+ characters);
- ``brand``: its label contains an official label with other words around it
  (``example-security``).

Every name is compared as a lowercase A-label and shown as its U-label.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import idna
from publicsuffixlist import PublicSuffixList

from breachscope.identity.emails import fold_confusables
from breachscope.watch.generate import ATTACK_WORDS, Candidate, generate_all

_ASCII_TRICKS: tuple[tuple[str, str], ...] = (("rn", "m"), ("vv", "w"), ("0", "o"), ("1", "l"), ("i", "l"))


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def registrable(host: str) -> str:
    """The registrable part of ``host`` (A-label), or ``host`` itself when the PSL has none."""
    return _psl().privatesuffix(host.lower().rstrip(".")) or host.lower().rstrip(".")


def label_of(domain: str) -> str:
    """The registrable label: ``example`` of ``mail.example.co.id``."""
    reg = registrable(domain)
    suffix = _psl().publicsuffix(reg) or ""
    return reg[: -len(suffix) - 1] if suffix and reg.endswith("." + suffix) else reg.split(".")[0]


def skeleton(label: str) -> str:
    """A label folded for comparison: U-label, NFKC, case folded, confusables, ASCII tricks."""
    try:
        text = idna.decode(label) if "xn--" in label else label
    except (idna.IDNAError, UnicodeError, ValueError):
        text = label
    text = fold_confusables(unicodedata.normalize("NFKC", text).casefold())
    for a, b in _ASCII_TRICKS:
        text = text.replace(a, b)
    return text.replace("-", "")


def _one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance exactly 1 (insert, delete, replace, adjacent swap)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


@dataclass(frozen=True, slots=True)
class DomainVerdict:
    domain: str  # A-label as given
    kind: str  # official | watch-list | generated | confusable | brand | other
    official: str | None = None  # the official domain it imitates (or is)
    detail: str = ""

    @property
    def lookalike(self) -> bool:
        return self.kind in ("watch-list", "generated", "confusable", "brand")


@lru_cache(maxsize=8)
def _generated(officials: tuple[str, ...], words: tuple[str, ...]) -> dict[str, Candidate]:
    """dnstwist's candidates of the official domains (the same set ``watch domains`` resolves)."""
    return {c.domain: c for c in generate_all(list(officials), words)}


class DomainJudge:
    """Judges domains against one incident's official domains and watch list (built once)."""

    def __init__(
        self,
        officials: list[str],
        watch_list: dict[str, str] | None = None,
        words: tuple[str, ...] = ATTACK_WORDS,
    ) -> None:
        self.officials = [o.lower() for o in dict.fromkeys(officials) if o]
        self.watch_list = {k.lower(): v for k, v in (watch_list or {}).items()}
        self.generated = _generated(tuple(self.officials), tuple(words)) if self.officials else {}
        self._labels = {o: label_of(o) for o in self.officials}
        self._skeletons = {o: skeleton(lbl) for o, lbl in self._labels.items()}
        self._cache: dict[str, DomainVerdict] = {}

    def judge(self, domain: str) -> DomainVerdict:
        d = domain.lower().rstrip(".")
        found = self._cache.get(d)
        if found is None:
            found = self._judge(d)
            if len(self._cache) < 100_000:
                self._cache[d] = found
        return found

    def _judge(self, d: str) -> DomainVerdict:
        for o in self.officials:
            if d == o or d.endswith("." + o):
                return DomainVerdict(d, "official", o)
        reg = registrable(d)
        for name in (d, reg):
            if name in self.watch_list:
                return DomainVerdict(
                    d, "watch-list", self.watch_list[name], "registered look-alike on the watch list"
                )
            cand = self.generated.get(name)
            if cand is not None:
                return DomainVerdict(d, "generated", cand.official, f"{cand.kind} of {cand.official}")
        label = label_of(d)
        skel = skeleton(label)
        for o, oskel in self._skeletons.items():
            olabel = self._labels[o]
            if label == olabel:
                return DomainVerdict(d, "brand", o, f"our name {olabel} under another suffix")
            if skel == oskel:
                return DomainVerdict(d, "confusable", o, f"reads as {olabel} (confusable characters)")
            if len(oskel) >= 5 and _one_edit(skel, oskel):
                return DomainVerdict(d, "confusable", o, f"one character away from {olabel}")
            if len(oskel) >= 4 and oskel in skel:
                return DomainVerdict(d, "brand", o, f"contains {olabel} with other words")
        return DomainVerdict(d, "other")
