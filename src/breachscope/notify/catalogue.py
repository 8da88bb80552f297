"""Per-language wording that lives next to the templates: data-class names and content headings.

Each language folder holds a ``fields.yaml``::

    classes:                        # data-class id (breachscope.taxonomy) ->
      person_name:
        your: your name             #   how a user notice says it ("your ...")
        name: names                 #   how admin and regulator notices say it
    content:                        # required-notice-content id (breachscope.rules.content) ->
      nature: Nature of the breach  #   heading in a regulator draft

A company edits these like the templates (``--templates DIR`` with the same layout). A missing
entry falls back to English, then to the taxonomy's name, so a notice is never left blank.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from breachscope import taxonomy
from breachscope.errors import BreachscopeError
from breachscope.rules.actions import join_or

BUILTIN_TEMPLATES = Path(__file__).parent / "templates"
FALLBACK_LANGUAGE = "en"

#: Directory language values that mean a shipped language, beyond ISO 639-1 codes.
_LANGUAGE_ALIASES = {
    "in": "id",  # the ISO 639 code Java and old systems still use for Indonesian
    "ind": "id",
    "indonesian": "id",
    "bahasa": "id",
    "bahasa indonesia": "id",
    "eng": "en",
    "english": "en",
}


@dataclass(frozen=True)
class Catalogue:
    language: str
    your: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    content: dict[str, str] = field(default_factory=dict)
    #: Class ids in the order ``fields.yaml`` lists them: the order notices use.
    order: tuple[str, ...] = ()
    #: The word for "." when the official domain is spelled out (``domain_style = "words"``).
    dot_word: str = "dot"
    #: The word for "or" in a list of classes, and how thousands are separated in numbers.
    or_word: str = "or"
    thousands_separator: str = ","

    def join_or(self, words: Sequence[str]) -> str:
        return join_or(words, self.or_word)

    def number(self, n: int) -> str:
        return f"{n:,}".replace(",", self.thousands_separator)

    def sort(self, class_ids: Iterable[str]) -> list[str]:
        """``class_ids`` in catalogue order; unknown ids last, in taxonomy order."""
        rank = {cid: i for i, cid in enumerate(self.order)}
        tax = {dc.id: i for i, dc in enumerate(taxonomy.DATA_CLASSES)}
        return sorted(set(class_ids), key=lambda c: (rank.get(c, len(rank)), tax.get(c, len(tax)), c))

    def your_phrase(self, class_id: str) -> str:
        return self.your.get(class_id) or self.name(class_id)

    def name(self, class_id: str) -> str:
        if class_id in self.names:
            return self.names[class_id]
        dc = taxonomy.BY_ID.get(class_id)
        return dc.name.lower() if dc else class_id.replace("_", " ")

    def heading(self, content_id: str) -> str:
        return self.content.get(content_id) or content_id.replace("_", " ").capitalize()


def normalise_language(value: str | None) -> str:
    """``"id-ID"``, ``"in"``, ``"Bahasa Indonesia"`` -> ``"id"``; unknown shapes -> lower-case primary tag."""
    raw = " ".join((value or "").strip().lower().replace("_", "-").split())
    if raw in _LANGUAGE_ALIASES:
        return _LANGUAGE_ALIASES[raw]
    primary = raw.split("-", 1)[0].split(" ", 1)[0]
    return _LANGUAGE_ALIASES.get(primary, primary)


def template_roots(override: Path | None) -> list[Path]:
    return [override, BUILTIN_TEMPLATES] if override is not None else [BUILTIN_TEMPLATES]


def available_languages(override: Path | None = None) -> set[str]:
    langs: set[str] = set()
    for root in template_roots(override):
        if root.is_dir():
            langs.update(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("_"))
    return langs


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise BreachscopeError(f"cannot read the field catalogue {path}: {exc}", "fix the YAML") from exc
    if not isinstance(data, dict):
        raise BreachscopeError(f"{path} must be a mapping with 'classes' and 'content'")
    return data


def load_catalogue(language: str, override: Path | None = None) -> Catalogue:
    """The merged catalogue for ``language``: override, then built-in, then English, per entry."""
    your: dict[str, str] = {}
    names: dict[str, str] = {}
    content: dict[str, str] = {}
    order: list[str] = []
    dot_word = "dot"
    words = {"or_word": "or", "thousands_separator": ","}
    layers = []
    for lang in (FALLBACK_LANGUAGE, language) if language != FALLBACK_LANGUAGE else (FALLBACK_LANGUAGE,):
        for root in reversed(template_roots(override)):  # built-in first, override wins
            path = root / lang / "fields.yaml"
            if path.is_file():
                layers.append((path, _read(path)))
    for path, data in layers:
        classes = data.get("classes") or {}
        if not isinstance(classes, dict):
            raise BreachscopeError(f"{path}: 'classes' must be a mapping of data-class id to names")
        if classes:
            order = [str(c) for c in classes]  # the most specific layer's order wins
        for cid, entry in classes.items():
            if not isinstance(entry, dict):
                raise BreachscopeError(f"{path}: classes.{cid} must have 'your' and 'name'")
            if entry.get("your"):
                your[str(cid)] = str(entry["your"])
            if entry.get("name"):
                names[str(cid)] = str(entry["name"])
        if data.get("dot_word"):
            dot_word = str(data["dot_word"])
        for key in words:
            if data.get(key):
                words[key] = str(data[key])
        for key, heading in (data.get("content") or {}).items():
            content[str(key)] = str(heading)
    return Catalogue(
        language=language,
        your=your,
        names=names,
        content=content,
        order=tuple(order),
        dot_word=dot_word,
        or_word=words["or_word"],
        thousands_separator=words["thousands_separator"],
    )
