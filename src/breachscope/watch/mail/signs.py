"""Phrase signs of a reported message: asks for credentials or payment, urgency, the incident.

The phrases are data (``phrases.yaml``, English and Indonesian, each category with its
citation), checked when loaded: a broken file is an error naming the category and phrase.
Text is folded before matching (NFKC, case folding, confusable letters, :func:`fold`), so
``PАSSWORD`` with a Cyrillic ``А`` or ``kata  sandi`` across a line break still match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from breachscope.errors import BreachscopeError
from breachscope.identity.emails import fold_confusables

LANGUAGES: tuple[str, ...] = ("en", "id")
SEVERITIES: tuple[str, ...] = ("strong", "weak")
MAX_HITS = 5
#: A credential or payment phrase right after one of these is a promise, not an ask
#: ("we will never ask for your password", "kami tidak akan meminta kata sandi").
_NEGATION = re.compile(
    r"(?:\bnever\b|\bnot\b|n't\b|\bnone\b|\bno one\b|\bnobody\b|\btidak\b|\bjangan\b|\bbukan\b)"
    r"(?:(?!\bbut\b|\bhowever\b|\btetapi\b|\bnamun\b)[^.!?;\n]){0,80}$"
)
#: ... or a statement about the data ("passwords were not in the dataset", "kata sandi tidak ...").
_NEGATION_AFTER = re.compile(
    r"^[^.!?,;\n]{0,20}?\b(?:were|was|are|is|have|has|had)\s+(?:not|never)\b|^[^.!?,;\n]{0,20}?\btidak\b"
)
_NEGATABLE = frozenset({"credentials", "payment"})


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    label: str
    severity: str
    citation: str
    pattern: re.Pattern[str]


def fold(text: str) -> str:
    """Text as the phrases are matched: NFKC, case folded, confusables folded, spaces collapsed."""
    return " ".join(fold_confusables(unicodedata.normalize("NFKC", text).casefold()).split())


def _compile(name: str, phrases: list[Any]) -> re.Pattern[str]:
    parts: list[str] = []
    for phrase in phrases:
        if not isinstance(phrase, str) or not phrase.strip():
            raise BreachscopeError(f"phrases.yaml: category {name!r}: empty or non-text phrase {phrase!r}")
        try:
            re.compile(phrase)
        except re.error as exc:
            raise BreachscopeError(f"phrases.yaml: category {name!r}: phrase {phrase!r}: {exc}") from None
        parts.append(phrase.replace(" ", r"\s+"))
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")


def parse_phrases(doc: Any) -> dict[str, Category]:
    """The categories of a loaded phrases document, or an error naming what is wrong."""
    if not isinstance(doc, dict) or not isinstance(doc.get("categories"), dict):
        raise BreachscopeError("phrases.yaml: a 'categories' mapping is required")
    out: dict[str, Category] = {}
    for name, body in doc["categories"].items():
        if not isinstance(body, dict):
            raise BreachscopeError(f"phrases.yaml: category {name!r} is not a mapping")
        for key in ("label", "severity", "citation"):
            if not isinstance(body.get(key), str) or not body[key].strip():
                raise BreachscopeError(f"phrases.yaml: category {name!r} needs {key!r}")
        if body["severity"] not in SEVERITIES:
            raise BreachscopeError(f"phrases.yaml: category {name!r}: severity must be one of {SEVERITIES}")
        phrases: list[Any] = []
        for lang in LANGUAGES:
            found = body.get(lang)
            if not isinstance(found, list) or not found:
                raise BreachscopeError(f"phrases.yaml: category {name!r} needs phrases in {lang!r}")
            phrases.extend(found)
        out[str(name)] = Category(
            str(name),
            body["label"],
            body["severity"],
            " ".join(body["citation"].split()),
            _compile(name, phrases),
        )
    return out


@lru_cache(maxsize=1)
def categories() -> dict[str, Category]:
    text = resources.files("breachscope.watch.mail").joinpath("phrases.yaml").read_text(encoding="utf-8")
    return parse_phrases(yaml.safe_load(text))


def find_signs(folded: str) -> dict[str, list[str]]:
    """Category -> the phrases found (at most :data:`MAX_HITS` each) in already folded text."""
    out: dict[str, list[str]] = {}
    for name, cat in categories().items():
        hits: list[str] = []
        for m in cat.pattern.finditer(folded):
            if name in _NEGATABLE and (
                _NEGATION.search(folded[max(0, m.start() - 100) : m.start()])
                or _NEGATION_AFTER.search(folded[m.end() : m.end() + 60])
            ):
                continue
            phrase = m.group(0)[:60]
            if phrase not in hits:
                hits.append(phrase)
            if len(hits) >= MAX_HITS:
                break
        if hits:
            out[name] = hits
    return out
