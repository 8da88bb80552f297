"""The vendor catalogue as Markdown: the generated half of ``docs/vendors.md``.

    python -m breachscope.vendors.catalog docs/vendors.md   # rewrite the generated block

A test checks that the block in ``docs/vendors.md`` equals :func:`markdown`, so the documented
layouts, recognition signals and field maps are always the ones the code uses.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

from breachscope.vendors import amplitude, customerio, ga4, heap, intercom, mixpanel, posthog, segment
from breachscope.vendors.layout import TableLayout

MODULES: tuple[ModuleType, ...] = (mixpanel, segment, amplitude, posthog, ga4, heap, intercom, customerio)
BEGIN = "<!-- BEGIN GENERATED: python -m breachscope.vendors.catalog docs/vendors.md -->"
END = "<!-- END GENERATED -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _codes(items: tuple[str, ...]) -> str:
    return ", ".join(f"`{_cell(i)}`" for i in items)


def _layout_row(lay: TableLayout) -> str:
    support = _codes(lay.support)
    if lay.min_support and support:
        support = f"at least {lay.min_support} of: {support}"
    keys = _codes(lay.person_keys or ((lay.default_person_key,) if lay.default_person_key else ()))
    if lay.fallback_keys:
        keys += f"; where empty: {_codes(lay.fallback_keys)}"
    if lay.key_prefixes:
        keys += "; " + ", ".join(f"`{_cell(p)}<id>` is a `{k}`" for p, k in lay.key_prefixes)
    extra = []
    if lay.exclude:
        extra.append(f"not if a column matches {_codes(lay.exclude)}")
    if lay.source_hint:
        extra.append(f"source name `{_cell(lay.source_hint)}` adds evidence")
    if lay.transform is not None:
        extra.append("has a batch transform")
    if lay.keys_in_table is not None:
        extra.append("some bare columns' classes depend on the table (source name)")
    if lay.bookkeeping:
        extra.append(f"bookkeeping, no name hints: {_codes(lay.bookkeeping)}")
    return (
        f"| `{lay.vendor}/{lay.name}` | {_cell(lay.description)} | {_codes(lay.require)} | "
        f"{support} | {keys} | {'; '.join(extra)} |"
    )


def _vendor(mod: ModuleType) -> list[str]:
    layouts: tuple[TableLayout, ...] = mod.LAYOUTS
    out = [
        f"### {mod.VENDOR}",
        "",
        "| layout | what | required columns (regex) | supporting columns | person key | notes |",
        "| --- | --- | --- | --- | --- | --- |",
        *(_layout_row(lay) for lay in layouts),
        "",
        "| data class | fields (canonical keys, after the vendor's normalisation) |",
        "| --- | --- |",
    ]
    by: dict[str, list[str]] = defaultdict(list)
    for key, classes in mod.FIELDS.exact.items():
        by[", ".join(sorted(classes))].append(f"`{_cell(key)}`")
    for pattern, classes in mod.FIELDS.patterns:
        by[", ".join(sorted(classes))].append(f"pattern `{_cell(pattern)}`")
    out += [f"| {cls} | {', '.join(names)} |" for cls, names in sorted(by.items())]
    placeholders = sorted({p for lay in layouts for p in lay.placeholders})
    notes = sorted({lay.notes for lay in layouts if lay.notes})
    out += ["", f"Placeholders (not counted as data): {_codes(tuple(placeholders)) or 'none documented'}."]
    per_field = sorted({(p, v) for lay in layouts for p, vals in lay.field_placeholders for v in vals})
    if per_field:
        out[-1] += (
            " Only in the documented field, data elsewhere: "
            + ", ".join(f"`{_cell(v)}` in `{_cell(p)}`" for p, v in per_field)
            + "."
        )
    out += [f"Note: {n}." for n in notes]
    out += ["", "Sources: " + "; ".join(mod.DOC_REFS) + ".", ""]
    return out


def markdown() -> str:
    lines = [BEGIN, ""]
    for mod in MODULES:
        lines += _vendor(mod)
    lines.append(END)
    return "\n".join(lines) + "\n"


def rewrite(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END + "\n")
    path.write_text(head + markdown() + tail, encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - developer tool
    rewrite(Path(sys.argv[1]))
