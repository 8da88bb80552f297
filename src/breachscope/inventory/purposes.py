"""What each vendor purpose needs, loaded from ``data/purposes.yaml`` (or the user's own file).

Rules are data: the file lists, per purpose, the data classes it ``needs`` and ``may`` receive;
any other class sent to a vendor of that purpose is over-sharing. The file is checked on load and
an error names the file, the purpose and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from breachscope import taxonomy
from breachscope.errors import InputError

DEFAULT = Path(__file__).parent / "data" / "purposes.yaml"


@dataclass(frozen=True)
class Purpose:
    key: str
    label: str
    why: str
    needs: frozenset[str]
    may: frozenset[str]

    @property
    def allowed(self) -> frozenset[str]:
        return self.needs | self.may


@dataclass(frozen=True)
class Purposes:
    source: str
    purposes: dict[str, Purpose]
    reidentifying: frozenset[str]
    free_text: frozenset[str]
    review_every_days: int
    max_breach_notice_hours: int

    def get(self, key: str) -> Purpose | None:
        return self.purposes.get(key)


def _classes(where: str, value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: expected a list of data class ids", "see docs/data-classes.md")
    unknown = [v for v in value if v not in taxonomy.BY_ID]
    if unknown:
        raise InputError(
            f"{where}: unknown data class {', '.join(map(repr, unknown))}",
            f"known classes: {', '.join(sorted(taxonomy.BY_ID))}",
        )
    return frozenset(value)


def _int(where: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InputError(f"{where}: expected a positive whole number, got {value!r}")
    return value


def parse(doc: Any, source: str) -> Purposes:
    """Check and build :class:`Purposes` from a loaded YAML document (errors name ``source``)."""
    if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(doc.get("purposes"), dict):
        raise InputError(f"{source}: not a purposes file (version: 1 and a purposes: mapping expected)")
    out: dict[str, Purpose] = {}
    for key, body in doc["purposes"].items():
        where = f"{source}: purpose {key!r}"
        if not isinstance(key, str) or not key or not isinstance(body, dict):
            raise InputError(f"{where}: expected a name and a mapping")
        extra = set(body) - {"label", "why", "needs", "may"}
        if extra:
            raise InputError(f"{where}: unknown field {', '.join(sorted(extra))}")
        out[key] = Purpose(
            key=key,
            label=str(body.get("label") or key),
            why=str(body.get("why") or ""),
            needs=_classes(f"{where} field needs", body.get("needs", [])),
            may=_classes(f"{where} field may", body.get("may", [])),
        )
    return Purposes(
        source=source,
        purposes=out,
        reidentifying=_classes(f"{source}: reidentifying", doc.get("reidentifying", [])),
        free_text=_classes(f"{source}: free_text", doc.get("free_text", [])),
        review_every_days=_int(f"{source}: review_every_days", doc.get("review_every_days", 365)),
        max_breach_notice_hours=_int(
            f"{source}: max_breach_notice_hours", doc.get("max_breach_notice_hours", 72)
        ),
    )


def load(path: Path | None = None) -> Purposes:
    """The purposes file at ``path`` (default: the bundled one)."""
    if path is None:
        return _default()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read purposes file {path}: {exc.strerror or exc}") from exc
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from exc
    return parse(doc, str(path))


@cache
def _default() -> Purposes:
    return parse(yaml.safe_load(DEFAULT.read_text(encoding="utf-8")), "inventory/data/purposes.yaml")
